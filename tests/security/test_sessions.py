"""A session that has ended stays ended, even for someone who kept a copy of its cookies.

Throttled logins, the reset page's silence about accounts and the end of sessions on password
change are tested in tests/auth (test_login, test_reset, test_account); here: replayed cookies.
"""

from __future__ import annotations

from flask_login import COOKIE_NAME

from tests.security.conftest import PASSWORD, client_as

NEW_PASSWORD = "another long passphrase"


def _logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def _log_in(app, world, remember: bool = False):
    client = app.test_client()
    data = {"email": world.emails["learner"], "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def _copy(app, client, *names: str):
    """Another browser holding copies of `client`'s cookies named `names`."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def test_a_copied_session_cookie_is_useless_after_logout(app, db_session, world):
    client = _log_in(app, world)
    thief = _copy(app, client, app.config["SESSION_COOKIE_NAME"])
    assert _logged_in(thief)
    client.post("/logout")
    assert not _logged_in(thief)


def test_a_copied_remember_cookie_is_useless_after_logout(app, db_session, world):
    client = _log_in(app, world, remember=True)
    thief = _copy(app, client, COOKIE_NAME)
    assert _logged_in(thief)
    client.post("/logout")
    assert not _logged_in(thief)


def test_copied_cookies_are_useless_after_a_password_change(app, db_session, world):
    client = _log_in(app, world, remember=True)
    thief = _copy(app, client, app.config["SESSION_COOKIE_NAME"], COOKIE_NAME)
    changed = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert _logged_in(client)
    assert not _logged_in(thief)


def test_a_deleted_account_cannot_be_used_with_its_old_cookies(app, db_session, world):
    client = _log_in(app, world, remember=True)
    thief = _copy(app, client, app.config["SESSION_COOKIE_NAME"], COOKIE_NAME)
    client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert not _logged_in(thief)


def test_a_forged_session_is_refused(app, db_session, world):
    forged = app.test_client()
    forged.set_cookie(app.config["SESSION_COOKIE_NAME"], "eyJfdXNlcl9pZCI6IjE6eCJ9.forged.signature")
    assert not _logged_in(forged)
    guessed = client_as(app, world, "anonymous")
    with guessed.session_transaction() as cookie:
        cookie["_user_id"] = f"{world.users['admin']}:not-the-token"
    assert guessed.get("/reports/movement.csv").status_code == 302
