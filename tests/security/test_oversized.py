"""Requests too large for the site are refused with the translated 413 page, before any work is done."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, stream_encode_multipart

from lms.auth.models import Invitation
from lms.learning.models import Reflection
from tests.security.conftest import client_as

MAX = 2 * 1024 * 1024


def post_multipart(client: FlaskClient, url: str, data: dict[str, Any]) -> TestResponse:
    """POST `data` as multipart/form-data, encoded in memory (the test client would spool a large
    body to a temporary file that nothing closes when the app refuses it unread)."""
    stream, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    return client.post(
        url,
        input_stream=stream,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_the_limit_is_two_mebibytes(app):
    assert app.config["MAX_CONTENT_LENGTH"] == MAX


@pytest.mark.parametrize(("language", "title"), [("en", "Too large"), ("fr", "Trop volumineux")])
def test_a_body_over_the_limit_gets_the_translated_413_page(app, db_session, world, language, title):
    response = client_as(app, world, "anonymous").post(
        "/login",
        data={"email": world.emails["learner"], "password": "x" * (MAX + 1)},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert f'lang="{language}"' in page
    assert f"<h1>{title}</h1>" in page


def test_an_upload_over_the_limit_is_refused_and_nothing_is_imported(app, db_session, world):
    rows = "name,email,branch,staff_or_volunteer,language\n" + "Some One,one@example.org,,staff,en\n" * 80_000
    assert len(rows) > MAX
    response = post_multipart(
        client_as(app, world, "focal_a"),
        f"/reports/org/{world.org_a}/invitations",
        {"file": FileStorage(io.BytesIO(rows.encode()), "people.csv", content_type="text/csv")},
    )
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_a_text_field_over_the_form_memory_limit_is_413_not_an_error(app, db_session, world):
    """Werkzeug keeps at most 500 kB of a multipart field in memory: a longer one is refused cleanly."""
    url = f"/learn/{world.slug}/{world.reflection_lesson}/reflection/{world.reflection_block}"
    response = post_multipart(
        client_as(app, world, "learner"), url, {f"{world.reflection_block}-text": "x" * 600_000}
    )
    assert response.status_code == 413


def test_a_long_reflection_is_refused_with_its_message(app, db_session, world):
    url = f"/learn/{world.slug}/{world.reflection_lesson}/reflection/{world.reflection_block}"
    response = client_as(app, world, "learner").post(
        url, data={f"{world.reflection_block}-text": "x" * 20_000}
    )
    assert "Please keep your note under 10000 characters." in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Reflection)) == 0


def test_a_form_of_thousands_of_parts_is_413(app, db_session, world):
    data = {f"field{number}": "x" for number in range(2000)}
    response = client_as(app, world, "anonymous").post(
        "/login", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 413


def test_a_body_without_a_length_is_cut_at_the_limit(app, db_session, world):
    body = b"email=a%40example.org&password=" + b"x" * (MAX + 1)
    response = client_as(app, world, "anonymous").post(
        "/login",
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
