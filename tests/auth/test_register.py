"""The registration page: what it offers, what it refuses and what it stores."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.auth.models import Invitation
from lms.auth.services import hash_token
from lms.db import utcnow
from tests.auth.conftest import PASSWORD, registration_form, user_by_email
from tests.factories import BranchFactory, OrganisationFactory, UserFactory


def test_register_page_lists_active_organisations_in_the_readers_language(client, db_session, org):
    OrganisationFactory(name_en="Gone Red Cross", name_fr="Croix-Rouge disparue", active=False)
    db_session.commit()
    page = client.get("/register", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Croix-Rouge du Kenya" in page
    assert "disparue" not in page
    assert 'href="/privacy"' in page
    assert 'lang="ar"' in page and "العربية" in page


def test_branches_are_grouped_under_their_organisation_and_inactive_ones_hidden(
    client, db_session, org, branch
):
    BranchFactory(organisation=org, name="Closed branch", active=False)
    db_session.commit()
    page = client.get("/register").get_data(as_text=True)
    assert (
        f'<optgroup label="Kenya Red Cross Society"><option value="{branch.id}">Nairobi</option></optgroup>'
        in page
    )
    assert "Closed branch" not in page


def test_registration_logs_the_person_in_and_stores_consent(client, db_session, org, branch):
    response = client.post("/register", data=registration_form(org, branch=str(branch.id)))
    assert response.status_code == 302
    user = user_by_email(db_session, "amina.njoroge@example.org")
    assert user.branch_id == branch.id
    assert user.consented_at is not None
    assert user.person_kind == "volunteer"
    page = client.get("/").get_data(as_text=True)
    assert "Log out" in page
    assert "Welcome, Amina Njoroge" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "too short", "confirm": "too short"}, "password", "at least 10 characters"),
        (
            {"password": "amina.njoroge@example.org", "confirm": "amina.njoroge@example.org"},
            "password",
            "must not be your e-mail address or your name",
        ),
        ({"password": "AMINA NJOROGE", "confirm": "AMINA NJOROGE"}, "password", "must not be your e-mail"),
        ({"confirm": "something else entirely"}, "confirm", "The two passwords are not the same."),
        ({"consent": None}, "consent", "You need to agree to the privacy notice"),
        ({"name": "   "}, "name", "Enter your name."),
        ({"email": "not-an-address"}, "email", "Enter an e-mail address like name@example.org."),
        ({"organisation": ""}, "organisation", "Choose your organisation."),
        ({"organisation": "999999"}, "organisation", "Choose your organisation from the list."),
        ({"person_kind": "boss"}, "person_kind", "Say whether you are staff or a volunteer."),
        ({"locale": "de"}, "locale", "Choose a language from the list."),
        ({"branch": "abc"}, "branch", "Choose a branch from the list."),
    ],
)
def test_bad_registration_is_shown_again_with_a_message_on_the_field(
    client, db_session, org, changes, field, message
):
    response = client.post("/register", data=registration_form(org, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in page
    assert f'id="{field}-error"' in page
    assert message in page
    assert user_by_email(db_session, "amina.njoroge@example.org") is None


def test_duplicate_email_gets_a_clear_message_on_the_email_field(client, db_session, org):
    UserFactory(email="amina.njoroge@example.org")
    db_session.commit()
    response = client.post("/register", data=registration_form(org, email="AMINA.NJOROGE@example.org"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in page
    assert "An account already uses this e-mail address." in page


def test_branch_of_another_organisation_is_refused(client, db_session, org):
    foreign = BranchFactory(organisation=OrganisationFactory(), name="Elsewhere")
    db_session.commit()
    response = client.post("/register", data=registration_form(org, branch=str(foreign.id)))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="branch-error"' in page
    assert "Choose a branch of your own organisation" in page
    assert user_by_email(db_session, "amina.njoroge@example.org") is None


def test_the_form_is_kept_when_shown_again(client, org):
    page = client.post("/register", data=registration_form(org, consent=None)).get_data(as_text=True)
    assert 'value="Amina Njoroge"' in page
    assert f'<option selected value="{org.id}">' in page
    assert PASSWORD not in page


def _invitation(org, branch, token="invitation-token", **changes):
    values = {
        "organisation": org,
        "branch": branch,
        "email": "invited@example.org",
        "name": "Invited Person",
        "person_kind": "staff",
        "locale": "es",
        "token_hash": hash_token(token),
        "expires_at": utcnow() + timedelta(days=3),
    }
    values.update(changes)
    return Invitation(**values)


def test_invitation_prefills_the_form_and_is_accepted_on_registration(client, db_session, org, branch):
    db_session.add(_invitation(org, branch))
    db_session.commit()
    page = client.get("/register?invite=invitation-token").get_data(as_text=True)
    assert 'value="Invited Person"' in page
    assert 'value="invited@example.org"' in page
    assert f'<option selected value="{org.id}">' in page
    assert f'<option selected value="{branch.id}">' in page
    assert 'checked id="person_kind-0"' in page or 'id="person_kind-0" checked' in page
    assert '<option lang="es" selected value="es">' in page
    form = registration_form(
        org,
        name="Invited Person",
        email="invited@example.org",
        branch=str(branch.id),
        person_kind="staff",
        locale="es",
        invite="invitation-token",
    )
    assert client.post("/register", data=form).status_code == 302
    invitation = db_session.query(Invitation).one()
    assert invitation.accepted_at is not None
    assert user_by_email(db_session, "invited@example.org").locale == "es"


def test_expired_invitation_says_so_and_leaves_the_form_empty(client, db_session, org, branch):
    db_session.add(_invitation(org, branch, expires_at=utcnow() - timedelta(minutes=1)))
    db_session.commit()
    response = client.get("/register?invite=invitation-token")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This invitation link has expired or was already used." in page
    assert "Invited Person" not in page


def test_logged_in_person_is_sent_home_from_register(client, org):
    client.post("/register", data=registration_form(org))
    response = client.get("/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
