"""Translation overlays: missing and stale entries reported exactly, fallbacks, and the template."""

from __future__ import annotations

import re

from lms.courses.translations import source_hash
from lms.courses.validation import check_course, translation_template
from tests.courses.conftest import COMPLETE, replace_in


def _drop_entry(overlay, key):
    """Remove one `key:` entry (its comment lines, text and source_hash) from an overlay file."""
    text = overlay.read_text(encoding="utf-8")
    pattern = re.compile(
        rf'^  {re.escape(key)}:\n(?:    .*\n|      .*\n|\n)*?    source_hash: "?\w+"?\n', re.M
    )
    assert pattern.search(text), key
    overlay.write_text(pattern.sub("", text, count=1), encoding="utf-8")


def test_incomplete_overlay_reports_each_missing_text_at_its_source_and_falls_back(course_copy):
    overlay = course_copy / "modules" / "01-noticing.fr.yaml"
    _drop_entry(overlay, "pss-intro.body")
    _drop_entry(overlay, "pss-key-points.points.2")
    check = check_course(course_copy, "c")
    assert check.formatted() == [
        "c/modules/01-noticing.yaml:10:15: warning: no French translation of 'pss-intro.body': "
        "learners see the English text",
        "c/modules/01-noticing.yaml:43:13: warning: no French translation of 'pss-key-points.points.2': "
        "learners see the English text",
    ]
    french = check.content["localized"]["fr"]
    assert french["fallback_keys"] == ["pss-intro.body", "pss-key-points.points.2"]
    assert check.content["localized"]["en"]["fallback_keys"] == []
    intro = french["modules"][0]["lessons"][0]["blocks"][0]
    assert intro["body_html"].startswith("<h3>Support that starts with people</h3>")
    points = french["modules"][0]["lessons"][0]["blocks"][2]["points"]
    assert points[2] == "A calm, respectful presence is already a form of support."
    assert points[0].startswith("Le soutien psychosocial")


def test_stale_overlay_entry_is_reported_at_the_entry_and_still_used(course_copy):
    replace_in(
        course_copy / "modules" / "01-noticing.yaml",
        "title: Noticing distress",
        "title: Noticing people in distress",
    )
    check = check_course(course_copy, "c")
    assert check.formatted() == [
        "c/modules/01-noticing.fr.yaml:6:3: warning: stale French translation of 'noticing.title': "
        "the English text changed since it was translated (source_hash 38dab4fa4abf, now "
        f"{source_hash('Noticing people in distress')}); update the translation and its source_hash"
    ]
    assert check.content["localized"]["fr"]["modules"][0]["title"] == "Repérer la détresse"
    assert check.content["localized"]["fr"]["fallback_keys"] == []


def test_missing_and_stale_entries_of_several_files_are_all_reported(course_copy):
    _drop_entry(course_copy / "course.fr.yaml", "audience")
    replace_in(
        course_copy / "modules" / "02-responding.yaml", "title: Responding with care", "title: Responding"
    )
    check = check_course(course_copy, "c")
    assert [line.split(": warning: ")[0] for line in check.formatted()] == [
        "c/course.yaml:16:11",
        "c/modules/02-responding.fr.yaml:6:3",
    ]
    assert check.content["localized"]["fr"]["audience"] == (
        "All staff and volunteers, with no previous training in psychosocial support."
    )


def test_overlay_key_naming_nothing_is_reported(course_copy):
    with (course_copy / "course.fr.yaml").open("a", encoding="utf-8") as overlay:
        overlay.write('  objectives.9:\n    text: "De trop"\n    source_hash: 0123456789ab\n')
    assert check_course(course_copy, "c").formatted() == [
        "c/course.fr.yaml:49:3: warning: 'objectives.9' names no text of course.yaml; "
        "remove it or correct the key"
    ]


def test_unsafe_markdown_in_a_translation_is_an_error(course_copy):
    replace_in(
        course_copy / "course.fr.yaml",
        "[Centre psychosocial de la FICR](https://pscentre.org)",
        "<a href=x>ici</a>",
    )
    assert check_course(course_copy, "c").formatted() == [
        "c/course.fr.yaml:43:11: error: raw HTML is not allowed in Markdown (found '<a href=x>'); "
        "use Markdown instead",
        "c/course.fr.yaml:43:11: error: raw HTML is not allowed in Markdown (found '</a>'); "
        "use Markdown instead",
    ]


def test_source_hash_is_of_the_stripped_utf8_text():
    assert source_hash("  Écouter  \n") == source_hash("Écouter")
    assert len(source_hash("x")) == 12


def test_template_reproduces_the_committed_french_overlays():
    for source, overlay in [
        ("course.yaml", "course.fr.yaml"),
        ("modules/01-noticing.yaml", "modules/01-noticing.fr.yaml"),
        ("modules/02-responding.yaml", "modules/02-responding.fr.yaml"),
    ]:
        template = translation_template(COMPLETE / source, "fr")
        assert template.messages == []
        assert template.text == (COMPLETE / overlay).read_text(encoding="utf-8")


def test_template_for_a_new_language_lists_every_text_with_its_hash(course_copy):
    template = translation_template(course_copy / "course.yaml", "ar")
    assert template.overlay_path == course_copy / "course.ar.yaml"
    assert "language: ar" in template.text
    assert (
        '  title:\n    # en: Listening with care\n    text: ""\n'
        f'    source_hash: "{source_hash("Listening with care")}"\n' in (template.text)
    )


def test_template_marks_changed_texts_and_refreshes_their_hash(runner, course_copy):
    replace_in(
        course_copy / "modules" / "01-noticing.yaml",
        "title: Noticing distress",
        "title: Noticing people in distress",
    )
    result = runner.invoke(
        args=[
            "courses",
            "translation-template",
            str(course_copy / "modules" / "01-noticing.yaml"),
            "--lang",
            "fr",
        ]
    )
    assert result.exit_code == 0, result.output
    assert (
        "  noticing.title:\n    # CHANGED: the English text changed since this was translated; check it\n"
        '    # en: Noticing people in distress\n    text: "Repérer la détresse"\n'
        f'    source_hash: "{source_hash("Noticing people in distress")}"\n'
    ) in result.output
    written = runner.invoke(
        args=[
            "courses",
            "translation-template",
            str(course_copy / "modules" / "01-noticing.yaml"),
            "--lang",
            "fr",
            "--write",
        ]
    )
    assert written.exit_code == 0
    assert check_course(course_copy).formatted() == []


def test_template_refuses_the_source_language_and_other_files(runner, course_copy):
    same = runner.invoke(
        args=["courses", "translation-template", str(course_copy / "course.yaml"), "--lang", "en"]
    )
    assert same.exit_code == 1
    assert "the course is written in en already" in same.output
    other = runner.invoke(
        args=[
            "courses",
            "translation-template",
            str(course_copy / "media" / "pause-bell.wav"),
            "--lang",
            "fr",
        ]
    )
    assert other.exit_code == 1
    assert "give the course.yaml or a module file" in other.output


def test_template_hashes_stay_text_even_when_they_look_like_numbers(course_copy):
    # "1537e2695310" is a valid float in YAML; unquoted, it would no longer be a hash.
    template = translation_template(course_copy / "course.yaml", "es")
    hashes = re.findall(r"source_hash: (.*)", template.text)
    assert hashes and all(h.startswith('"') and h.endswith('"') for h in hashes)
