"""Checking a course folder: every problem of every file at once, each at its line and column.

`check_course` reads `course.yaml`, the module files and the translation overlays, validates
them against the pydantic models of `lms.courses.schema`, then checks what a schema cannot see
(ids unique across files, correct answers, media files, safe Markdown, translations, estimated
time). When nothing is wrong it also holds the published content, ready to load.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from lms.courses import schema
from lms.courses.content import build_content, content_hash
from lms.courses.media import MediaFile, check_media
from lms.courses.problems import Problem, Problems, join_path
from lms.courses.reading import DataPath, Document, Position, read_yaml
from lms.courses.rendering import markdown_problems
from lms.courses.translations import (
    SourceText,
    check_overlay,
    course_texts,
    language_name,
    module_texts,
    overlay_template,
)

COURSE_FILE = "course.yaml"
MODULES_FOLDER = "modules"
_MODULE_FILE = re.compile(schema.MODULE_FILE_PATTERN)
_OVERLAY_NAME = re.compile(r"^(?P<stem>.+)\.(?P<lang>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)?)\.ya?ml$")
_BLOCK_TYPES = ", ".join(schema.BLOCK_TYPES)
_MARKDOWN_FIELDS = ("body", "transcript", "situation")


@dataclass
class SourceFile:
    """course.yaml or a module file, with its translatable texts."""

    file: str
    document: Document
    texts: list[SourceText]


@dataclass
class CourseCheck:
    """The outcome of checking one course folder."""

    folder: Path
    shown_as: str
    problems: Problems = field(default_factory=Problems)
    course: schema.Course | None = None
    modules: list[schema.Module] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    estimated_minutes: dict[str, int] = field(default_factory=dict)
    media: dict[str, MediaFile] = field(default_factory=dict)
    # Set only when there is no error: what `flask courses load` stores.
    content: dict[str, Any] | None = None
    content_hash: str | None = None
    lesson_ids: list[str] = field(default_factory=list)
    declared_id: str | None = None

    @property
    def course_id(self) -> str:
        return self.declared_id or self.folder.name

    @property
    def errors(self) -> list[Problem]:
        return self.problems.errors

    @property
    def warnings(self) -> list[Problem]:
        return self.problems.warnings

    def formatted(self) -> list[str]:
        """Every problem as `path:line:column: severity: message`, in file and position order."""
        return [problem.format(self.shown_as) for problem in self.problems.sorted()]

    def summary(self) -> str:
        """One line: id, languages, estimated minutes per language, error and warning counts."""
        minutes = ", ".join(f"{lang} {n}" for lang, n in self.estimated_minutes.items()) or _("unknown")
        return _(
            "%(id)s: languages %(languages)s; estimated minutes %(minutes)s; %(errors)d error(s), "
            "%(warnings)d warning(s)",
            id=self.course_id,
            languages=", ".join(self.languages) or _("unknown"),
            minutes=minutes,
            errors=len(self.errors),
            warnings=len(self.warnings),
        )


# --- pydantic errors → positions and plain messages --------------------------------------


def _what(value: Any) -> str:
    if value is None:
        return _("nothing (null)")
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    return _("a mapping")


def _resolve(loc: tuple[Any, ...], data: Any) -> tuple[DataPath, str | None]:
    """The data path a pydantic `loc` points at, skipping union tags; plus a missing key."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif (
            isinstance(node, dict)
            and len(path) >= 2
            and path[-2] == "blocks"
            and isinstance(path[-1], int)
            and loc[index - 1] == path[-1]
            and node.get("type") == part
        ):
            continue  # the discriminator tag pydantic adds after a block's index
        elif isinstance(part, str) and "[" in part:
            continue  # the branch name of a plain union, e.g. "list[constrained-str]"
        elif isinstance(node, dict) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
        else:
            return tuple(path), str(part)
    return tuple(path), None


def _union_candidates(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _union_candidates(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(annotation) for c in _union_candidates(arg)]
    return [annotation]


def _model_at(root: type[BaseModel], path: DataPath, data: Any) -> type[BaseModel] | None:
    """The model class that describes the mapping at `path` (to list its allowed fields)."""
    candidates: list[Any] = [root]
    node = data
    for part in path:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
        following: list[Any] = []
        for candidate in candidates:
            if isinstance(part, str) and isinstance(candidate, type) and issubclass(candidate, BaseModel):
                if part in candidate.model_fields:
                    following += _union_candidates(candidate.model_fields[part].annotation)
            elif isinstance(part, int) and typing.get_origin(candidate) is list:
                following += _union_candidates(typing.get_args(candidate)[0])
        candidates = following
    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    if len(models) > 1 and isinstance(node, dict):
        models = [
            m
            for m in models
            if "type" in m.model_fields
            and node.get("type") in typing.get_args(m.model_fields["type"].annotation)
        ]
    return models[0] if models else None


def _prune_unions(errors: list[dict[str, Any]], document: Document) -> list[dict[str, Any]]:
    """Keep only the errors of the union branch that matches what was written."""
    kept: list[dict[str, Any]] = []
    reported: set[tuple[Any, ...]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        tag_at = next((i for i, part in enumerate(loc) if isinstance(part, str) and "[" in part), None)
        if tag_at is None:
            kept.append(error)
            continue
        value = document.get(_resolve(loc[:tag_at], document.data)[0])
        tag = loc[tag_at]
        if isinstance(value, list):
            if tag.startswith("list["):
                kept.append(error)
        elif isinstance(value, str):
            if not tag.startswith("list["):
                kept.append(error)
        elif loc[:tag_at] not in reported:
            reported.add(loc[:tag_at])
            kept.append({**error, "loc": loc[:tag_at], "type": "all_or_list"})
    return kept


def _pattern_message(path: DataPath, value: Any) -> str:
    if "source_hash" in path:
        return _(
            "source_hash must be 12 lowercase hexadecimal digits, as flask courses translation-template gives"
        )
    if "modules" in path and len(path) == 2:
        return _("'%(value)s' is not a module file: write modules/<name>.yaml", value=value)
    if "tags" in path:
        return _(
            "'%(value)s' is not a valid tag: use 2 to 40 lowercase letters (a-z), digits and hyphens, "
            "starting and ending with a letter or digit",
            value=value,
        )
    return _(
        "'%(value)s' is not a valid id: use 2 to 80 lowercase letters (a-z), digits and hyphens, "
        "starting and ending with a letter or digit",
        value=value,
    )


def _message(
    error: dict[str, Any], path: DataPath, missing: str | None, value: Any, raw: str | None, model: Any
) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    name = missing or next((str(p) for p in reversed(path) if isinstance(p, str)), "")
    if kind == "missing":
        if missing == "alt":
            return _("an image needs alt text: add alt: saying what it shows, for people who cannot see it")
        if missing == "transcript":
            return _(
                "audio and video need a transcript: add transcript: with what is said and shown, "
                "for people who cannot hear or see it"
            )
        return _("missing required field '%(name)s'", name=missing)
    if kind == "extra_forbidden":
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(name, allowed, n=1)
        if close:
            return _("unknown field '%(name)s'; did you mean '%(close)s'?", name=name, close=close[0])
        if allowed:
            return _(
                "unknown field '%(name)s' (allowed here: %(allowed)s)", name=name, allowed=", ".join(allowed)
            )
        return _("unknown field '%(name)s'", name=name)
    if kind == "union_tag_invalid":
        return _(
            "unknown block type '%(tag)s'; use one of: %(types)s", tag=ctx.get("tag"), types=_BLOCK_TYPES
        )
    if kind == "union_tag_not_found" or (kind == "model_attributes_type" and not isinstance(value, dict)):
        if isinstance(value, dict):
            return _("a block needs a type: one of %(types)s", types=_BLOCK_TYPES)
        return _("expected a mapping (key: value lines), not %(what)s", what=_what(value))
    if kind == "all_or_list":
        return _('expected "all" or a list of lesson ids, not %(what)s', what=_what(value))
    if kind == "literal_error":
        if name == "schema_version":
            return _(
                "unsupported schema_version %(value)s: "
                "this version of the platform reads schema_version %(v)d",
                value=raw or repr(value),
                v=schema.SCHEMA_VERSION,
            )
        return _(
            "'%(value)s' is not allowed here; use %(expected)s",
            value=raw or value,
            expected=ctx.get("expected"),
        )
    if kind == "string_type":
        if raw is not None and value is not None:
            return _('expected text, not %(what)s: put it in quotes, "%(raw)s"', what=_what(value), raw=raw)
        return _("expected text, not %(what)s", what=_what(value))
    if kind == "string_too_short":
        return _("'%(name)s' must not be empty", name=name)
    if kind == "string_too_long":
        return _("'%(name)s' must be at most %(n)d characters", name=name, n=ctx.get("max_length", 0))
    if kind == "string_pattern_mismatch":
        return _pattern_message(path, value)
    if kind == "too_short":
        return _("'%(name)s' needs at least %(n)d item(s)", name=name, n=ctx.get("min_length", 1))
    if kind == "list_type":
        return _("expected a list (one '- ' line per item), not %(what)s", what=_what(value))
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("expected a mapping (key: value lines), not %(what)s", what=_what(value))
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return _("expected a whole number, not %(what)s", what=_what(value))
    if kind in ("bool_type", "bool_parsing"):
        return _("expected true or false, not %(what)s", what=_what(value))
    if kind == "greater_than":
        return _("must be greater than %(n)s", n=ctx.get("gt"))
    if kind == "greater_than_equal":
        return _("must be at least %(n)s", n=ctx.get("ge"))
    if kind == "less_than_equal":
        return _("must be at most %(n)s", n=ctx.get("le"))
    return str(error["msg"])


def _validate(model: type[BaseModel], document: Document, problems: Problems) -> Any:
    """The validated model, or None after reporting every schema error at its position."""
    try:
        return model.model_validate(document.data, strict=True)
    except ValidationError as failure:
        for error in _prune_unions(failure.errors(include_url=False), document):
            path, missing = _resolve(tuple(error["loc"]), document.data)
            value = document.get(path)
            kind = error["type"]
            position: Position
            if kind == "missing" or (kind == "union_tag_not_found" and isinstance(value, dict)):
                position = (
                    document.key_at(path) if path and isinstance(path[-1], str) else document.value_at(path)
                )
            elif kind == "extra_forbidden":
                position = document.key_at(path)
            elif kind == "union_tag_invalid":
                position = document.value_at((*path, "type"))
            else:
                position = document.value_at(path)
            owner = _model_at(model, path[:-1], document.data) if kind == "extra_forbidden" else None
            message = _message(error, path, missing, value, document.raw.get(path), owner)
            problems.error(document.file, position, message)
        return None


def _top_level_mapping(document: Document, problems: Problems) -> bool:
    if isinstance(document.data, dict):
        return True
    problems.error(
        document.file,
        (1, 1),
        _("the top level must be a mapping (key: value lines), not %(what)s", what=_what(document.data)),
    )
    return False


# --- what the schema cannot see ----------------------------------------------------------


def _items(container: Any, name: str) -> list[tuple[int, dict[str, Any]]]:
    values = container.get(name) if isinstance(container, dict) else None
    if not isinstance(values, list):
        return []
    return [(index, value) for index, value in enumerate(values) if isinstance(value, dict)]


class _Ids:
    """Ids of modules, lessons, blocks and questions: one namespace per course."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.seen: dict[str, str] = {}

    def add(self, document: Document, path: DataPath) -> str | None:
        value = document.get(path)
        if not isinstance(value, str):
            return None
        position = document.value_at(path)
        if value in self.seen:
            self.problems.error(
                document.file,
                position,
                _("duplicate id '%(id)s': already used at %(where)s", id=value, where=self.seen[value]),
            )
            return None
        self.seen[value] = f"{document.file}:{position[0]}:{position[1]}"
        return value


def _option_ids(document: Document, options_path: DataPath, problems: Problems, what: str) -> None:
    first: dict[str, int] = {}
    for index, option in _items(document.get(options_path[:-1]), str(options_path[-1])):
        value = option.get("id")
        if not isinstance(value, str):
            continue
        position = document.value_at((*options_path, index, "id"))
        if value in first:
            problems.error(
                document.file,
                position,
                _(
                    "duplicate option id '%(id)s' in this %(what)s (first on line %(line)d)",
                    id=value,
                    what=what,
                    line=first[value],
                ),
            )
        else:
            first[value] = position[0]


def _check_markdown(document: Document, path: DataPath, problems: Problems) -> None:
    value = document.get(path)
    if isinstance(value, str):
        for message in markdown_problems(value):
            problems.error(document.file, document.value_at(path), message)


class _MediaChecker:
    def __init__(self, check: CourseCheck) -> None:
        self.check = check
        self.results: dict[tuple[str, str], tuple[MediaFile | None, list[str]]] = {}
        self.urls: dict[str, str] = {}

    def __call__(self, document: Document, path: DataPath, kind: str) -> None:
        src = document.get(path)
        if not isinstance(src, str) or not src.strip():
            return
        src = src.strip()
        if (src, kind) not in self.results:
            self.results[(src, kind)] = check_media(self.check.folder, src, kind)
        media, messages = self.results[(src, kind)]
        for message in messages:
            self.check.problems.error(document.file, document.value_at(path), message)
        if media is not None:
            self.check.media[media.sha256] = media
            self.urls[src] = media.url

    def url(self, src: str) -> str:
        return self.urls.get(src, src)


def _check_question(document: Document, path: DataPath, problems: Problems) -> None:
    question = document.get(path)
    options = _items(question, "options")
    _option_ids(document, (*path, "options"), problems, _("question"))
    if not options:
        return
    correct = sum(1 for _index, option in options if option.get("correct") is True)
    where = document.key_at((*path, "options"))
    name = question.get("id") if isinstance(question.get("id"), str) else "?"
    if correct == 0:
        problems.error(
            document.file,
            where,
            _("question '%(id)s' has no correct option: mark at least one with correct: true", id=name),
        )
    elif question.get("kind") == "single" and correct > 1:
        problems.error(
            document.file,
            where,
            _(
                "single-choice question '%(id)s' has %(n)d correct options: "
                "keep one, or make it kind: multiple",
                id=name,
                n=correct,
            ),
        )


def _check_module(document: Document, ids: _Ids, media: _MediaChecker, check: CourseCheck) -> None:
    problems = check.problems
    ids.add(document, ("id",))
    for l_index, lesson in _items(document.data, "lessons"):
        lesson_path: DataPath = ("lessons", l_index)
        lesson_id = ids.add(document, (*lesson_path, "id"))
        if lesson_id:
            check.lesson_ids.append(lesson_id)
        for b_index, block in _items(lesson, "blocks"):
            path: DataPath = (*lesson_path, "blocks", b_index)
            ids.add(document, (*path, "id"))
            kind = block.get("type")
            if kind in ("image", "audio", "video"):
                media(document, (*path, "src"), kind)
            for name in _MARKDOWN_FIELDS:
                _check_markdown(document, (*path, name), problems)
            if kind == "scenario":
                _option_ids(document, (*path, "options"), problems, _("scenario"))
                options = _items(block, "options")
                if options and not any(option.get("best") is True for _index, option in options):
                    problems.error(
                        document.file,
                        document.key_at((*path, "options")),
                        _("the scenario has no best option: mark one with best: true"),
                    )
            elif kind == "knowledge_check":
                for q_index, _question in _items(block, "questions"):
                    ids.add(document, (*path, "questions", q_index, "id"))
                    _check_question(document, (*path, "questions", q_index), problems)


def _module_files(folder: Path, course: Document, problems: Problems) -> tuple[list[str], set[str]]:
    """(listed module files that exist, every well-formed name listed)."""
    existing: list[str] = []
    listed: dict[str, int] = {}
    modules = course.get(("modules",))
    for index, item in enumerate(modules if isinstance(modules, list) else []):
        if not isinstance(item, str) or not _MODULE_FILE.fullmatch(item):
            continue  # the schema reports it
        position = course.value_at(("modules", index))
        if item in listed:
            problems.error(
                COURSE_FILE,
                position,
                _(
                    "module file '%(file)s' is listed twice (first on line %(line)d)",
                    file=item,
                    line=listed[item],
                ),
            )
            continue
        listed[item] = position[0]
        if not (folder / item).is_file():
            problems.error(COURSE_FILE, position, _("module file '%(file)s' does not exist", file=item))
            continue
        existing.append(item)
    return existing, set(listed)


def _overlay_files(
    folder: Path, listed: set[str], source_language: str | None, problems: Problems
) -> dict[str, dict[str, str]]:
    """Translation overlays by source file and language; stray files reported."""
    found: dict[str, dict[str, str]] = {}

    def add(source: str, language: str, file: str) -> None:
        if language not in schema.COURSE_LANGUAGES:
            problems.error(
                file,
                (1, 1),
                _(
                    "unknown language '%(lang)s' in the file name: translations may be in %(allowed)s",
                    lang=language,
                    allowed=", ".join(lang for lang in schema.COURSE_LANGUAGES if lang != source_language),
                ),
            )
        elif language == source_language:
            problems.error(
                file,
                (1, 1),
                _(
                    "this translation is in the course's own language (%(lang)s): edit %(source)s itself",
                    lang=language,
                    source=source,
                ),
            )
        else:
            found.setdefault(source, {})[language] = file

    for entry in sorted(folder.iterdir()):
        match = _OVERLAY_NAME.match(entry.name)
        if entry.is_file() and match and match["stem"] == "course":
            add(COURSE_FILE, match["lang"], entry.name)
    modules = folder / MODULES_FOLDER
    if modules.is_dir():
        for entry in sorted(modules.iterdir()):
            file = f"{MODULES_FOLDER}/{entry.name}"
            if file in listed or not entry.is_file() or entry.suffix not in (".yaml", ".yml"):
                continue
            match = _OVERLAY_NAME.match(entry.name)
            if match and f"{MODULES_FOLDER}/{match['stem']}.yaml" in listed:
                add(f"{MODULES_FOLDER}/{match['stem']}.yaml", match["lang"], file)
            else:
                problems.warning(
                    file, (1, 1), _("this file is not listed in course.yaml's modules, so it is ignored")
                )
    return found


def _read_overlay(folder: Path, file: str, language: str, problems: Problems) -> Document | None:
    document = read_yaml(folder / file, file, problems)
    if document is None or not _top_level_mapping(document, problems):
        return None
    _validate(schema.Translation, document, problems)
    given = document.get(("language",))
    if isinstance(given, str) and given != language:
        problems.error(
            file,
            document.value_at(("language",)),
            _("language '%(given)s' does not match the file name (%(lang)s)", given=given, lang=language),
        )
    return document


def _check_duration(check: CourseCheck, course: Document) -> None:
    exception = check.course.duration_exception if check.course else None
    for language, minutes in check.estimated_minutes.items():
        if schema.MIN_MINUTES <= minutes <= schema.MAX_MINUTES:
            continue
        names = {"language": language_name(language), "minutes": minutes, "low": schema.MIN_MINUTES}
        if exception:
            check.problems.warning(
                COURSE_FILE,
                course.key_at(("duration_exception",)),
                _(
                    "estimated time in %(language)s is %(minutes)d minutes, outside %(low)d to %(high)d "
                    "(allowed by duration_exception)",
                    high=schema.MAX_MINUTES,
                    **names,
                ),
            )
        else:
            check.problems.error(
                COURSE_FILE,
                course.key_at(("modules",)),
                _(
                    "estimated time in %(language)s is %(minutes)d minutes; a course takes %(low)d "
                    "to %(high)d: shorten or lengthen it, or add duration_exception: {reason: ...}",
                    high=schema.MAX_MINUTES,
                    **names,
                ),
            )


def check_course(folder: Path, shown_as: str | None = None) -> CourseCheck:
    """Check the course in `folder` (paths in problems start with `shown_as`, default the folder)."""
    check = CourseCheck(folder, shown_as if shown_as is not None else str(folder))
    problems = check.problems
    course_doc = read_yaml(folder / COURSE_FILE, COURSE_FILE, problems)
    if course_doc is None or not _top_level_mapping(course_doc, problems):
        return check
    check.course = _validate(schema.Course, course_doc, problems)
    declared = course_doc.get(("id",))
    check.declared_id = declared if isinstance(declared, str) else None
    if check.declared_id is not None and check.declared_id != folder.resolve().name:
        problems.error(
            COURSE_FILE,
            course_doc.value_at(("id",)),
            _(
                "the course id '%(id)s' must be the name of its folder ('%(folder)s')",
                id=check.declared_id,
                folder=folder.resolve().name,
            ),
        )
    _check_markdown(course_doc, ("help",), problems)
    language = course_doc.get(("language",))
    source_language = language if language in schema.COURSE_LANGUAGES else None

    existing, listed = _module_files(folder, course_doc, problems)
    ids = _Ids(problems)
    media = _MediaChecker(check)
    sources = [SourceFile(COURSE_FILE, course_doc, course_texts(course_doc.data))]
    modules: list[schema.Module | None] = []
    # Lesson ids are known for sure only when every listed module file could be read.
    all_read = len(existing) == len(listed)
    for file in existing:
        document = read_yaml(folder / file, file, problems)
        if document is None or not _top_level_mapping(document, problems):
            modules.append(None)
            all_read = False
            continue
        modules.append(_validate(schema.Module, document, problems))
        _check_module(document, ids, media, check)
        sources.append(SourceFile(file, document, module_texts(document.data)))

    rule = course_doc.get(("completion", "required_lessons"))
    for index, lesson in enumerate(rule if isinstance(rule, list) else []):
        if all_read and isinstance(lesson, str) and lesson not in check.lesson_ids:
            problems.error(
                COURSE_FILE,
                course_doc.value_at(("completion", "required_lessons", index)),
                _("required lesson '%(id)s' is not a lesson of this course", id=lesson),
            )

    overlays = _overlay_files(folder, listed, source_language, problems)
    translations: dict[str, dict[str, str]] = {}
    if source_language:
        found = {lang for by_language in overlays.values() for lang in by_language}
        check.languages = [source_language, *(lang for lang in schema.COURSE_LANGUAGES if lang in found)]
        for target in check.languages[1:]:
            translations[target] = {}
            for source in sources:
                overlay_file = overlays.get(source.file, {}).get(target) or _overlay_name(source.file, target)
                overlay = (
                    _read_overlay(folder, overlay_file, target, problems)
                    if target in overlays.get(source.file, {})
                    else None
                )
                translations[target].update(
                    check_overlay(
                        source.document,
                        source.texts,
                        overlay,
                        overlay_file,
                        target,
                        source_language,
                        problems,
                    )
                )

    if check.course and modules and all(modules):
        check.modules = [m for m in modules if m]
        content = build_content(check.course, check.modules, check.languages, translations, media.url)
        check.estimated_minutes = {
            lang: content["localized"][lang]["estimated_minutes"] for lang in check.languages
        }
        _check_duration(check, course_doc)
        if not check.errors:
            check.content = content
            check.content_hash = content_hash(content)
    return check


def _overlay_name(file: str, language: str) -> str:
    return f"{file.removesuffix('.yaml')}.{language}.yaml"


# --- finding courses ---------------------------------------------------------------------


@dataclass
class Discovery:
    """Course folders found under the paths given, and messages about paths that hold none."""

    folders: list[tuple[Path, str]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def discover(paths: list[str]) -> Discovery:
    """Course folders named by `paths`: a course folder, its course.yaml, or a folder of courses."""
    found = Discovery()
    seen: set[Path] = set()

    def add(folder: Path, shown: str) -> None:
        key = folder.resolve()
        if key not in seen:
            seen.add(key)
            found.folders.append((folder, shown))

    for given in paths:
        path = Path(given)
        if path.is_file() and path.name == COURSE_FILE:
            add(path.parent, given[: -len(COURSE_FILE)].rstrip("/") or ".")
        elif path.is_file():
            found.messages.append(
                _("%(path)s: error: not a course folder (give the folder that holds course.yaml)", path=given)
            )
        elif (path / COURSE_FILE).is_file():
            add(path, given)
        elif path.is_dir():
            try:
                inside = sorted(p for p in path.iterdir() if (p / COURSE_FILE).is_file())
            except OSError as error:
                found.messages.append(
                    _(
                        "%(path)s: error: cannot read the folder: %(reason)s",
                        path=given,
                        reason=error.strerror,
                    )
                )
                continue
            if not inside:
                found.messages.append(
                    _(
                        "%(path)s: error: no course found here: a course is a folder holding course.yaml "
                        "(see docs/course-format.md)",
                        path=given,
                    )
                )
            for folder in inside:
                add(folder, join_path(given, folder.name))
        else:
            found.messages.append(_("%(path)s: error: no such file or folder", path=given))
    return found


# --- the translators' template -----------------------------------------------------------


@dataclass
class TranslationTemplate:
    """An overlay skeleton for one source file, where it belongs, and problems met on the way."""

    text: str | None
    overlay_path: Path | None
    messages: list[str]


def translation_template(path: Path, language: str) -> TranslationTemplate:
    """The overlay in `language` for `path` (a course.yaml or a module file), see `overlay_template`."""
    if path.name == COURSE_FILE:
        folder, file = path.parent, COURSE_FILE
    elif path.parent.name == MODULES_FOLDER and path.suffix == ".yaml":
        folder, file = path.parent.parent, f"{MODULES_FOLDER}/{path.name}"
    else:
        message = _(
            "%(path)s: error: give the course.yaml or a module file (modules/<name>.yaml) of a course",
            path=path,
        )
        return TranslationTemplate(None, None, [message])
    problems = Problems()
    course = read_yaml(folder / COURSE_FILE, COURSE_FILE, problems)
    document = course if file == COURSE_FILE else read_yaml(folder / file, file, problems)
    source_language = course.get(("language",)) if course else None
    messages = [problem.format(str(folder)) for problem in problems.sorted()]
    if source_language not in schema.COURSE_LANGUAGES:
        messages.append(
            _("%(path)s: error: course.yaml does not say the course's language", path=folder / COURSE_FILE)
        )
        return TranslationTemplate(None, None, messages)
    if language == source_language:
        messages.append(
            _("%(path)s: error: the course is written in %(lang)s already", path=path, lang=language)
        )
        return TranslationTemplate(None, None, messages)
    if document is None or not isinstance(document.data, dict):
        return TranslationTemplate(
            None, None, messages or [_("%(path)s: error: cannot read the file", path=path)]
        )
    texts = course_texts(document.data) if file == COURSE_FILE else module_texts(document.data)
    overlay_path = folder / _overlay_name(file, language)
    existing = read_yaml(overlay_path, overlay_path.name, problems) if overlay_path.is_file() else None
    messages = [problem.format(str(folder)) for problem in problems.sorted()]
    return TranslationTemplate(
        overlay_template(texts, language, source_language, existing), overlay_path, messages
    )
