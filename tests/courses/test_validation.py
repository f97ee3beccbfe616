"""The validator: the complete example passes, every broken example fails at its exact place."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.courses import schema
from lms.courses.problems import Problems
from lms.courses.reading import read_yaml
from lms.courses.validation import check_course
from tests.courses.conftest import BROKEN, COMPLETE, replace_in

ROOT = Path(__file__).resolve().parents[2]
# Every type the schema knows: the example course must show each one.
BLOCK_TYPES = set(schema.BLOCK_TYPES)

# `flask courses validate tests/courses/examples/broken`, one line per problem, in path order
# (the prefix tests/courses/examples/broken/ left out).
BROKEN_REPORT = (BROKEN / "expected-report.txt").read_text(encoding="utf-8")


def test_complete_example_has_no_problem_and_every_block_type():
    check = check_course(COMPLETE)
    assert check.formatted() == []
    assert check.languages == ["en", "fr"]
    assert all(30 <= minutes <= 60 for minutes in check.estimated_minutes.values())
    assert set(check.estimated_minutes) == {"en", "fr"}
    blocks = [
        block
        for module in check.content["localized"]["en"]["modules"]
        for lesson in module["lessons"]
        for block in lesson["blocks"]
    ]
    assert {block["type"] for block in blocks} == BLOCK_TYPES


def test_validate_command_passes_on_the_complete_example(runner, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(args=["courses", "validate", "tests/courses/examples/complete-course"])
    assert result.exit_code == 0, result.output
    assert "complete-course: languages en, fr; estimated minutes en 35, fr 38; 0 error(s), 0 warning(s)" in (
        result.output
    )


def test_validate_command_reports_every_broken_example_at_its_line_and_column(runner, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(args=["courses", "validate", "tests/courses/examples/broken"])
    assert result.exit_code == 1
    prefix = "tests/courses/examples/broken/"
    reported = [line.removeprefix(prefix) for line in result.output.splitlines() if line.startswith(prefix)]
    assert reported == BROKEN_REPORT.splitlines()
    assert "25 course(s) checked: 42 error(s), 7 warning(s)." in result.output


def test_every_broken_example_is_reported():
    folders = {path.name for path in BROKEN.iterdir() if path.is_dir()}
    reported = {line.split("/", 1)[0] for line in BROKEN_REPORT.splitlines()}
    assert reported == folders


@pytest.mark.parametrize("name", sorted(p.name for p in BROKEN.iterdir() if p.is_dir()))
def test_each_broken_example_alone_gives_its_own_lines(name):
    expected = [line for line in BROKEN_REPORT.splitlines() if line.startswith(name + "/")]
    assert check_course(BROKEN / name, name).formatted() == expected


def test_folder_without_any_course_gets_a_clear_message(runner, tmp_path):
    empty = tmp_path / "courses"
    empty.mkdir()
    result = runner.invoke(args=["courses", "validate", str(empty)])
    assert result.exit_code == 1
    assert f"{empty}: error: no course found here: a course is a folder holding course.yaml" in result.output
    assert "Traceback" not in result.output


def test_path_that_does_not_exist_is_an_error(runner, tmp_path):
    result = runner.invoke(args=["courses", "validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'nowhere'}: error: no such file or folder" in result.output


def test_course_yaml_given_directly_checks_its_folder(runner, monkeypatch):
    monkeypatch.chdir(COMPLETE)
    result = runner.invoke(args=["courses", "validate", "course.yaml"])
    assert result.exit_code == 0, result.output


def test_warnings_alone_keep_the_exit_status_at_zero(runner, course_copy):
    (course_copy / "modules" / "02-responding.fr.yaml").unlink()
    result = runner.invoke(args=["courses", "validate", str(course_copy)])
    assert result.exit_code == 0
    assert (
        "warning: no French translation of this file (modules/02-responding.fr.yaml is missing)"
        in result.output
    )


def test_every_duplicate_key_of_a_file_is_reported(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb: 2\na: 3\nb: 4\nc:\n  d: 1\n  d: 2\n")
    problems = Problems()
    read_yaml(path, "x.yaml", problems)
    assert [problem.format("") for problem in problems.sorted()] == [
        "x.yaml:3:1: error: duplicate key 'a' (first given on line 1)",
        "x.yaml:4:1: error: duplicate key 'b' (first given on line 2)",
        "x.yaml:7:3: error: duplicate key 'd' (first given on line 6)",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: &x [1]\nb: *x\n",
            "2:1: error: YAML aliases (*x) are not supported: write the value out in full",
        ),
        ("a: !!binary aGk=\n", "1:4: error: unsupported YAML tag tag:yaml.org,2002:binary"),
        ("a: 1\n<<: {b: 2}\n", "2:1: error: YAML merge keys (<<) are not supported: write the fields out"),
        ("? [a]\n: 1\n", "1:3: error: a key must be plain text, not a list or a mapping"),
        ("a: \x01\n", "1:4: error: the file contains a character that YAML does not allow (U+0001)"),
        ('a: 1\nb: "Hello\\0"\n', "2:4: error: the text contains a NUL character (\\0): remove it"),
        (
            "a: 1\n---\nb: 2\n",
            "2:1: error: malformed YAML: expected a single document in the stream: "
            "but found another document",
        ),
        ("# only a comment\n", "1:1: error: the file is empty"),
        ("[" * 2000, "1:1: error: the data is nested too deeply"),
    ],
)
def test_yaml_that_cannot_be_course_data_is_reported_at_its_place(tmp_path, text, message):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    problems = Problems()
    read_yaml(path, "x.yaml", problems)
    assert [problem.format("") for problem in problems.sorted()] == [f"x.yaml:{message}"]


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    problems = Problems()
    assert read_yaml(path, "x.yaml", problems).data == {"a": 1}
    assert problems.items == []


def test_every_problem_of_every_file_is_reported_at_once(course_copy):
    module = course_copy / "modules" / "01-noticing.yaml"
    replace_in(
        module, "        caption: The three steps", "        colour: red\n        caption: The three steps"
    )
    replace_in(module, "duration_seconds: 3", "duration_seconds: -3")
    replace_in(course_copy / "course.yaml", "pass_mark: 75", "pass_mark: 175")
    replace_in(course_copy / "modules" / "02-responding.yaml", "id: check-self-care", "id: check-listening")
    check = check_course(course_copy, "c")
    assert [problem.format("c") for problem in check.problems.sorted() if problem.severity == "error"] == [
        "c/course.yaml:20:14: error: must be at most 100",
        "c/modules/01-noticing.yaml:37:9: error: unknown field 'colour' "
        "(allowed here: alt, caption, id, src, type)",
        "c/modules/01-noticing.yaml:78:27: error: must be greater than 0",
        "c/modules/02-responding.yaml:165:13: error: duplicate id 'check-listening': already used at "
        "modules/02-responding.yaml:75:13",
    ]
    assert check.content is None


def test_unknown_block_type_lists_the_known_ones(course_copy):
    replace_in(course_copy / "modules" / "01-noticing.yaml", "type: key_points", "type: keypoints")
    assert check_course(course_copy, "c").formatted() == [
        "c/modules/01-noticing.yaml:38:15: error: unknown block type 'keypoints'; use one of: text, image, "
        "audio, video, callout, key_points, reflection, scenario, knowledge_check"
    ]


def test_required_lessons_must_be_all_or_a_list(course_copy):
    replace_in(course_copy / "course.yaml", "required_lessons: all", "required_lessons: 3")
    assert check_course(course_copy, "c").formatted() == [
        'c/course.yaml:19:21: error: expected "all" or a list of lesson ids, not a number'
    ]


def test_invalid_id_explains_the_rule(course_copy):
    replace_in(course_copy / "modules" / "01-noticing.yaml", "id: pss-intro", "id: PSS_intro")
    check = check_course(course_copy, "c")
    assert [problem.format("c") for problem in check.errors] == [
        "c/modules/01-noticing.yaml:9:13: error: 'PSS_intro' is not a valid id: use 2 to 80 lowercase "
        "letters (a-z), digits and hyphens, starting and ending with a letter or digit"
    ]


def test_a_tag_longer_than_the_database_column_is_refused(course_copy):
    replace_in(
        course_copy / "course.yaml", "tags: [basic-pss, listening]", "tags: [basic-pss, " + "x" * 41 + "]"
    )
    (problem,) = check_course(course_copy, "c").formatted()
    assert problem.startswith(
        "c/course.yaml:17:19: error: '" + "x" * 41 + "' is not a valid tag: use 2 to 40"
    )


def test_a_module_file_not_listed_is_reported(course_copy):
    (course_copy / "modules" / "03-draft.yaml").write_text("schema_version: 1\n")
    assert check_course(course_copy, "c").formatted() == [
        "c/modules/03-draft.yaml:1:1: warning: this file is not listed in course.yaml's modules, "
        "so it is ignored"
    ]


def test_changed_image_changes_the_content_hash(course_copy):
    before = check_course(course_copy).content_hash
    replace_in(course_copy / "media" / "look-listen-link.svg", 'fill="#fde7ea"', 'fill="#ffffff"')
    after = check_course(course_copy)
    assert after.content_hash != before
    assert after.formatted() == []


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ('"media/\\0x.svg"', "the text contains a NUL character (\\0): remove it"),
        ("ftp://example.org/x.svg", "media URL 'ftp://example.org/x.svg' must be an https:// address"),
        ("https://example.org/x.svg", "images must be files of the course (e.g. media/picture.svg)"),
        ("media/pause-bell.txt", "media file 'media/pause-bell.txt' does not exist"),
        ("media", "media file 'media' does not exist"),
    ],
)
def test_image_sources_that_cannot_be_shown_are_refused(course_copy, src, message):
    replace_in(course_copy / "modules" / "01-noticing.yaml", "src: media/look-listen-link.svg", f"src: {src}")
    (line,) = [problem.format("c") for problem in check_course(course_copy, "c").errors]
    assert line.startswith("c/modules/01-noticing.yaml:33:14: error: " + message)


def test_svg_that_is_not_well_formed_is_refused(course_copy):
    (course_copy / "media" / "look-listen-link.svg").write_text("<svg><g></svg>")
    (line,) = [problem.format("c") for problem in check_course(course_copy, "c").errors]
    assert line.startswith("c/modules/01-noticing.yaml:33:14: error: the SVG is not well-formed XML")
