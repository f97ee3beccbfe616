"""Scripts in every text people and authors write, and in every parameter echoed back, come out as text.

Checked here in the HTML the test client receives; tests/security/test_xss_browser.py checks
the same pages in Chromium, where nothing may run.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.courses.services import CoursesInvalid, checked_or_raise
from tests.courses.conftest import replace_in
from tests.security.hostile import (
    ESCAPED,
    PAYLOAD,
    RAW_MARKERS,
    HostileWorld,
    build_hostile_world,
    hostile_course,
    invitation_csv,
    pages,
    url_of,
)


@pytest.fixture
def hostile(db_session: Session, tmp_path: Path) -> HostileWorld:
    world = build_hostile_world(db_session, hostile_course(tmp_path))
    db_session.commit()
    return world


def as_role(app: Flask, world: HostileWorld, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        with client.session_transaction() as cookie:
            cookie["_user_id"] = world.logins[role]
            cookie["_fresh"] = True
    return client


def unescaped(page: str) -> list[str]:
    return [marker for marker in RAW_MARKERS if marker in page]


def test_every_page_shows_the_hostile_texts_as_text(app, db_session, hostile):
    problems = []
    for role, path, shows in pages(hostile):
        response = as_role(app, hostile, role).get(url_of(path))
        page = response.get_data(as_text=True)
        if response.status_code != 200:
            problems.append(f"{role} {path}: {response.status_code}")
        if unescaped(page):
            problems.append(f"{role} {path}: unescaped {unescaped(page)}")
        # The payload must be on the page: otherwise this test could not see it unescaped.
        if shows and ESCAPED not in page:
            problems.append(f"{role} {path}: the payload is not shown")
    assert not problems, "\n".join(problems)


def test_flash_messages_show_names_as_text(app, db_session, hostile):
    focal = as_role(app, hostile, "focal_a")
    added = focal.post(
        f"/orgs/{hostile.org_a}/branches", data={"branch-name": f"New {PAYLOAD}"}, follow_redirects=True
    )
    assert added.status_code == 200
    assert ESCAPED in added.get_data(as_text=True)
    assert not unescaped(added.get_data(as_text=True))
    registered = as_role(app, hostile, "anonymous").post(
        "/register",
        data={
            "name": PAYLOAD,
            "email": "new@example.org",
            "password": "a long enough passphrase",
            "confirm": "a long enough passphrase",
            "organisation": "",
            "person_kind": "staff",
            "locale": "en",
            "consent": "y",
        },
    )
    assert registered.status_code == 422
    assert not unescaped(registered.get_data(as_text=True))


def _upload(client: FlaskClient, world: HostileWorld, name: str, email: str, **kwargs: Any):
    data = {"file": (io.BytesIO(invitation_csv(name, email)), "people.csv")}
    return client.post(f"/reports/org/{world.org_a}/invitations", data=data, **kwargs)


def test_invited_names_are_listed_as_text(app, db_session, hostile):
    focal = as_role(app, hostile, "focal_a")
    accepted = _upload(focal, hostile, f"Other {PAYLOAD}", "other@example.org", follow_redirects=True)
    assert accepted.status_code == 200
    assert "Other &#34;&#39;&gt;" + ESCAPED in accepted.get_data(as_text=True)
    assert not unescaped(accepted.get_data(as_text=True))


def test_refused_values_of_an_invitation_file_are_shown_as_text(app, db_session, hostile):
    refused = _upload(as_role(app, hostile, "focal_a"), hostile, PAYLOAD, f"{PAYLOAD}@example.org")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "is not a valid e-mail address" in page
    assert not unescaped(page)


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/\t/evil.example",
        "\t//evil.example",
        "https:evil.example",
        "///evil.example",
    ],
)
def test_next_never_leads_to_a_script_or_another_site(app, db_session, hostile, target):
    client = as_role(app, hostile, "anonymous")
    form = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert not unescaped(form)
    logged_in = client.post(
        "/login",
        query_string={"next": target},
        data={"email": hostile.emails["learner"], "password": "correct horse battery"},
    )
    assert logged_in.headers["Location"] == "/"
    switched = client.get("/language/fr", query_string={"next": target})
    assert switched.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("markdown", "problem"),
    [
        ("<script>window.__xss=1</script>", "raw HTML is not allowed"),
        ('Hello <img src=x onerror="alert(1)">', "raw HTML is not allowed"),
        ("[Help](javascript:alert(1))", "is not allowed: links may only use https, http, mailto or tel"),
        ("[Help](data:text/html;base64,PHNjcmlwdD4=)", "is not allowed: links may only use"),
    ],
)
def test_course_markdown_with_html_or_script_links_is_refused(tmp_path, markdown, problem):
    folder = hostile_course(tmp_path)
    replace_in(folder / "modules" / "01-noticing.yaml", "## Support that starts with people", markdown)
    with pytest.raises(CoursesInvalid) as refused:
        checked_or_raise([str(folder)])
    assert problem in "\n".join(refused.value.messages)
