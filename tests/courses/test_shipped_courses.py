"""The courses shipped in courses/ (issue 4): valid with no warning, complete in four languages,
30–60 minutes in each, and rich enough in practice: questions with feedback on every option,
scenarios, reflection prompts, a content note and where to get help."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.courses.schema import MAX_MINUTES, MIN_MINUTES, KnowledgeCheckBlock, ReflectionBlock, ScenarioBlock
from lms.courses.validation import check_course

COURSES = Path(__file__).resolve().parents[2] / "courses"
SHIPPED = sorted(path.parent.name for path in COURSES.glob("*/course.yaml"))


def test_the_three_basic_pss_courses_are_shipped():
    assert SHIPPED == ["basic-pss-intro", "communication-listening", "self-care-team"]


@pytest.fixture(scope="module", params=SHIPPED)
def check(request):
    return check_course(COURSES / request.param, f"courses/{request.param}")


def test_course_is_valid_without_any_warning(check):
    assert check.formatted() == []
    assert check.content is not None


def test_course_is_complete_in_four_languages_without_fallback(check):
    assert check.languages == ["en", "fr", "es", "ar"]
    for language, localized in check.content["localized"].items():
        assert localized["fallback_keys"] == [], language


def test_course_takes_30_to_60_minutes_in_every_language(check):
    assert set(check.estimated_minutes) == {"en", "fr", "es", "ar"}
    for language, minutes in check.estimated_minutes.items():
        assert MIN_MINUTES <= minutes <= MAX_MINUTES, (language, minutes)


def test_course_has_enough_practice(check):
    blocks = [block for module in check.modules for lesson in module.lessons for block in lesson.blocks]
    questions = [q for b in blocks if isinstance(b, KnowledgeCheckBlock) for q in b.questions]
    assert len(questions) >= 8
    assert all(option.feedback.strip() for q in questions for option in q.options)
    scenarios = [b for b in blocks if isinstance(b, ScenarioBlock)]
    assert len(scenarios) >= 2
    assert all(option.feedback.strip() for s in scenarios for option in s.options)
    assert len([b for b in blocks if isinstance(b, ReflectionBlock)]) >= 3


def test_course_warns_of_distressing_topics_and_says_where_to_get_help(check):
    assert check.course.content_note is not None
    assert "basic-pss" in check.course.tags
    for localized in check.content["localized"].values():
        assert localized["content_note"]
        assert localized["help_html"].startswith("<")
