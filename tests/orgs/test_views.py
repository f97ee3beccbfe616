"""The organisations pages, through the test client."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.db import utcnow
from lms.orgs.models import Branch, Headcount, Organisation, SiteSetting
from tests.factories import BranchFactory, OrganisationFactory, RoleGrantFactory
from tests.orgs.conftest import log_in


def reload(session, model, **where):
    """Read a row afresh: requests change it through their own session."""
    session.expire_all()
    return session.scalar(select(model).filter_by(**where))


def text(response):
    """The page as a reader sees its text (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def headcount_form(staff="10", volunteers="250", as_of="2025-03-01"):
    return {"headcount-staff": staff, "headcount-volunteers": volunteers, "headcount-as_of": as_of}


# --- Permission matrix: every route and method, for every kind of visitor ---

ROLES = ("anonymous", "learner", "focal_b", "author", "focal_a", "admin")


ROUTES = {
    # name: (method, path(people), form data, expected outcome for focal_a, for admin)
    "list": ("GET", lambda p: "/orgs", {}, "redirect", "ok"),
    "detail": ("GET", lambda p: "/orgs/AAA", {}, "ok", "ok"),
    "set active": ("POST", lambda p: "/orgs/AAA/active", {"org-active": "0"}, "forbidden", "redirect"),
    "add branch": ("POST", lambda p: "/orgs/AAA/branches", {"branch-name": "South"}, "redirect", "redirect"),
    "rename branch": (
        "POST",
        lambda p: f"/orgs/AAA/branches/{p.branch_a_id}/rename",
        "rename",
        "redirect",
        "redirect",
    ),
    "branch active": (
        "POST",
        lambda p: f"/orgs/AAA/branches/{p.branch_a_id}/active",
        "state",
        "redirect",
        "redirect",
    ),
    "headcount": ("POST", lambda p: "/orgs/AAA/headcount", headcount_form(), "redirect", "redirect"),
    "support": (
        "POST",
        lambda p: "/orgs/AAA/support",
        {"support-contacts": "Call 1199"},
        "redirect",
        "redirect",
    ),
    "settings": ("GET", lambda p: "/orgs/settings", {}, "forbidden", "ok"),
    "save settings": (
        "POST",
        lambda p: "/orgs/settings",
        {"support-contacts": "Hotline"},
        "forbidden",
        "redirect",
    ),
}


def _form(data, people):
    branch_id = people.branch_a_id
    if data == "rename":
        return {f"branch-{branch_id}-name": "North-East"}
    if data == "state":
        return {f"branch-{branch_id}-state-active": "0"}
    return data


def _expected(route, role):
    if role == "anonymous":
        return "login"
    if role in ("learner", "author"):
        return "forbidden"
    if role == "focal_b":
        # The list is not about A: a focal point of B is sent to B's own page.
        return "redirect" if route == "list" else "forbidden"
    return ROUTES[route][3] if role == "focal_a" else ROUTES[route][4]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(ROUTES))
def test_permission_matrix(route, role, app, client, people):
    method, path, data, _focal, _admin = ROUTES[route]
    log_in(client, people.by_role(role))
    expected = _expected(route, role)

    response = client.open(path(people), method=method, data=_form(data, people))

    if expected == "login":
        assert response.status_code == 302
        with app.test_request_context():
            assert response.headers["Location"].startswith(url_for("auth.login"))
    elif expected == "forbidden":
        assert response.status_code == 403
    elif expected == "ok":
        assert response.status_code == 200
    else:
        assert response.status_code == 302, text(response)


def test_focal_point_is_sent_from_the_list_to_their_organisation(client, people):
    log_in(client, people.focal_b)
    response = client.get("/orgs")
    assert response.status_code == 302
    assert response.headers["Location"] == "/orgs/BBB"


def test_focal_point_of_two_organisations_sees_only_those(client, people, db_session):
    RoleGrantFactory(role="focal_point", organisation=OrganisationFactory(code="CCC"), user=people.focal_a)
    db_session.commit()
    log_in(client, people.focal_a)

    page = text(client.get("/orgs"))

    assert "/orgs/AAA" in page and "/orgs/CCC" in page
    assert "/orgs/BBB" not in page


def test_unknown_organisation_is_404_for_an_admin_and_403_for_a_learner(client, people):
    log_in(client, people.admin)
    assert client.get("/orgs/ZZZ").status_code == 404
    log_in(client, people.learner)
    assert client.get("/orgs/ZZZ").status_code == 403


def test_branch_of_another_organisation_is_404(client, people, db_session):
    foreign = BranchFactory(organisation=people.org_b)
    db_session.commit()
    log_in(client, people.focal_a)
    assert client.post(f"/orgs/AAA/branches/{foreign.id}/rename", data={}).status_code == 404


# --- The list ---


def test_admin_list_shows_every_organisation_with_counts_and_filters(client, people, db_session):
    OrganisationFactory(code="CCC", name_en="Gamma Red Cross", active=False, region="Americas")
    db_session.commit()
    log_in(client, people.admin)

    page = text(client.get("/orgs"))
    assert "Alpha Red Cross" in page and "Beta Red Crescent" in page and "Gamma Red Cross" in page
    assert "1 branch" in page
    assert "people registered" in page

    page = text(client.get("/orgs?status=inactive"))
    assert "Gamma Red Cross" in page and "Alpha Red Cross" not in page
    page = text(client.get("/orgs?region=Africa"))
    assert "Beta Red Crescent" in page and "Alpha Red Cross" not in page
    page = text(client.get("/orgs?q=bbb"))
    assert "Beta Red Crescent" in page and "Alpha Red Cross" not in page


def test_list_shows_names_in_the_readers_language(client, people, db_session):
    people.admin.locale = "ar"
    db_session.commit()
    log_in(client, people.admin)
    page = text(client.get("/orgs"))
    assert "الصليب الأحمر التجريبي AAA" in page
    assert 'dir="rtl"' in page


def test_list_ignores_an_unknown_region_and_says_so(client, people):
    log_in(client, people.admin)
    response = client.get("/orgs?region=Atlantis&page=x")
    assert response.status_code == 200
    assert "Alpha Red Cross" in text(response)
    assert 'class="error-summary"' in text(response)


def test_list_of_194_organisations_is_paginated(client, people, db_session):
    OrganisationFactory.create_batch(60)
    db_session.commit()
    log_in(client, people.admin)

    first = text(client.get("/orgs"))
    second = text(client.get("/orgs?page=2"))

    def items(page):
        return page.split('<ul class="org-list">')[1].split("</ul>")[0].count("<li>")

    assert items(first) == 50
    assert items(second) == 12
    assert "page 2 of 2" in second


# --- One organisation ---


def test_detail_shows_names_region_country_and_directory_link(client, people, db_session):
    kenya = OrganisationFactory(
        code="KEN",
        name_en="Kenya Red Cross Society",
        name_fr="Croix-Rouge du Kenya",
        region="Africa",
        country_en="Kenya",
        country_fr="Kenya",
        directory_url="https://www.ifrc.org/national-societies-directory/kenya-red-cross-society",
    )
    RoleGrantFactory(role="focal_point", organisation=kenya, user=people.focal_a)
    people.focal_a.locale = "fr"
    db_session.commit()
    log_in(client, people.focal_a)

    page = text(client.get("/orgs/KEN"))

    assert "<h1>Croix-Rouge du Kenya</h1>" in page
    assert "Kenya Red Cross Society" in page
    assert "Cruz Roja de prueba KEN" in page
    assert "Afrique" in page  # the region, in the reader's language
    assert 'href="https://www.ifrc.org/national-societies-directory/kenya-red-cross-society"' in page


def test_admin_marks_an_organisation_inactive_then_active(client, people, db_session):
    log_in(client, people.admin)

    response = client.post("/orgs/AAA/active", data={"org-active": "0"})

    assert response.status_code == 302
    assert reload(db_session, Organisation, code="AAA").active is False
    assert "Mark as active" in text(client.get("/orgs/AAA"))
    client.post("/orgs/AAA/active", data={"org-active": "1"})
    assert reload(db_session, Organisation, code="AAA").active is True
    actions = db_session.scalars(select(AuditEvent.action).where(AuditEvent.action == "org.active")).all()
    assert actions == ["org.active", "org.active"]


def test_set_active_with_a_bad_value_is_400(client, people):
    log_in(client, people.admin)
    assert client.post("/orgs/AAA/active", data={"org-active": "maybe"}).status_code == 400


def test_focal_point_sees_no_activation_form(client, people):
    log_in(client, people.focal_a)
    assert "/orgs/AAA/active" not in text(client.get("/orgs/AAA"))


# --- Branches ---


def test_focal_point_adds_renames_and_deactivates_a_branch(client, people, db_session):
    log_in(client, people.focal_a)

    response = client.post("/orgs/AAA/branches", data={"branch-name": "Coast"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/orgs/AAA#branches"
    coast = reload(db_session, Branch, name="Coast")

    client.post(f"/orgs/AAA/branches/{coast.id}/rename", data={f"branch-{coast.id}-name": "Coastal"})
    client.post(f"/orgs/AAA/branches/{coast.id}/active", data={f"branch-{coast.id}-state-active": "0"})

    coast = reload(db_session, Branch, id=coast.id)
    assert (coast.name, coast.active) == ("Coastal", False)
    page = text(client.get("/orgs/AAA"))
    assert "Reactivate Coastal" in page
    client.post(f"/orgs/AAA/branches/{coast.id}/active", data={f"branch-{coast.id}-state-active": "1"})
    assert reload(db_session, Branch, id=coast.id).active is True


def test_duplicate_branch_name_is_refused_with_a_clear_message(client, people, db_session):
    log_in(client, people.focal_a)

    response = client.post("/orgs/AAA/branches", data={"branch-name": "north"})

    assert response.status_code == 422
    assert "A branch named “north” already exists in this organisation" in text(response)
    assert len(db_session.scalars(select(Branch).where(Branch.organisation_id == people.org_a.id)).all()) == 1


def test_renaming_to_an_existing_name_is_refused(client, people, db_session):
    south = BranchFactory(organisation=people.org_a, name="South")
    db_session.commit()
    log_in(client, people.focal_a)

    response = client.post(f"/orgs/AAA/branches/{south.id}/rename", data={f"branch-{south.id}-name": "North"})

    assert response.status_code == 422
    page = text(response)
    assert "A branch named “North” already exists" in page
    assert "<details open>" in page
    assert reload(db_session, Branch, id=south.id).name == "South"


def test_empty_branch_name_is_refused(client, people):
    log_in(client, people.focal_a)
    response = client.post("/orgs/AAA/branches", data={"branch-name": ""})
    assert response.status_code == 422
    assert "Enter the branch's name." in text(response)


# --- Headcount ---


def test_headcount_declaration_is_shown_as_current_and_in_the_history(client, people, db_session):
    log_in(client, people.focal_a)

    response = client.post("/orgs/AAA/headcount", data=headcount_form("12", "340", "2025-03-01"))
    assert response.status_code == 302
    log_in(client, people.admin)
    client.post("/orgs/AAA/headcount", data=headcount_form("15", "400", "2025-06-30"))

    page = text(client.get("/orgs/AAA"))
    assert "15 staff and 400 volunteers, as of June 30, 2025." in page
    history = page.split("<tbody>")[1]
    assert history.index("Ada Admin") < history.index(people.focal_a.name)
    rows = db_session.scalars(select(Headcount).order_by(Headcount.id)).all()
    assert [(r.staff, r.volunteers) for r in rows] == [(12, 340), (15, 400)]
    assert (
        len(db_session.scalars(select(AuditEvent).where(AuditEvent.action == "headcount.declare")).all()) == 2
    )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (headcount_form(staff="-1"), "Enter a whole number from 0 to 100000000."),
        (headcount_form(volunteers="-20"), "Enter a whole number from 0 to 100000000."),
        (headcount_form(staff=""), "Enter the number of staff (0 if none)."),
        (
            headcount_form(as_of=(utcnow() + timedelta(days=2)).date().isoformat()),
            "The date cannot be in the future.",
        ),
        (headcount_form(as_of="31/12/2024"), "Not a valid date value."),
    ],
)
def test_impossible_headcount_is_refused_with_422_and_a_message(form, message, client, people, db_session):
    log_in(client, people.focal_a)

    response = client.post("/orgs/AAA/headcount", data=form)

    assert response.status_code == 422
    assert message in text(response)
    assert db_session.scalars(select(Headcount)).all() == []


def test_page_without_headcount_says_so(client, people):
    log_in(client, people.focal_a)
    assert "No headcount declared yet." in text(client.get("/orgs/AAA"))


# --- Support contacts ---


def test_support_contacts_are_saved_and_shown_with_line_breaks_kept(client, people, db_session):
    log_in(client, people.focal_a)

    response = client.post(
        "/orgs/AAA/support", data={"support-contacts": "Helpline 1199\r\n<b>pss@example.org</b>"}
    )

    assert response.status_code == 302
    assert (
        reload(db_session, Organisation, code="AAA").support_contacts
        == "Helpline 1199\n<b>pss@example.org</b>"
    )
    page = client.get("/orgs/AAA").get_data(as_text=True)
    assert "Helpline 1199\n&lt;b&gt;pss@example.org&lt;/b&gt;</textarea>" in page


def test_support_contacts_over_2000_characters_are_refused(client, people):
    log_in(client, people.focal_a)
    response = client.post("/orgs/AAA/support", data={"support-contacts": "x" * 2001})
    assert response.status_code == 422
    assert "at most 2000 characters" in text(response)


def test_admin_sets_the_movement_default_shown_where_an_organisation_has_none(client, people, db_session):
    log_in(client, people.admin)

    response = client.post("/orgs/settings", data={"support-contacts": "IFRC PS Centre\nhello@pscentre.org"})

    assert response.status_code == 302
    assert (
        reload(db_session, SiteSetting, key="support_contacts").value == "IFRC PS Centre\nhello@pscentre.org"
    )
    assert "IFRC PS Centre\nhello@pscentre.org</textarea>" in client.get("/orgs/settings").get_data(
        as_text=True
    )
    log_in(client, people.focal_a)
    page = text(client.get("/orgs/AAA"))
    assert "learners see the Movement's default contacts" in page
    assert '<p class="support-contacts card">IFRC PS Centre\nhello@pscentre.org</p>' in page


def test_movement_default_over_2000_characters_is_refused(client, people):
    log_in(client, people.admin)
    response = client.post("/orgs/settings", data={"support-contacts": "y" * 2001})
    assert response.status_code == 422
    assert "at most 2000 characters" in text(response)


def test_forms_need_a_csrf_token_when_protection_is_on(client, people, monkeypatch, app):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    log_in(client, people.focal_a)
    response = client.post("/orgs/AAA/branches", data={"branch-name": "South"})
    assert response.status_code == 400


def test_forms_of_the_page_carry_a_working_csrf_token(client, people, monkeypatch, app, db_session):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    log_in(client, people.admin)
    page = client.get("/orgs/AAA").get_data(as_text=True)

    def token(prefix):
        return page.split(f'name="{prefix}-csrf_token" type="hidden" value="')[1].split('"')[0]

    branch = client.post(
        "/orgs/AAA/branches", data={"branch-name": "South", "branch-csrf_token": token("branch")}
    )
    active = client.post("/orgs/AAA/active", data={"org-active": "0", "org-csrf_token": token("org")})
    headcount = client.post(
        "/orgs/AAA/headcount", data={**headcount_form(), "headcount-csrf_token": token("headcount")}
    )

    assert (branch.status_code, active.status_code, headcount.status_code) == (302, 302, 302)
    assert reload(db_session, Organisation, code="AAA").active is False
