"""Services of the organisations feature, called directly."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.db import utcnow
from lms.errors import PermissionDenied
from lms.orgs import services
from lms.orgs.models import Branch, SiteSetting
from tests.factories import BranchFactory, OrganisationFactory, RoleGrantFactory, UserFactory


def events(session, action):
    return session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


@pytest.fixture
def focal(db_session):
    return RoleGrantFactory(role="focal_point", organisation=OrganisationFactory(code="KEN")).user


@pytest.fixture
def org(focal):
    return focal.roles[0].organisation


# --- Headcount ---


def test_current_headcount_is_the_latest_as_of_date_then_the_latest_declared(db_session, focal, org):
    today = date.today()
    services.declare_headcount(
        db_session, focal, org, staff=10, volunteers=100, as_of=today - timedelta(days=30)
    )
    newest = services.declare_headcount(
        db_session, focal, org, staff=12, volunteers=120, as_of=today - timedelta(days=1)
    )
    # Declared later but about an earlier date: history, not the current figure.
    services.declare_headcount(
        db_session, focal, org, staff=9, volunteers=90, as_of=today - timedelta(days=60)
    )

    assert services.current_headcount(db_session, org.id) == newest
    correction = services.declare_headcount(
        db_session, focal, org, staff=13, volunteers=121, as_of=today - timedelta(days=1)
    )
    assert services.current_headcount(db_session, org.id) == correction


def test_headcount_history_keeps_every_declaration_with_who_declared_it(db_session, focal, org):
    admin = RoleGrantFactory(role="admin", user__name="Ada Admin").user
    first = services.declare_headcount(db_session, focal, org, staff=1, volunteers=2, as_of=date(2024, 1, 1))
    second = services.declare_headcount(db_session, admin, org, staff=3, volunteers=4, as_of=date(2025, 1, 1))

    history = services.headcount_history(db_session, org.id)

    assert [entry.headcount for entry in history] == [second, first]
    assert [entry.declared_by_name for entry in history] == ["Ada Admin", focal.name]
    assert (first.staff, first.volunteers) == (1, 2)
    recorded = events(db_session, "headcount.declare")
    assert [event.details for event in recorded] == [
        {"staff": 1, "volunteers": 2, "as_of": "2024-01-01"},
        {"staff": 3, "volunteers": 4, "as_of": "2025-01-01"},
    ]
    assert {event.organisation_id for event in recorded} == {org.id}
    assert [event.actor_id for event in recorded] == [focal.id, admin.id]


def test_no_headcount_declared_gives_none(db_session, org):
    assert services.current_headcount(db_session, org.id) is None
    assert services.headcount_history(db_session, org.id) == []


def test_current_headcounts_of_many_organisations_in_one_query(db_session, focal, org):
    other = OrganisationFactory()
    admin = RoleGrantFactory(role="admin").user
    services.declare_headcount(db_session, focal, org, staff=1, volunteers=1, as_of=date(2024, 1, 1))
    latest = services.declare_headcount(db_session, focal, org, staff=2, volunteers=2, as_of=date(2024, 6, 1))
    other_latest = services.declare_headcount(
        db_session, admin, other, staff=5, volunteers=5, as_of=date(2023, 1, 1)
    )

    assert services.current_headcounts(db_session) == {org.id: latest, other.id: other_latest}
    assert services.current_headcounts(db_session, [org.id]) == {org.id: latest}


@pytest.mark.parametrize(
    ("staff", "volunteers", "as_of", "field"),
    [
        (-1, 0, date(2024, 1, 1), "staff"),
        (0, -5, date(2024, 1, 1), "volunteers"),
        (0, services.HEADCOUNT_MAX + 1, date(2024, 1, 1), "volunteers"),
        (0, 0, (utcnow() + timedelta(days=2)).date(), "as_of"),
        (0, 0, date(1999, 12, 31), "as_of"),
    ],
)
def test_impossible_headcount_is_refused(db_session, focal, org, staff, volunteers, as_of, field):
    with pytest.raises(services.HeadcountError) as error:
        services.declare_headcount(db_session, focal, org, staff=staff, volunteers=volunteers, as_of=as_of)
    assert error.value.field == field
    assert services.headcount_history(db_session, org.id) == []


def test_headcount_of_zero_as_of_today_is_accepted(db_session, focal, org):
    headcount = services.declare_headcount(
        db_session, focal, org, staff=0, volunteers=0, as_of=services.latest_allowed_date()
    )
    assert services.current_headcount(db_session, org.id) == headcount


def test_only_focal_points_of_the_organisation_and_admins_declare_headcounts(db_session, org):
    other_focal = RoleGrantFactory(role="focal_point", organisation=OrganisationFactory()).user
    for outsider in (UserFactory(organisation=org), other_focal, RoleGrantFactory(role="author").user):
        with pytest.raises(PermissionDenied):
            services.declare_headcount(
                db_session, outsider, org, staff=1, volunteers=1, as_of=date(2024, 1, 1)
            )


# --- Branches ---


def test_branch_is_created_renamed_deactivated_and_audited(db_session, focal, org):
    branch = services.create_branch(db_session, focal, org, "  Mombasa   branch ")
    assert branch.name == "Mombasa branch"

    services.rename_branch(db_session, focal, branch, "Coast")
    services.set_branch_active(db_session, focal, branch, False)
    services.set_branch_active(db_session, focal, branch, True)

    assert db_session.get(Branch, branch.id).name == "Coast"
    assert branch.active is True
    assert [e.action for e in db_session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "branch.create",
        "branch.rename",
        "branch.active",
        "branch.active",
    ]


def test_branch_names_are_unique_within_an_organisation_whatever_the_case(db_session, focal, org):
    services.create_branch(db_session, focal, org, "Nairobi")
    other = services.create_branch(db_session, focal, org, "Kisumu")

    with pytest.raises(services.DuplicateBranchName):
        services.create_branch(db_session, focal, org, "NAIROBI")
    with pytest.raises(services.DuplicateBranchName):
        services.rename_branch(db_session, focal, other, "nairobi")
    assert [b.name for b in db_session.scalars(select(Branch).where(Branch.organisation_id == org.id))] == [
        "Nairobi",
        "Kisumu",
    ]


def test_same_branch_name_is_allowed_in_another_organisation(db_session, focal, org):
    BranchFactory(name="Central", organisation=OrganisationFactory())
    assert services.create_branch(db_session, focal, org, "Central").name == "Central"


def test_branch_name_must_not_be_empty_or_too_long(db_session, focal, org):
    with pytest.raises(services.BranchNameError):
        services.create_branch(db_session, focal, org, "   ")
    with pytest.raises(services.BranchNameError):
        services.create_branch(db_session, focal, org, "x" * 201)


def test_focal_point_cannot_manage_branches_of_another_organisation(db_session, focal):
    foreign = BranchFactory()
    with pytest.raises(PermissionDenied):
        services.create_branch(db_session, focal, foreign.organisation, "Mine")
    with pytest.raises(PermissionDenied):
        services.rename_branch(db_session, focal, foreign, "Mine")
    with pytest.raises(PermissionDenied):
        services.set_branch_active(db_session, focal, foreign, False)


# --- Organisations ---


def test_only_an_admin_marks_an_organisation_inactive_and_it_is_audited(db_session, focal, org):
    admin = RoleGrantFactory(role="admin").user
    with pytest.raises(PermissionDenied):
        services.set_organisation_active(db_session, focal, org, False)

    services.set_organisation_active(db_session, admin, org, False)
    services.set_organisation_active(db_session, admin, org, False)

    assert org.active is False
    [event] = events(db_session, "org.active")
    assert (event.actor_id, event.organisation_id, event.details) == (admin.id, org.id, {"active": False})


def test_organisations_for_select_lists_active_ones_by_localised_name(db_session):
    zeta = OrganisationFactory(name_en="Zeta Red Cross", name_fr="Croix-Rouge zêta")
    emirates = OrganisationFactory(name_en="Emirates Red Crescent", name_fr="Émirats, Croissant-Rouge")
    alpha = OrganisationFactory(name_en="Alpha Red Cross", name_fr="Croix-Rouge alpha")
    OrganisationFactory(name_en="Gone Red Cross", active=False)

    assert services.organisations_for_select(db_session, "en") == [
        (alpha.id, "Alpha Red Cross"),
        (emirates.id, "Emirates Red Crescent"),
        (zeta.id, "Zeta Red Cross"),
    ]
    assert [name for _id, name in services.organisations_for_select(db_session, "fr")] == [
        "Croix-Rouge alpha",
        "Croix-Rouge zêta",
        "Émirats, Croissant-Rouge",
    ]


def test_list_organisations_counts_people_and_active_branches_and_filters(db_session):
    kenya = OrganisationFactory(
        code="KEN", name_en="Kenya Red Cross Society", name_ar="جمعية الصليب الأحمر الكينية"
    )
    kenya.region = "Africa"
    france = OrganisationFactory(code="FRA", name_en="French Red Cross", region="Europe", active=False)
    UserFactory.create_batch(3, organisation=kenya)
    UserFactory(organisation=kenya, deleted_at=utcnow())
    BranchFactory(organisation=kenya)
    BranchFactory(organisation=kenya, active=False)

    everyone = services.list_organisations(db_session, visible_ids=None)
    counts = {item.organisation.code: (item.people, item.branches) for item in everyone.items}
    assert counts == {"KEN": (3, 1), "FRA": (0, 0)}

    def codes(**filters):
        page = services.list_organisations(db_session, visible_ids=None, **filters)
        return [item.organisation.code for item in page.items]

    assert codes(region="Africa") == ["KEN"]
    assert codes(active=False) == ["FRA"]
    assert codes(search="الكينية") == ["KEN"]
    assert codes(search="fra") == ["FRA"]
    assert codes(search="100%") == []
    assert services.list_organisations(db_session, visible_ids={france.id}).total == 1


def test_list_organisations_pages(db_session):
    OrganisationFactory.create_batch(7)
    page = services.list_organisations(db_session, visible_ids=None, page=2, per_page=5)
    assert (page.total, page.pages, page.page, len(page.items)) == (7, 2, 2, 2)
    assert services.list_organisations(db_session, visible_ids=None, page=99, per_page=5).page == 2


# --- Support contacts ---


def test_support_contacts_fall_back_from_organisation_to_movement_default_to_none(db_session, focal, org):
    admin = RoleGrantFactory(role="admin").user
    assert services.support_contacts_for(db_session, org) is None

    services.set_default_support_contacts(db_session, admin, "Movement helpline: +41 22 000 00 00")
    assert services.support_contacts_for(db_session, org) == "Movement helpline: +41 22 000 00 00"

    services.set_support_contacts(db_session, focal, org, "  Call 1199\r\nor write to pss@example.org  \n")
    assert services.support_contacts_for(db_session, org) == "Call 1199\nor write to pss@example.org"

    services.set_support_contacts(db_session, focal, org, "   ")
    assert org.support_contacts is None
    assert services.support_contacts_for(db_session, org) == "Movement helpline: +41 22 000 00 00"

    services.set_default_support_contacts(db_session, admin, "")
    assert db_session.get(SiteSetting, "support_contacts") is None
    assert services.support_contacts_for(db_session, org) is None
    assert [e.action for e in db_session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "site.support_contacts",
        "org.support_contacts",
        "org.support_contacts",
        "site.support_contacts",
    ]


def test_support_contacts_longer_than_2000_characters_are_refused(db_session, focal, org):
    with pytest.raises(services.SupportContactsTooLong):
        services.set_support_contacts(db_session, focal, org, "x" * 2001)
    services.set_support_contacts(db_session, focal, org, "x" * 2000)
    assert len(org.support_contacts) == 2000


def test_only_admins_set_the_movement_default(db_session, focal):
    with pytest.raises(PermissionDenied):
        services.set_default_support_contacts(db_session, focal, "Anything")
