"""Password reset by e-mail, through a real SMTP server on this machine."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lms.auth import views
from lms.auth.models import PasswordResetToken
from lms.auth.services import hash_token
from lms.db import utcnow
from tests.auth.conftest import PASSWORD, registration_form, user_by_email
from tests.factories import UserFactory

NEW_PASSWORD = "a fresh start every day"
SENT = "If an account exists for this address, we have sent a link to choose a new password."
INVALID = "This password-reset link is wrong, has expired or was already used."


def _ask_reset(client, email):
    # Following the redirect closes the first response, which is when the mail goes out.
    return client.post("/reset", data={"email": email}, follow_redirects=True)


def test_register_logout_login_reset_by_mail_and_login_with_the_new_password(client, db_session, org, inbox):
    assert client.post("/register", data=registration_form(org)).status_code == 302
    assert client.post("/logout").status_code == 302
    login = {"email": "amina.njoroge@example.org", "password": PASSWORD}
    assert client.post("/login", data=login).status_code == 302
    assert client.post("/logout").status_code == 302

    response = _ask_reset(client, "Amina.Njoroge@example.org")
    assert response.status_code == 200
    assert SENT in response.get_data(as_text=True)
    message = inbox.messages[0]
    assert message["To"] == "amina.njoroge@example.org"
    assert message["Subject"] == "Reset your PSS Learning password"
    assert "Hello Amina Njoroge," in message.get_content()
    link = inbox.only_link()
    assert link.startswith("http://localhost/reset/")
    path = urlsplit(link).path

    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"

    second = client.get(path)
    assert second.status_code == 400
    assert INVALID in second.get_data(as_text=True)
    assert 'href="/reset"' in second.get_data(as_text=True)
    again = client.post(path, data={"password": "yet another password", "confirm": "yet another password"})
    assert again.status_code == 400

    assert client.post("/login", data=login).status_code == 422
    assert client.post("/login", data={**login, "password": NEW_PASSWORD}).status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_mail(client, db_session, inbox):
    UserFactory(email="amina@example.org")
    db_session.commit()
    known = client.post("/reset", data={"email": "amina@example.org"})
    unknown = client.post("/reset", data={"email": "nobody@example.org"})
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    known.close()
    unknown.close()
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["To"] == "amina@example.org"
    assert client.get(unknown.headers["Location"]).get_data(as_text=True).count(SENT) == 1


def test_reset_link_uses_base_url_and_expires_after_the_configured_age(
    app, client, db_session, inbox, monkeypatch
):
    monkeypatch.setitem(app.config, "BASE_URL", "https://learn.example.org/")
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", 600)
    UserFactory(email="amina@example.org")
    db_session.commit()
    _ask_reset(client, "amina@example.org")
    link = inbox.only_link()
    assert link.startswith("https://learn.example.org/reset/")
    assert "within 10 minutes" in inbox.messages[0].get_content()
    token = link.rsplit("/", 1)[1]
    row = db_session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token))
    )
    assert timedelta(minutes=9) < row.expires_at - utcnow() <= timedelta(minutes=10)


def test_reset_mail_is_written_in_the_persons_language(client, db_session, inbox, monkeypatch):
    languages = []
    real_force_locale = views.force_locale

    def recording_force_locale(locale):
        languages.append(locale)
        return real_force_locale(locale)

    monkeypatch.setattr(views, "force_locale", recording_force_locale)
    UserFactory(email="amina@example.org", locale="ar")
    db_session.commit()
    _ask_reset(client, "amina@example.org")
    assert languages == ["ar"]
    assert len(inbox.messages) == 1


def test_wrong_token_gets_a_clear_400_page(client):
    response = client.get("/reset/not-a-real-token")
    assert response.status_code == 400
    assert INVALID in response.get_data(as_text=True)


def test_expired_token_gets_a_clear_400_page(client, db_session, inbox):
    UserFactory(email="amina@example.org")
    db_session.commit()
    _ask_reset(client, "amina@example.org")
    path = urlsplit(inbox.only_link()).path
    db_session.execute(
        PasswordResetToken.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db_session.commit()
    for response in (
        client.get(path),
        client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ):
        assert response.status_code == 400
        assert INVALID in response.get_data(as_text=True)


def test_reset_ends_existing_sessions(app, client, db_session, inbox):
    UserFactory(email="amina@example.org", password=PASSWORD)
    db_session.commit()
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": "amina@example.org", "password": PASSWORD})
    assert elsewhere.get("/account").status_code == 200
    _ask_reset(client, "amina@example.org")
    path = urlsplit(inbox.only_link()).path
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert elsewhere.get("/account").status_code == 302


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", "at least 10 characters"),
        ("amina@example.org", "amina@example.org", "must not be your e-mail"),
        (NEW_PASSWORD, "something else", "The two passwords are not the same."),
    ],
)
def test_refused_new_password_keeps_the_link_usable(client, db_session, inbox, password, confirm, message):
    UserFactory(email="amina@example.org")
    db_session.commit()
    _ask_reset(client, "amina@example.org")
    path = urlsplit(inbox.only_link()).path
    response = client.post(path, data={"password": password, "confirm": confirm})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_reset_request_needs_a_valid_address(client):
    response = client.post("/reset", data={"email": "nonsense"})
    assert response.status_code == 422
    assert "Enter an e-mail address like name@example.org." in response.get_data(as_text=True)


def test_reset_requests_are_rate_limited_per_ip(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_LIMIT_PER_IP", "2 per minute")
    statuses = [client.post("/reset", data={"email": f"p{n}@example.org"}).status_code for n in range(3)]
    assert statuses == [302, 302, 429]


def test_mail_server_down_still_gives_the_same_answer(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", 9)  # discard port: nothing listens there
    UserFactory(email="amina@example.org")
    db_session.commit()
    response = _ask_reset(client, "amina@example.org")
    assert response.status_code == 200
    assert SENT in response.get_data(as_text=True)
    assert user_by_email(db_session, "amina@example.org") is not None
