"""Course files of the wrong shape are refused with messages, never with a crash of the checker.

Every key of `course.yaml`, of a module file and of one block of each type gets, in turn, a
value of each wrong kind. The checker must answer with problems (path:line:column), not raise.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from lms.courses.services import CoursesInvalid, checked_or_raise
from lms.courses.validation import check_course
from tests.security.conftest import COMPLETE_COURSE

WRONG_VALUES: list[Any] = [True, "text", None, {"a": "b"}, ["x"]]
MODULE = "modules/01-noticing.yaml"


def _keys(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path of a document: the keys of mappings and the items of lists."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from _keys(value, (*path, key))
    elif isinstance(node, list) and node:
        # Items of a list of texts are all alike: the first stands for them.
        items = node if isinstance(node[0], dict) else node[:1]
        for index, item in enumerate(items):
            yield (*path, index)
            yield from _keys(item, (*path, index))


def _first_of_each_block_type(module: dict[str, Any]) -> dict[str, Any]:
    """The module reduced to its first lesson, holding the first block of each type of the module."""
    seen: dict[str, Any] = {}
    for lesson in module["lessons"]:
        for block in lesson["blocks"]:
            seen.setdefault(block["type"], block)
    lesson = dict(module["lessons"][0])
    lesson["blocks"] = list(seen.values())
    return {**module, "lessons": [lesson]}


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _document(file: str) -> Any:
    """The small course checked here: one module, one lesson, one block of each type of that module."""
    document = _load(COMPLETE_COURSE / file)
    if file == MODULE:
        return _first_of_each_block_type(document)
    document["modules"] = [MODULE]
    document["duration_exception"] = {"reason": "A shortened copy of the example course."}
    return document


COURSE_KEYS = list(_keys(_document("course.yaml")))
MODULE_KEYS = list(_keys(_document(MODULE)))


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        document = document[part]
    document[path[-1]] = value


def _problems_of(folder: Path, file: str, document: Any) -> list[str]:
    with (folder / file).open("w", encoding="utf-8") as stream:
        YAML(typ="safe").dump(document, stream)
    return check_course(folder).formatted()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shapes") / "complete-course"
    shutil.copytree(COMPLETE_COURSE / "media", folder / "media")
    (folder / "modules").mkdir()
    for file in (MODULE, "course.yaml"):
        problems = _problems_of(folder, file, _document(file))
    assert not [problem for problem in problems if ": error:" in problem], problems
    return folder


@pytest.mark.parametrize(
    ("file", "path"),
    [("course.yaml", path) for path in COURSE_KEYS] + [(MODULE, path) for path in MODULE_KEYS],
    ids=lambda value: ".".join(map(str, value)) if isinstance(value, tuple) else value,
)
def test_a_value_of_the_wrong_kind_is_reported_not_a_crash(scratch, file, path):
    crashes = []
    try:
        for value in WRONG_VALUES:
            document = _document(file)
            _set(document, path, value)
            try:
                _problems_of(scratch, file, document)
            except Exception as error:
                crashes.append(f"{value!r}: {type(error).__name__}: {error}")
    finally:
        _problems_of(scratch, file, _document(file))
    assert not crashes, f"{file} {'.'.join(map(str, path))}: " + "; ".join(crashes)


def test_modules_given_as_true_is_refused_with_a_message(scratch):
    document = _document("course.yaml")
    document["modules"] = True
    try:
        problems = _problems_of(scratch, "course.yaml", document)
        with pytest.raises(CoursesInvalid):
            checked_or_raise([str(scratch)])
    finally:
        _problems_of(scratch, "course.yaml", _document("course.yaml"))
    assert any("course.yaml:13:10: error: expected a list" in problem for problem in problems), problems


HOSTILE_IDS = [
    "' OR 1=1 --",
    '"; DROP TABLE "user"; --',
    "%_\\",
    "<script>x</script>",
    "../../etc",
    "a" * 81,
    "Ünï",
]
ID_PATHS = [
    ("course.yaml", ("id",)),
    (MODULE, ("id",)),
    (MODULE, ("lessons", 0, "id")),
    (MODULE, ("lessons", 0, "blocks", 0, "id")),
    ("course.yaml", ("tags", 0)),
]


@pytest.mark.parametrize(
    ("file", "path"),
    ID_PATHS,
    ids=lambda value: ".".join(map(str, value)) if isinstance(value, tuple) else value,
)
def test_ids_and_tags_are_restricted_to_plain_letters_digits_and_hyphens(scratch, file, path):
    accepted = []
    try:
        for value in HOSTILE_IDS:
            document = _document(file)
            _set(document, path, value)
            problems = _problems_of(scratch, file, document)
            if not any(f"{file}:" in problem and ": error:" in problem for problem in problems):
                accepted.append(value)
    finally:
        _problems_of(scratch, file, _document(file))
    assert not accepted, f"{file} {path} accepted {accepted}"
