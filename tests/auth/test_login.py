"""Logging in and out: generic refusal, `next` kept on this site, remember me, rate limits."""

from __future__ import annotations

import pytest
from flask_login import COOKIE_NAME

from tests.auth.conftest import PASSWORD, user_by_email
from tests.factories import UserFactory


@pytest.fixture
def person(db_session):
    user = UserFactory(email="amina@example.org", name="Amina", password=PASSWORD)
    db_session.commit()
    return user


def _login(client, email="amina@example.org", password=PASSWORD, query="", **extra):
    return client.post(f"/login{query}", data={"email": email, "password": password, **extra})


def _logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_login_page_is_served(client):
    page = client.get("/login").get_data(as_text=True)
    assert "<h1>Log in</h1>" in page
    assert 'autocomplete="current-password"' in page


def test_login_with_the_right_password_goes_home_and_records_the_time(client, db_session, person):
    response = _login(client, email=" AMINA@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _logged_in(client)
    assert user_by_email(db_session, "amina@example.org").last_login_at is not None


@pytest.mark.parametrize(
    ("email", "password"),
    [("amina@example.org", "not my password"), ("nobody@example.org", PASSWORD)],
)
def test_refusal_does_not_say_whether_the_address_exists(client, person, email, password):
    response = _login(client, email=email, password=password)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "E-mail or password is incorrect." in page
    assert not _logged_in(client)


def test_missing_fields_are_explained(client):
    response = _login(client, email="", password="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your e-mail address." in page
    assert "Enter your password." in page


def test_safe_next_is_followed(client, person):
    response = _login(client, query="?next=/account")
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example", "/\\evil.example", "http://localhost.evil.example/"]
)
def test_next_to_another_site_goes_home(client, person, target):
    response = client.post(
        "/login", query_string={"next": target}, data={"email": "amina@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_protected_page_sends_to_login_and_back(client, person):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'action="/login?next=/account"' in login_page
    assert _login(client, query="?next=%2Faccount").headers["Location"] == "/account"


def test_logout_ends_the_session_and_needs_post(client, person):
    _login(client)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert not _logged_in(client)


def test_remember_me_sets_a_lasting_cookie_that_logs_in_again(app, client, person):
    _login(client, remember="y")
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is not None and cookie.http_only
    fresh = app.test_client()
    fresh.set_cookie(COOKIE_NAME, cookie.value)
    assert _logged_in(fresh)


def test_no_remember_cookie_without_remember_me(client, person):
    _login(client)
    assert client.get_cookie(COOKIE_NAME) is None


def test_logout_clears_the_remember_cookie(client, person):
    _login(client, remember="y")
    client.post("/logout")
    assert client.get_cookie(COOKIE_NAME) is None
    assert not _logged_in(client)


def test_twenty_wrong_passwords_end_in_429(client, person):
    statuses = [_login(client, password=f"wrong password {n}").status_code for n in range(20)]
    assert statuses[0] == 422
    assert statuses[-1] == 429
    assert set(statuses) == {422, 429}
    assert statuses.index(429) == 10  # LOGIN_LIMIT_PER_ACCOUNT: 10 per 15 minutes
    response = _login(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many attempts in a short time. Please wait a few minutes and try again." in page
    assert int(response.headers["Retry-After"]) > 0


def test_account_limit_follows_the_address_whatever_its_case(client, person, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per minute")
    _login(client, email="amina@example.org", password="wrong password 1")
    _login(client, email=" AMINA@EXAMPLE.ORG", password="wrong password 2")
    assert _login(client, email="Amina@Example.org").status_code == 429
    assert _login(client, email="someone.else@example.org", password="x").status_code == 422


def test_ip_limit_counts_attempts_on_every_account(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "3 per minute")
    statuses = [_login(client, email=f"person{n}@example.org").status_code for n in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_successful_logins_do_not_count_against_the_limit(client, person, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per minute")
    for _ in range(4):
        assert _login(client).status_code == 302
        client.post("/logout")
