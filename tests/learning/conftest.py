"""Fixtures of the learner's journey: a richer course than sample_content, and logging in."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask.testing import FlaskClient

from lms.auth.models import User
from tests.factories import CourseVersionFactory, UserFactory, sample_content

SCENARIO = {
    "type": "scenario",
    "id": "crying-colleague",
    "title": "A colleague in tears",
    "situation_html": "<p>After a long shift, a colleague starts crying.</p>",
    "question": "What do you do first?",
    "options": [
        {
            "id": "sit-with",
            "text": "Sit with them and listen",
            "feedback": "Being there helps.",
            "best": True,
        },
        {
            "id": "cheer-up",
            "text": "Tell them to cheer up",
            "feedback": "This can feel dismissive.",
            "best": False,
        },
    ],
}


def journey_content(
    slug: str, languages: tuple[str, ...] = ("en",), tags: list[str] | None = None
) -> dict[str, Any]:
    """sample_content plus a content note and a scenario, in every language asked for."""
    content = copy.deepcopy(sample_content(slug, tags=tags, languages=languages))
    for text in content["localized"].values():
        text["content_note"] = "This course talks about grief and loss."
        text["modules"][0]["lessons"][0]["blocks"].append(copy.deepcopy(SCENARIO))
    return content


def make_version(*, minutes: int = 35, languages: tuple[str, ...] = ("en",), **kwargs: Any):
    """A published course version with the journey content (pass course=..., number=2 for a new one)."""
    version = CourseVersionFactory(**kwargs)
    content = journey_content(version.course.slug, languages, [tag.tag for tag in version.tags])
    for text in content["localized"].values():
        text["estimated_minutes"] = minutes
    version.content = content
    version.languages = list(languages)
    version.source_language = languages[0]
    version.estimated_minutes = dict.fromkeys(languages, minutes)
    return version


def login(client: FlaskClient, user: User) -> None:
    """Log `user` in the way flask-login remembers them, without the login form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


RIGHT = {"q-listen": ["listen"], "q-signs": ["sleep", "irritable"]}
WRONG = {"q-listen": ["advise"], "q-signs": ["sleep"]}


@pytest.fixture
def learner(db_session) -> User:
    return UserFactory()


@pytest.fixture
def version(db_session):
    return make_version()
