"""What a logged-in person sees is stored by no shared cache, nor kept for the back button after logout.

Every answer to a logged-in person says `Cache-Control: private, no-store`, pages and exports
alike; static assets and course media, the same for everyone, keep their year of caching, and
anonymous pages keep what they had.
"""

from __future__ import annotations

import re

import pytest

from tests.security.conftest import PASSWORD, client_as, undone
from tests.security.test_route_matrix import PROBES, ROWS

NO_STORE = "private, no-store"
SHARED_RULES = {"/static/<path:filename>", "/media/<sha256>"}
GET_ROWS = [row for row in ROWS + PROBES if row.method == "GET" and row.rule not in SHARED_RULES]


@pytest.mark.parametrize("role", ["learner", "focal_a", "focal_b", "author", "admin"])
def test_every_answer_to_a_logged_in_person_is_private_and_not_stored(app, db_session, world, role):
    problems = []
    for row in GET_ROWS:
        with undone(app, db_session):
            response = client_as(app, world, role).get(row.url.format(**world.__dict__), headers=row.headers)
            response.close()
        if response.headers.get("Cache-Control") != NO_STORE:
            problems.append(f"{row.id} → {response.status_code}: {response.headers.get('Cache-Control')!r}")
    assert not problems, f"as {role}: " + "; ".join(problems)


def test_a_learners_dashboard_is_not_stored_and_is_gone_after_logout(app, db_session, world):
    client = app.test_client()
    logged_in = client.post("/login", data={"email": world.emails["learner"], "password": PASSWORD})
    assert logged_in.status_code == 302
    dashboard = client.get("/me")
    assert dashboard.status_code == 200
    assert dashboard.headers["Cache-Control"] == NO_STORE
    assert dashboard.cache_control.no_store and dashboard.cache_control.private
    assert not dashboard.cache_control.public and dashboard.cache_control.max_age is None
    logged_out = client.post("/logout")
    assert logged_out.status_code == 302
    assert "no-store" not in logged_out.headers.get("Cache-Control", "")
    assert client.get("/me").headers["Location"].startswith("/login")


def test_exports_for_a_logged_in_person_are_not_stored(app, db_session, world):
    focal = client_as(app, world, "focal_a")
    for url in (f"/reports/org/{world.org_a}/export.csv", f"/reports/org/{world.org_a}/export.xlsx"):
        response = focal.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == NO_STORE, url
    pdf = client_as(app, world, "learner").get(f"/certificates/{world.certificate}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Cache-Control"] == NO_STORE


@pytest.mark.parametrize("url", ["/", "/courses", "/login", "/verify/{certificate}"])
def test_anonymous_pages_keep_their_caching(app, db_session, world, url):
    response = client_as(app, world, "anonymous").get(url.format(**world.__dict__))
    assert response.status_code == 200
    assert "Cache-Control" not in response.headers


def test_the_public_verification_page_is_not_stored_for_a_logged_in_person(app, db_session, world):
    response = client_as(app, world, "learner").get(f"/verify/{world.certificate}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == NO_STORE


@pytest.mark.parametrize("role", ["anonymous", "learner"])
def test_static_assets_and_media_keep_their_year_of_caching(app, db_session, world, role):
    client = client_as(app, world, role)
    page = client.get("/courses").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]{12})"', page)
    assert any("/css/main.css" in url for url in assets)
    for url in [*assets, f"/media/{world.media}"]:
        with client.get(url) as response:
            assert response.status_code == 200, url
        cache_control = response.cache_control
        assert cache_control.immutable and cache_control.public, (url, response.headers["Cache-Control"])
        assert cache_control.max_age == 365 * 24 * 3600, url
        assert not cache_control.no_store and not cache_control.private, url
    with client.get("/static/css/main.css") as unfingerprinted:
        assert unfingerprinted.status_code == 200
    assert unfingerprinted.headers["Cache-Control"] == "no-cache"
