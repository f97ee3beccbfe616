"""CSRF on every account form, throttled registration, cookies, and the rate limits shared through Redis."""

from __future__ import annotations

import re

import pytest
import redis

from lms import create_app
from lms.db import get_db
from lms.extensions import limiter
from tests.auth.conftest import PASSWORD, registration_form
from tests.conftest import TEST_CONFIG, migrate_to_head, unavailable
from tests.factories import UserFactory

CSRF_MESSAGE = "This form has expired or was sent from elsewhere. Please reload the page and try again."
REDIS_DB = 13


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.fixture
def person(db_session):
    user = UserFactory(email="amina@example.org", password=PASSWORD)
    db_session.commit()
    return user


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize(
    "path", ["/login", "/register", "/reset", "/logout", "/account", "/account/password"]
)
def test_post_without_csrf_token_gets_the_translated_400_page(client, csrf_on, path):
    response = client.post(path, data={"email": "amina@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    french = client.post(path, headers={"Accept-Language": "fr"})
    assert french.status_code == 400
    assert 'lang="fr"' in french.get_data(as_text=True)


def test_logout_without_csrf_token_keeps_the_session(client, csrf_on, person):
    token = _token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": "amina@example.org", "password": PASSWORD, "csrf_token": token})
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200


def test_forms_carry_a_token_that_is_accepted(client, csrf_on, org, person):
    for path in ("/login", "/register", "/reset"):
        assert _token(client.get(path).get_data(as_text=True))
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": "amina@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": _token(page)}).status_code == 302


def test_registrations_are_rate_limited_per_ip(app, client, org, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_LIMIT_PER_IP", "2 per hour")
    first = client.post("/register", data=registration_form(org, consent=None))
    second = client.post("/register", data=registration_form(org, consent=None))
    third = client.post("/register", data=registration_form(org))
    assert [first.status_code, second.status_code, third.status_code] == [422, 422, 429]
    assert "Too many attempts" in third.get_data(as_text=True)


def test_session_and_remember_cookies_are_httponly_and_lax(client, person):
    response = client.post(
        "/login", data={"email": "amina@example.org", "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie


# --- several workers sharing their counts through Redis ------------------------------------------


@pytest.fixture
def redis_url(app):
    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    connection = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        connection.flushdb()
    except redis.exceptions.ConnectionError as error:
        unavailable(f"Redis at {url} does not answer: {error}")
    yield url
    connection.flushdb()
    connection.close()
    # The limiter is one object: point it back at the storage of the session's test app.
    limiter.init_app(app)


def _worker(database_url: str, storage_url: str):
    return create_app(
        {
            **TEST_CONFIG,
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URL": storage_url,
            "LOGIN_LIMIT_PER_IP": "3 per minute",
        }
    )


def _wrong_login(worker):
    return worker.test_client().post("/login", data={"email": "x@example.org", "password": "wrong password"})


@pytest.fixture
def database_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
    first = _worker(url, "memory://")
    with first.app_context():
        migrate_to_head(get_db().engine)
    return url


def test_two_workers_share_the_login_limit_through_redis(redis_url, database_url):
    first = _worker(database_url, redis_url)
    assert [_wrong_login(first).status_code for _ in range(2)] == [422, 422]
    # Building the second worker gives the limiter a new Redis connection: only Redis holds the count.
    second = _worker(database_url, redis_url)
    assert _wrong_login(second).status_code == 422
    assert _wrong_login(second).status_code == 429
    assert _wrong_login(first).status_code == 429
    assert redis.Redis.from_url(redis_url).keys("*LIMITER/*")


def test_workers_with_memory_storage_do_not_share(redis_url, database_url):
    first = _worker(database_url, "memory://")
    assert [_wrong_login(first).status_code for _ in range(3)] == [422, 422, 422]
    second = _worker(database_url, "memory://")
    assert _wrong_login(second).status_code == 422
