"""Translation overlays: which texts a file has (by key), overlay checks and the translators' template.

The keys are those of docs/published-content.md. The same walker reads raw YAML data (which
may be malformed, so every step is guarded) and validated data, so the validator, the
publisher and the template always agree on them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from lms.courses.problems import Problems
from lms.courses.reading import DataPath, Document
from lms.courses.rendering import markdown_problems

LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish", "ar": "Arabic"}
BLOCK_TEXT_FIELDS = (
    "title",
    "body",
    "alt",
    "caption",
    "transcript",
    "prompt",
    "hint",
    "situation",
    "question",
)
MARKDOWN_FIELDS = frozenset({"body", "transcript", "situation"})
_PLAIN_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*")


@dataclass(frozen=True)
class SourceText:
    """One translatable text of a source file."""

    key: str
    text: str
    path: DataPath
    markdown: bool


def source_hash(text: str) -> str:
    """First 12 hex digits of SHA-256 of the stripped UTF-8 text: what an overlay entry records."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:12]


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def _text(container: Any, name: str | int) -> str | None:
    if isinstance(container, dict) and isinstance(name, str):
        value = container.get(name)
    elif isinstance(container, list) and isinstance(name, int) and name < len(container):
        value = container[name]
    else:
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _items(container: Any, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    values = container.get(name) if isinstance(container, dict) else None
    if isinstance(values, list):
        for index, value in enumerate(values):
            if isinstance(value, dict):
                yield index, value


def _id(node: dict[str, Any]) -> str | None:
    value = node.get("id")
    return value if isinstance(value, str) and value else None


def course_texts(data: Any) -> list[SourceText]:
    """The translatable texts of a `course.yaml` (raw or validated data), in the file's order."""
    found = []
    for name in ("title", "summary"):
        text = _text(data, name)
        if text:
            found.append(SourceText(name, text, (name,), False))
    objectives = data.get("objectives") if isinstance(data, dict) else None
    if isinstance(objectives, list):
        for index in range(len(objectives)):
            text = _text(objectives, index)
            if text:
                found.append(SourceText(f"objectives.{index}", text, ("objectives", index), False))
    text = _text(data, "audience")
    if text:
        found.append(SourceText("audience", text, ("audience",), False))
    note = data.get("content_note") if isinstance(data, dict) else None
    text = _text(note, "text")
    if text:
        found.append(SourceText("content_note.text", text, ("content_note", "text"), False))
    text = _text(data, "help")
    if text:
        found.append(SourceText("help", text, ("help",), True))
    return found


def _block_texts(block: dict[str, Any], path: DataPath) -> Iterator[SourceText]:
    block_id = _id(block)
    if not block_id:
        return
    for name in BLOCK_TEXT_FIELDS:
        text = _text(block, name)
        if text:
            yield SourceText(f"{block_id}.{name}", text, (*path, name), name in MARKDOWN_FIELDS)
    points = block.get("points")
    if isinstance(points, list):
        for index in range(len(points)):
            text = _text(points, index)
            if text:
                yield SourceText(f"{block_id}.points.{index}", text, (*path, "points", index), False)
    if block.get("type") == "scenario":
        for index, option in _items(block, "options"):
            option_id = _id(option)
            for name in ("text", "feedback"):
                text = _text(option, name)
                if option_id and text:
                    key = f"{block_id}.{option_id}.{name}"
                    yield SourceText(key, text, (*path, "options", index, name), False)
    for q_index, question in _items(block, "questions"):
        question_id = _id(question)
        if not question_id:
            continue
        q_path = (*path, "questions", q_index)
        text = _text(question, "prompt")
        if text:
            yield SourceText(f"{block_id}.{question_id}.prompt", text, (*q_path, "prompt"), False)
        for o_index, option in _items(question, "options"):
            option_id = _id(option)
            for name in ("text", "feedback"):
                text = _text(option, name)
                if option_id and text:
                    key = f"{block_id}.{question_id}.{option_id}.{name}"
                    yield SourceText(key, text, (*q_path, "options", o_index, name), False)


def module_texts(data: Any) -> list[SourceText]:
    """The translatable texts of a module file (raw or validated data)."""
    found: list[SourceText] = []
    if not isinstance(data, dict):
        return found
    module_id = _id(data)
    text = _text(data, "title")
    if module_id and text:
        found.append(SourceText(f"{module_id}.title", text, ("title",), False))
    for l_index, lesson in _items(data, "lessons"):
        lesson_id = _id(lesson)
        text = _text(lesson, "title")
        if lesson_id and text:
            found.append(SourceText(f"{lesson_id}.title", text, ("lessons", l_index, "title"), False))
        for b_index, block in _items(lesson, "blocks"):
            found.extend(_block_texts(block, ("lessons", l_index, "blocks", b_index)))
    return found


def overlay_entries(document: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    """(key, entry) of every overlay entry shaped like `{text, source_hash}` enough to use."""
    strings = document.data.get("strings") if isinstance(document.data, dict) else None
    if isinstance(strings, dict):
        for key, entry in strings.items():
            if isinstance(entry, dict):
                yield key, entry


def check_overlay(
    source: Document,
    texts: list[SourceText],
    overlay: Document | None,
    overlay_file: str,
    language: str,
    source_language: str,
    problems: Problems,
) -> dict[str, str]:
    """Compare one overlay with its source file; return the translations it gives, by key.

    Missing texts are reported at the source text, stale and unknown entries at the entry.
    """
    names = {"language": language_name(language), "source": language_name(source_language)}
    if overlay is None:
        if texts:
            problems.warning(
                source.file,
                (1, 1),
                _(
                    "no %(language)s translation of this file (%(overlay)s is missing): "
                    "its %(count)d texts are shown in %(source)s",
                    overlay=overlay_file,
                    count=len(texts),
                    **names,
                ),
            )
        return {}
    by_key = {text.key: text for text in texts}
    translated: dict[str, str] = {}
    for key, entry in overlay_entries(overlay):
        source_text = by_key.get(key)
        if source_text is None:
            problems.warning(
                overlay.file,
                overlay.key_at(("strings", key)),
                _(
                    "'%(key)s' names no text of %(file)s; remove it or correct the key",
                    key=key,
                    file=source.file,
                ),
            )
            continue
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        translated[key] = text.strip()
        if source_text.markdown:
            for message in markdown_problems(text):
                problems.error(overlay.file, overlay.value_at(("strings", key, "text")), message)
        recorded = entry.get("source_hash")
        current = source_hash(source_text.text)
        if isinstance(recorded, str) and recorded != current:
            problems.warning(
                overlay.file,
                overlay.key_at(("strings", key)),
                _(
                    "stale %(language)s translation of '%(key)s': the %(source)s text changed since it "
                    "was translated (source_hash %(recorded)s, now %(current)s); update the translation "
                    "and its source_hash",
                    key=key,
                    recorded=recorded,
                    current=current,
                    **names,
                ),
            )
    present = _present_keys(overlay)
    for text in texts:
        if text.key not in present:
            problems.warning(
                source.file,
                source.value_at(text.path),
                _(
                    "no %(language)s translation of '%(key)s': learners see the %(source)s text",
                    key=text.key,
                    **names,
                ),
            )
    return translated


def _present_keys(overlay: Document) -> set[str]:
    strings = overlay.data.get("strings") if isinstance(overlay.data, dict) else None
    return set(strings) if isinstance(strings, dict) else set()


def _scalar(text: str, indent: str) -> str:
    if "\n" in text and not text[0].isspace() and all(line.isprintable() for line in text.splitlines()):
        return "|-\n" + "\n".join(f"{indent}{line}".rstrip() for line in text.splitlines())
    # JSON strings are valid YAML double-quoted scalars.
    return json.dumps(text, ensure_ascii=False)


def overlay_template(
    texts: list[SourceText], language: str, source_language: str, existing: Document | None
) -> str:
    """A YAML overlay for `language` with every key of a file, its source text as a comment
    and the current source_hash. Existing translations are kept; entries whose source changed
    since are marked, so the translator can review them knowingly."""
    current = dict(overlay_entries(existing)) if existing else {}
    source_name = language_name(source_language)
    lines = [
        f"# {language_name(language)} translation. Fill in each text (or delete the entry to show the",
        f"# {source_name} text); the source_hash records which {source_name} text was translated.",
        "schema_version: 1",
        f"language: {language}",
        "strings:" if texts else "strings: {}",
    ]
    for text in texts:
        key = text.key if _PLAIN_KEY.fullmatch(text.key) else json.dumps(text.key, ensure_ascii=False)
        lines.append(f"  {key}:")
        entry = current.get(text.key, {})
        old = entry.get("text")
        hash_now = source_hash(text.text)
        if isinstance(old, str) and old.strip() and entry.get("source_hash") != hash_now:
            lines.append(f"    # CHANGED: the {source_name} text changed since this was translated; check it")
        lines.extend(f"    # {source_language}: {line}".rstrip() for line in text.text.splitlines())
        translation = old.strip() if isinstance(old, str) else ""
        lines.append(f"    text: {_scalar(translation, '      ')}")
        # Quoted: an unquoted hash such as 1537e2695310 would be read as a number.
        lines.append(f'    source_hash: "{hash_now}"')
    return "\n".join(lines) + "\n"
