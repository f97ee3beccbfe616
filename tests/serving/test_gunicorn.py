"""Production serving: `gunicorn wsgi:app` with 2 workers on PostgreSQL, CSRF on, as deployed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from bench._journey import Learner, Stats, form_posting_to
from bench._server import Gunicorn
from tests.serving.conftest import gunicorn_on, run

pytestmark = pytest.mark.postgres_only

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@pytest.fixture(scope="module")
def server(serving_database, tmp_path_factory) -> Iterator[Gunicorn]:
    with gunicorn_on(serving_database, tmp_path_factory.mktemp("gunicorn")) as started:
        yield started


def test_health_check_answers_json_when_the_database_answers(server):
    response = httpx.get(server.url + "/healthz", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}


def test_home_page_is_served_with_the_security_headers(server):
    response = httpx.get(server.url + "/", timeout=10)
    assert response.status_code == 200
    assert response.text.count("<h1") == 1
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    # Plain http here: no HSTS, and the session cookie is not marked Secure.
    assert "Strict-Transport-Security" not in response.headers


def test_registration_logout_and_login_go_through_the_real_server_with_csrf(server, course_key):
    email = f"serving-{uuid.uuid4().hex[:8]}@example.org"

    async def journey() -> tuple[int, int, str]:
        learner = Learner(server.url, Stats(), course_key, email)
        try:
            await learner.register()
            home = await learner.request("home", "GET", "/")
            logout = form_posting_to(home.text, "/logout").hidden()
            await learner.request("logout", "POST", "/logout", data=logout, expect=(302,))
            page = await learner.request("login page", "GET", "/login")
            token = form_posting_to(page.text, "/login").hidden()
            refused = await learner.client.post(
                "/login", data={"email": email, "password": "a long volunteer passphrase"}
            )
            logged_in = await learner.client.post(
                "/login", data={**token, "email": email, "password": "a long volunteer passphrase"}
            )
            return refused.status_code, logged_in.status_code, logged_in.headers["set-cookie"]
        finally:
            await learner.close()

    without_token, with_token, set_cookie = run(journey())
    assert without_token == 400
    assert with_token == 302
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie


def test_each_request_writes_one_json_line_to_the_request_log(server):
    request_id = uuid.uuid4().hex
    response = httpx.get(server.url + "/courses", headers={"X-Request-Id": request_id}, timeout=10)
    assert response.headers["X-Request-Id"] == request_id
    lines = [line for line in server.log_text().splitlines() if request_id in line]
    assert len(lines) == 1
    # The message of the lms.request logger is one JSON object (after the time and level today).
    assert "lms.request" in lines[0]
    entry = json.loads(lines[0][lines[0].index("{") :])
    assert entry["request_id"] == request_id
    assert entry["method"] == "GET"
    assert entry["path"] == "/courses"
    assert entry["status"] == 200
    assert entry["user"] is None
    assert entry["bytes"] == len(response.content)
    assert isinstance(entry["ms"], float)
