"""The published content of a course (docs/published-content.md) and its estimated time."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

from lms.courses import schema
from lms.courses.rendering import count_words, plain_text, render_markdown
from lms.courses.translations import SourceText, course_texts, module_texts


def _set(data: Any, path: tuple[str | int, ...], value: str) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _localize(
    data: dict[str, Any], texts: list[SourceText], translations: dict[str, str], fallback: list[str]
) -> dict[str, Any]:
    localized = copy.deepcopy(data)
    for text in texts:
        if text.key in translations:
            _set(localized, text.path, translations[text.key])
        else:
            fallback.append(text.key)
    return localized


def _markdown(text: str | None) -> str | None:
    return render_markdown(text) if text else None


def _block(block: dict[str, Any], media_url: Callable[[str], str]) -> dict[str, Any]:
    kind = block["type"]
    base = {"type": kind, "id": block["id"]}
    if kind == "text":
        return {**base, "body_html": render_markdown(block["body"])}
    if kind == "image":
        return {**base, "src": media_url(block["src"]), "alt": block["alt"], "caption": block["caption"]}
    if kind in ("audio", "video"):
        return {
            **base,
            "src": media_url(block["src"]),
            "duration_seconds": block["duration_seconds"],
            "transcript_html": render_markdown(block["transcript"]),
            "caption": block["caption"],
        }
    if kind == "callout":
        return {
            **base,
            "style": block["style"],
            "title": block["title"],
            "body_html": render_markdown(block["body"]),
        }
    if kind == "key_points":
        return {**base, "title": block["title"], "points": list(block["points"])}
    if kind == "reflection":
        return {**base, "prompt": block["prompt"], "hint": block["hint"]}
    if kind == "scenario":
        return {
            **base,
            "title": block["title"],
            "situation_html": render_markdown(block["situation"]),
            "question": block["question"],
            "options": [
                {"id": o["id"], "text": o["text"], "feedback": o["feedback"], "best": o["best"]}
                for o in block["options"]
            ],
        }
    return {
        **base,
        "title": block["title"],
        "questions": [
            {
                "id": q["id"],
                "kind": q["kind"],
                "prompt": q["prompt"],
                "options": [
                    {"id": o["id"], "text": o["text"], "correct": o["correct"], "feedback": o["feedback"]}
                    for o in q["options"]
                ],
            }
            for q in block["questions"]
        ],
    }


def _block_words(block: dict[str, Any]) -> tuple[int, int]:
    """(words, seconds of fixed allowances) of one published block; alt text and transcripts are
    alternatives to media whose duration already counts."""
    kind = block["type"]
    texts: list[str | None] = [block.get("title"), block.get("caption")]
    seconds = 0
    if kind in ("text", "callout"):
        texts.append(plain_text(block["body_html"]))
    elif kind in ("audio", "video"):
        seconds += block["duration_seconds"]
    elif kind == "key_points":
        texts.extend(block["points"])
    elif kind == "reflection":
        texts += [block["prompt"], block["hint"]]
        seconds += schema.SECONDS_PER_REFLECTION
    elif kind == "scenario":
        texts += [plain_text(block["situation_html"]), block["question"]]
        texts += [part for o in block["options"] for part in (o["text"], o["feedback"])]
        seconds += schema.SECONDS_PER_SCENARIO
    elif kind == "knowledge_check":
        for question in block["questions"]:
            texts.append(question["prompt"])
            texts += [part for o in question["options"] for part in (o["text"], o["feedback"])]
            seconds += schema.SECONDS_PER_QUESTION
    return sum(count_words(t) for t in texts if t), seconds


def estimate_minutes(localized: dict[str, Any], language: str) -> int:
    """Estimated minutes of one language of the published content.

    Words of every text a learner reads (course page, titles, blocks, options and feedback) at
    READING_WORDS_PER_MINUTE[language], plus media durations and the fixed allowances per
    question, scenario and reflection, rounded up to a whole minute.
    """
    texts = [
        localized["title"],
        localized["summary"],
        localized["audience"],
        plain_text(localized["help_html"]),
        localized["content_note"],
        *localized["objectives"],
    ]
    words = sum(count_words(t) for t in texts if t)
    seconds = 0
    for module in localized["modules"]:
        words += count_words(module["title"])
        for lesson in module["lessons"]:
            words += count_words(lesson["title"])
            for block in lesson["blocks"]:
                block_words, block_seconds = _block_words(block)
                words += block_words
                seconds += block_seconds
    per_minute = schema.READING_WORDS_PER_MINUTE[language]
    # Whole-number arithmetic: ceil(words / per_minute + seconds / 60).
    return -(-(words * 60 + seconds * per_minute) // (60 * per_minute))


def build_content(
    course: schema.Course,
    modules: list[schema.Module],
    languages: list[str],
    translations: dict[str, dict[str, str]],
    media_url: Callable[[str], str],
) -> dict[str, Any]:
    """The published content of a validated course, every language merged in.

    `translations[lang][key]` gives translated texts; a key without one falls back to the source
    text and is listed in that language's `fallback_keys`. `media_url(src)` gives the URL
    stored for a media `src` (`/media/<sha256>` for a file of the course).
    """
    course_data = course.model_dump()
    module_data = [module.model_dump() for module in modules]
    all_lessons = [lesson["id"] for module in module_data for lesson in module["lessons"]]
    rule = course.completion.required_lessons
    localized: dict[str, Any] = {}
    for language in languages:
        given = {} if language == course.language else translations.get(language, {})
        fallback: list[str] = []
        c = _localize(course_data, course_texts(course_data), given, fallback)
        localized_modules = [_localize(m, module_texts(m), given, fallback) for m in module_data]
        entry = {
            "title": c["title"],
            "summary": c["summary"],
            "objectives": list(c["objectives"]),
            "audience": c["audience"],
            "help_html": render_markdown(c["help"]),
            "content_note": c["content_note"]["text"] if c["content_note"] else None,
            "estimated_minutes": 0,
            "fallback_keys": fallback if language != course.language else [],
            "modules": [
                {
                    "id": m["id"],
                    "title": m["title"],
                    "lessons": [
                        {
                            "id": lesson["id"],
                            "title": lesson["title"],
                            "blocks": [_block(block, media_url) for block in lesson["blocks"]],
                        }
                        for lesson in m["lessons"]
                    ],
                }
                for m in localized_modules
            ],
        }
        entry["estimated_minutes"] = estimate_minutes(entry, language)
        localized[language] = entry
    return {
        "schema_version": schema.SCHEMA_VERSION,
        "course_id": course.id,
        "version_label": course.version,
        "source_language": course.language,
        "languages": list(languages),
        "tags": list(course.tags),
        "completion": {
            "required_lessons": all_lessons if rule == "all" else list(rule),
            "pass_mark": course.completion.pass_mark,
        },
        "localized": localized,
    }


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the content (media appear by their own SHA-256)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
