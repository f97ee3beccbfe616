"""In the player, course text follows the reader: a note says when the course is not available in
the interface language, and the course's other languages are offered."""

from __future__ import annotations

import re

from tests.factories import CourseVersionFactory, UserFactory, sample_content
from tests.learning.conftest import login

NOTE = re.compile(r'<p class="note">(.*?)</p>', re.DOTALL)
LANGUAGE_LINKS = re.compile(r'<p class="course-languages">(.*?)</p>', re.DOTALL)


def _lesson_page(client, locale: str, languages: tuple[str, ...], course_language: str) -> str:
    version = CourseVersionFactory(
        course__slug="lang-course",
        languages=list(languages),
        content=sample_content("lang-course", languages=languages),
    )
    slug = version.course.slug
    learner = UserFactory(locale=locale)
    login(client, learner)
    assert client.post(f"/courses/{slug}/start", data={"language": course_language}).status_code == 302
    response = client.get(f"/learn/{slug}/lesson-one")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_player_notes_when_the_course_is_not_in_the_readers_language(client):
    page = _lesson_page(client, "ar", ("en",), "ar")
    [note] = NOTE.findall(page)
    assert "العربية" in note and "English" in note
    assert LANGUAGE_LINKS.search(page) is None  # one language: nothing to choose


def test_the_player_has_no_note_when_the_course_is_in_the_readers_language(client):
    page = _lesson_page(client, "fr", ("en", "fr"), "fr")
    assert NOTE.search(page) is None


def test_the_player_offers_the_other_languages_of_the_course(client):
    page = _lesson_page(client, "fr", ("en", "fr"), "fr")
    links = LANGUAGE_LINKS.search(page).group(1)
    assert re.search(r'href="/courses/lang-course\?lang=en" lang="en" hreflang="en">English</a>', links)
    assert re.search(r'lang="fr" hreflang="fr" aria-current="true">Français</a>', links)
