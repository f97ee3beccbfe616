"""Whatever the files hold, the validator answers with problems and never raises (Hypothesis).

Bounded: 200 examples in all, no database. Each example writes one file of a copy of the
complete example course and checks the whole course.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.courses.problems import Problems
from lms.courses.reading import read_yaml
from lms.courses.validation import check_course
from tests.courses.conftest import COMPLETE

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TARGETS = ["course.yaml", "modules/01-noticing.yaml", "modules/02-responding.fr.yaml"]

# Values that reach the deeper checks: block types, media paths good and bad, unsafe Markdown.
SAMPLES = [
    *("text", "image", "audio", "all", "single", "1", "en", "fr", "<b>x</b>", "[a](javascript:x)"),
    *("media/look-listen-link.svg", "media/pause-bell.wav", "../x.svg", "/etc/passwd", "media/\x00.svg"),
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(SAMPLES),
)
keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["schema_version", "id", "type", "lessons", "blocks", "options", "strings", "text", "modules"]
    ),
)
trees = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=25,
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        course = Path(folder) / "complete-course"
        shutil.copytree(COMPLETE, course)
        yield course


def _check_with(course: Path, target: str, data: bytes) -> None:
    original = (COMPLETE / target).read_bytes()
    (course / target).write_bytes(data)
    try:
        check = check_course(course, "c")
    finally:
        (course / target).write_bytes(original)
    for line in check.formatted():
        where, severity, _message = line.split(": ", 2)
        assert severity in {"error", "warning"}
        assert where.startswith("c/")
        assert all(part.isdigit() for part in where.split(":")[1:3])


@FUZZ
@given(target=st.sampled_from(TARGETS), data=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(scratch, target, data):
    _check_with(scratch, target, data)


@FUZZ
@given(target=st.sampled_from(TARGETS), tree=trees)
def test_arbitrary_yaml_trees_never_raise(scratch, target, tree):
    _check_with(scratch, target, json.dumps(tree).encode())


def _mutate(node: Any, rng: random.Random, replacement: Any) -> Any:
    """One random change somewhere in the tree: drop, replace or duplicate a part, or add a key."""
    if isinstance(node, dict) and node and rng.random() < 0.7:
        key = rng.choice(list(node))
        choice = rng.random()
        if choice < 0.2:
            return {k: v for k, v in node.items() if k != key}
        if choice < 0.3:
            return {**node, f"{key}-extra": replacement}
        if choice < 0.45:
            return {**node, key: replacement}
        return {**node, key: _mutate(node[key], rng, replacement)}
    if isinstance(node, list) and node and rng.random() < 0.7:
        index = rng.randrange(len(node))
        choice = rng.random()
        if choice < 0.2:
            return node[:index] + node[index + 1 :]
        if choice < 0.35:
            return [*node, node[index]]
        return [*node[:index], _mutate(node[index], rng, replacement), *node[index + 1 :]]
    return replacement


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(TARGETS), seed=st.integers(0, 2**32), replacement=trees, rounds=st.integers(1, 4)
)
def test_mutations_of_the_valid_example_never_raise(scratch, target, seed, replacement, rounds):
    data = read_yaml(COMPLETE / target, target, Problems()).data
    rng = random.Random(seed)
    for _ in range(rounds):
        data = _mutate(data, rng, replacement)
    _check_with(scratch, target, json.dumps(data, ensure_ascii=False).encode())
