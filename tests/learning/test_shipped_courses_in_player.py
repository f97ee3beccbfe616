"""Every lesson of every shipped course, in every language, through the real player pages:
no error, the lesson in the learner's language, and no interface text left in English."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from markupsafe import escape

from lms.courses.services import load_courses, version_by_number
from lms.learning.services import lessons_in_order
from tests.factories import UserFactory
from tests.learning.conftest import login

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(path.parent.name for path in (ROOT / "courses").glob("*/course.yaml"))
LANGUAGES = ("en", "fr", "es", "ar")
TAGS = re.compile(r"<[^>]+>")


def english_interface_messages(language: str) -> set[str]:
    """Interface messages of several words whose translation differs from the English."""
    path = ROOT / "lms" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    return {
        message.id
        for message in catalogue
        if isinstance(message.id, str)
        and isinstance(message.string, str)
        and message.string
        and message.string != message.id
        and "%" not in message.id
        and len(message.id.split()) >= 2
    }


def visible_text(page: str) -> str:
    body = page.split("<body", 1)[1]
    return html.unescape(TAGS.sub("\n", body))


@pytest.mark.parametrize("slug", SHIPPED)
def test_every_lesson_opens_in_every_language_without_english_left(app, client, db_session, slug):
    (result,) = load_courses(db_session, [str(ROOT / "courses" / slug)])
    localized = version_by_number(db_session, slug, result.version_number).content["localized"]
    for language in LANGUAGES:
        learner = UserFactory(locale=language)
        client = app.test_client()  # a fresh browser for each learner
        login(client, learner)
        started = client.post(f"/courses/{slug}/start", data={"language": language})
        assert started.status_code == 302
        untranslated = english_interface_messages(language) if language != "en" else set()
        for lesson in lessons_in_order(localized[language]):
            response = client.get(f"/learn/{slug}/{lesson['id']}")
            assert response.status_code == 200, (language, lesson["id"])
            page = response.get_data(as_text=True)
            assert f'<html lang="{language}"' in page
            assert f'lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}"' in page
            assert str(escape(lesson["title"])) in page
            text = visible_text(page)
            left_in_english = sorted(
                m for m in untranslated if re.search(rf"(?<!\w){re.escape(m)}(?!\w)", text)
            )
            assert left_in_english == [], (language, lesson["id"], left_in_english)
