"""When the database is unreachable: a translated 503 page, and /healthz says so."""

from __future__ import annotations

import pytest

from lms import create_app

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=1"


@pytest.fixture
def down_app():
    return create_app({"DATABASE_URL": UNREACHABLE, "SECRET_KEY": "x", "TESTING": True})


def test_healthz_reports_unreachable_database(down_app):
    response = down_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}


def test_page_needing_the_database_gets_a_translated_503(down_app):
    client = down_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:token"
    response = client.get("/", headers={"Accept-Language": "fr"})
    assert response.status_code == 503
    assert b'lang="fr"' in response.data
    assert b"Traceback" not in response.data
