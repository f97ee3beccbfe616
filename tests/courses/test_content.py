"""Published content: its shape (docs/published-content.md), Markdown rendering and estimated time."""

from __future__ import annotations

import pytest

from lms.courses import schema
from lms.courses.content import estimate_minutes
from lms.courses.rendering import count_words, render_markdown
from lms.courses.validation import check_course
from tests.courses.conftest import COMPLETE
from tests.factories import sample_content

# The table of docs/published-content.md.
BLOCK_FIELDS = {
    "text": {"type", "id", "body_html"},
    "image": {"type", "id", "src", "alt", "caption"},
    "audio": {"type", "id", "src", "duration_seconds", "transcript_html", "caption"},
    "video": {"type", "id", "src", "duration_seconds", "transcript_html", "caption"},
    "callout": {"type", "id", "style", "title", "body_html"},
    "key_points": {"type", "id", "title", "points"},
    "reflection": {"type", "id", "prompt", "hint"},
    "scenario": {"type", "id", "title", "situation_html", "question", "options"},
    "knowledge_check": {"type", "id", "title", "questions"},
}
LOCALIZED_FIELDS = {
    "title", "summary", "objectives", "audience", "help_html", "content_note",
    "estimated_minutes", "fallback_keys", "modules",
}  # fmt: skip


def _blocks(localized):
    return [
        block for module in localized["modules"] for lesson in module["lessons"] for block in lesson["blocks"]
    ]


@pytest.fixture(scope="module")
def content():
    return check_course(COMPLETE).content


def test_content_has_the_documented_top_level_and_language_fields(content):
    assert set(content) == set(sample_content("x"))
    assert content["course_id"] == "complete-course"
    assert content["version_label"] == "1.0"
    assert content["source_language"] == "en"
    assert content["languages"] == ["en", "fr"]
    assert content["tags"] == ["basic-pss", "listening"]
    assert content["completion"] == {
        "required_lessons": ["what-is-pss", "common-reactions", "listening-skills", "caring-for-yourself"],
        "pass_mark": 75,
    }
    for localized in content["localized"].values():
        assert set(localized) == LOCALIZED_FIELDS == set(sample_content("x")["localized"]["en"])


def test_every_block_has_exactly_the_documented_fields(content):
    for localized in content["localized"].values():
        for block in _blocks(localized):
            assert set(block) == BLOCK_FIELDS[block["type"]], block["id"]
            for option in block.get("options", []):
                assert set(option) == {"id", "text", "feedback", "best"}
            for question in block.get("questions", []):
                assert set(question) == {"id", "kind", "prompt", "options"}
                for option in question["options"]:
                    assert set(option) == {"id", "text", "correct", "feedback"}


def test_blocks_shared_with_the_factory_have_the_same_fields(content):
    ours = {block["type"]: set(block) for block in _blocks(content["localized"]["en"])}
    for block in _blocks(sample_content("x")["localized"]["en"]):
        assert set(block) == ours[block["type"]]


def test_markdown_is_stored_as_sanitised_html_and_media_by_hash(content):
    english = content["localized"]["en"]
    blocks = {block["id"]: block for block in _blocks(english)}
    assert english["help_html"].startswith("<p>If you are worried")
    assert (
        '<a href="https://pscentre.org" rel="noopener">IFRC Psychosocial Centre</a>' in english["help_html"]
    )
    assert blocks["reactions-intro"]["body_html"].startswith("<p>After a frightening")
    assert "<ol>" in blocks["reactions-intro"]["body_html"]
    assert blocks["pause-bell"]["transcript_html"].startswith("<p>A soft bell")
    assert blocks["scenario-shelter"]["situation_html"].startswith("<p>You are handing out blankets")
    assert (
        blocks["look-listen-link"]["src"].startswith("/media/")
        and len(blocks["look-listen-link"]["src"]) == 71
    )
    assert blocks["listening-demo"]["src"] == "https://example.org/media/listening-demo.webm"
    assert blocks["listening-tip"]["title"] is None
    assert english["content_note"].startswith("This course mentions grief")


def test_french_content_is_translated_with_the_same_structure(content):
    english, french = content["localized"]["en"], content["localized"]["fr"]
    assert french["title"] == "Écouter avec attention"
    assert french["fallback_keys"] == []
    assert [b["id"] for b in _blocks(french)] == [b["id"] for b in _blocks(english)]
    assert [b.get("src") for b in _blocks(french)] == [b.get("src") for b in _blocks(english)]


def test_markdown_headings_start_at_level_three_and_links_stay_in_the_tab():
    html = render_markdown("## Title\n\n### Sub\n\nSee [the centre](https://pscentre.org).")
    assert html == (
        "<h3>Title</h3>\n<h4>Sub</h4>\n"
        '<p>See <a href="https://pscentre.org" rel="noopener">the centre</a>.</p>'
    )


def test_raw_html_and_script_links_never_reach_the_page():
    html = render_markdown('<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="y">')
    assert "<script" not in html and "<img" not in html and "href" not in html
    assert "&lt;script&gt;" in html


def test_words_are_counted_in_any_script():
    assert count_words("Don't panic — it's fine. الصليب الأحمر 12 well-being") == 8


def test_arabic_vowel_marks_do_not_split_words():
    # «الفعّال» (shadda) and «ضيقًا» (tanween) are one word each, with or without their marks.
    assert count_words("الإصغاء الفعّال ضيقًا") == 3
    assert count_words("الإصغاء الفعال ضيقا") == 3


def _localized(words: int, blocks: list[dict]) -> dict:
    body = " ".join(["word"] * words)
    return {
        "title": "", "summary": "", "audience": "", "help_html": "", "content_note": None, "objectives": [],
        "modules": [{"title": "", "lessons": [{"title": "", "blocks": [
            {"type": "text", "id": "t", "body_html": f"<p>{body}</p>"}, *blocks,
        ]}]}],
    }  # fmt: skip


def test_estimate_adds_reading_media_and_fixed_allowances_then_rounds_up():
    blocks = [
        {"type": "audio", "id": "a", "src": "", "duration_seconds": 15,
         "transcript_html": "<p>many words</p>", "caption": None},
        {"type": "reflection", "id": "r", "prompt": "", "hint": None},
        {"type": "scenario", "id": "s", "title": None, "situation_html": "", "question": "", "options": []},
        {"type": "knowledge_check", "id": "k", "title": None, "questions": [
            {"id": "q", "kind": "single", "prompt": "", "options": []}]},
    ]  # fmt: skip
    seconds = 15 + schema.SECONDS_PER_REFLECTION + schema.SECONDS_PER_SCENARIO + schema.SECONDS_PER_QUESTION
    assert seconds == 270
    # 180 words at 180 per minute (60 s) + 270 s = 330 s: 5.5 minutes, rounded up.
    assert estimate_minutes(_localized(180, blocks), "en") == 6
    # Exactly whole minutes stay as they are: 360 words of English are two minutes.
    assert estimate_minutes(_localized(360, []), "en") == 2
    assert estimate_minutes(_localized(361, []), "en") == 3


def test_estimate_uses_the_reading_speed_of_each_language():
    text = _localized(330, [])
    assert estimate_minutes(text, "en") == 2  # 330 / 180
    assert estimate_minutes(text, "ar") == 3  # 330 / 110
