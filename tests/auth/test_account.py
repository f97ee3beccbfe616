"""The profile page and changing the password, which ends every other session."""

from __future__ import annotations

import pytest
from flask_login import COOKIE_NAME

from tests.auth.conftest import PASSWORD, user_by_email
from tests.factories import BranchFactory, OrganisationFactory, UserFactory

NEW_PASSWORD = "a different calm voice"


@pytest.fixture
def person(db_session, org):
    user = UserFactory(email="amina@example.org", name="Amina", password=PASSWORD, organisation=org)
    db_session.commit()
    return user


def _login(client, password=PASSWORD, **extra):
    response = client.post("/login", data={"email": "amina@example.org", "password": password, **extra})
    assert response.status_code == 302, response.status_code
    return response


def _logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_profile_shows_the_persons_details(client, person, branch):
    _login(client)
    page = client.get("/account").get_data(as_text=True)
    assert "amina@example.org" in page
    assert "Kenya Red Cross Society" in page
    assert 'value="Amina"' in page
    assert f'<option value="{branch.id}">Nairobi</option>' in page


def test_profile_changes_name_branch_kind_and_language(client, db_session, person, branch):
    _login(client)
    response = client.post(
        "/account",
        data={"name": "Amina W.", "branch": str(branch.id), "person_kind": "staff", "locale": "fr"},
    )
    assert response.status_code == 302
    user = user_by_email(db_session, "amina@example.org")
    assert (user.name, user.branch_id, user.person_kind, user.locale) == (
        "Amina W.",
        branch.id,
        "staff",
        "fr",
    )
    assert 'lang="fr"' in client.get("/account").get_data(as_text=True)


def test_profile_refuses_a_branch_of_another_organisation(client, db_session, person):
    foreign = BranchFactory(organisation=OrganisationFactory(), name="Elsewhere")
    db_session.commit()
    _login(client)
    response = client.post(
        "/account", data={"name": "Amina", "branch": str(foreign.id), "person_kind": "staff", "locale": "en"}
    )
    assert response.status_code == 422
    assert "Choose a branch of your own organisation" in response.get_data(as_text=True)
    assert user_by_email(db_session, "amina@example.org").branch_id is None


def test_profile_needs_login(client):
    assert client.get("/account").status_code == 302
    assert client.get("/account/password").status_code == 302


def test_password_change_ends_other_sessions_and_remember_cookies_but_not_this_one(app, client, person):
    other = app.test_client()
    _login(other, remember="y")
    remembered = other.get_cookie(COOKIE_NAME).value
    _login(client)
    assert _logged_in(other)

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert _logged_in(client)
    assert not _logged_in(other)
    third = app.test_client()
    third.set_cookie(COOKIE_NAME, remembered)
    assert not _logged_in(third)

    client.post("/logout")
    assert client.post("/login", data={"email": "amina@example.org", "password": PASSWORD}).status_code == 422
    _login(client, password=NEW_PASSWORD)


def test_password_change_keeps_this_devices_remember_cookie_working(app, client, person):
    _login(client, remember="y")
    client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    renewed = app.test_client()
    renewed.set_cookie(COOKIE_NAME, client.get_cookie(COOKIE_NAME).value)
    assert _logged_in(renewed)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"current_password": "wrong one", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "Your current password is not right.",
        ),
        ({"current_password": PASSWORD, "password": "short", "confirm": "short"}, "at least 10 characters"),
        (
            {"current_password": PASSWORD, "password": "amina@example.org", "confirm": "amina@example.org"},
            "must not be your e-mail",
        ),
        (
            {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": "not the same"},
            "The two passwords are not the same.",
        ),
    ],
)
def test_bad_password_change_is_refused(client, db_session, person, data, message):
    _login(client)
    response = client.post("/account/password", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    _login(client)
