"""Media files served by hash, and the authors' pages: who may see them and what the preview shows."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from lms.courses import services
from lms.courses.models import CourseMedia
from tests.courses.conftest import COMPLETE, log_in
from tests.factories import CourseVersionFactory, RoleGrantFactory, UserFactory

SVG_SHA = hashlib.sha256((COMPLETE / "media" / "look-listen-link.svg").read_bytes()).hexdigest()
WAV_SHA = hashlib.sha256((COMPLETE / "media" / "pause-bell.wav").read_bytes()).hexdigest()


@pytest.fixture
def loaded(db_session):
    services.load_courses(db_session, [str(COMPLETE)])
    db_session.commit()


def test_media_is_served_by_hash_with_type_etag_and_a_year_of_cache(client, loaded):
    response = client.get(f"/media/{WAV_SHA}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "audio/wav"
    assert response.data == (COMPLETE / "media" / "pause-bell.wav").read_bytes()
    assert response.headers["ETag"] == f'"{WAV_SHA}"'
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.immutable and response.cache_control.public
    assert response.headers["Accept-Ranges"] == "bytes"


def test_media_answers_conditional_and_range_requests(client, loaded):
    assert client.get(f"/media/{WAV_SHA}", headers={"If-None-Match": f'"{WAV_SHA}"'}).status_code == 304
    partial = client.get(f"/media/{WAV_SHA}", headers={"Range": "bytes=0-3"})
    assert partial.status_code == 206
    assert partial.data == b"RIFF"


def test_svg_is_served_with_a_policy_that_runs_nothing(client, loaded):
    response = client.get(f"/media/{SVG_SHA}")
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", ["0" * 64, "not-a-hash", SVG_SHA.upper()])
def test_unknown_media_is_not_found(client, loaded, name):
    assert client.get(f"/media/{name}").status_code == 404


def test_media_of_every_version_stays_stored(db_session, loaded):
    assert {m.sha256 for m in db_session.scalars(select(CourseMedia))} == {SVG_SHA, WAV_SHA}


@pytest.fixture
def author(db_session):
    return RoleGrantFactory(role="author").user


def test_anonymous_visitors_are_sent_to_log_in(client, db_session):
    response = client.get("/authoring")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/authoring", "/authoring/complete-course/v1/en/what-is-pss"])
def test_learners_may_not_see_authoring_pages(client, db_session, loaded, path):
    log_in(client, UserFactory())
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["author", "admin"])
def test_authors_and_admins_see_courses_versions_and_warnings(client, db_session, role):
    version = CourseVersionFactory(
        course__slug="with-warnings",
        warnings=["modules/a.yaml:3:5: warning: no French translation of 'x.title'"],
    )
    CourseVersionFactory(course=version.course, number=2, label="2.0")
    user = RoleGrantFactory(role=role).user
    db_session.commit()
    log_in(client, user)
    page = client.get("/authoring").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert "with-warnings [en]" in page
    assert version.content_hash[:12] in page
    assert "/authoring/with-warnings/v1" in page and "/authoring/with-warnings/v2" in page
    assert "Version 1: 1 validation warning(s)" in page
    assert "modules/a.yaml:3:5: warning: no French translation of &#39;x.title&#39;" in page
    assert "Active" in page


def test_authoring_index_marks_retired_courses(client, db_session, author):
    CourseVersionFactory(course__slug="old-course")
    services.retire_course(db_session, "old-course")
    db_session.commit()
    log_in(client, author)
    assert "Retired: hidden from the catalogue" in client.get("/authoring").get_data(as_text=True)


def test_version_link_opens_its_first_lesson_in_the_source_language(client, loaded, author):
    log_in(client, author)
    response = client.get("/authoring/complete-course/v1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/authoring/complete-course/v1/en/what-is-pss"


def test_preview_shows_every_block_type_with_answers_and_feedback(client, loaded, author):
    log_in(client, author)
    pages = {
        lesson: client.get(f"/authoring/complete-course/v1/en/{lesson}").get_data(as_text=True)
        for lesson in ("what-is-pss", "common-reactions", "listening-skills", "caring-for-yourself")
    }
    everything = "".join(pages.values())
    for page in pages.values():
        assert page.count("<h1") == 1
    assert '<div class="block block-text"><h3>Support that starts with people</h3>' in pages["what-is-pss"]
    assert f'<img src="/media/{SVG_SHA}" alt="Three circles joined by arrows' in pages["what-is-pss"]
    assert "Psychosocial support is about feelings and relationships together." in pages["what-is-pss"]
    assert f'<audio controls preload="none" src="/media/{WAV_SHA}"' in pages["common-reactions"]
    assert '<video controls preload="none" src="https://example.org/media/listening-demo.webm"' in everything
    assert "block-callout callout-warning" in pages["common-reactions"]
    assert "block-key-points" in pages["caring-for-yourself"]
    assert "Write down one thing you will do after your next shift" in pages["caring-for-yourself"]
    scenario = pages["common-reactions"]
    assert "At the evacuation centre" in scenario
    assert scenario.count("Best response") == 1
    assert "Sitting with him and asking an open question" in scenario
    check = pages["listening-skills"]
    assert check.count(">Correct<") == 5 and check.count(">Incorrect<") == 6
    assert "Pressing for details can cause more distress." in check


def test_preview_in_another_language_with_menu_and_language_links(client, loaded, author):
    log_in(client, author)
    page = client.get("/authoring/complete-course/v1/fr/common-reactions").get_data(as_text=True)
    assert '<h1 lang="fr" dir="ltr">Les réactions courantes face à une crise</h1>' in page
    assert 'href="/authoring/complete-course/v1/en/common-reactions" lang="en"' in page
    assert 'aria-current="page">Français</a>' in page
    assert 'href="/authoring/complete-course/v1/fr/listening-skills"' in page
    assert 'href="/authoring/complete-course/v1/fr/what-is-pss"' in page
    assert "Au centre d&#39;évacuation" in page


@pytest.mark.parametrize(
    "path",
    [
        "/authoring/complete-course/v2/en/what-is-pss",
        "/authoring/complete-course/v1/es/what-is-pss",
        "/authoring/complete-course/v1/en/no-such-lesson",
        "/authoring/no-such-course/v1",
    ],
)
def test_preview_of_something_that_does_not_exist_is_not_found(client, loaded, author, path):
    log_in(client, author)
    assert client.get(path).status_code == 404
