"""docs/course.schema.json is generated from the format's models and kept in step with them."""

from __future__ import annotations

import json
from pathlib import Path

from lms.courses.json_schema import course_json_schema_text

ROOT = Path(__file__).resolve().parents[2]


def test_committed_json_schema_equals_the_generated_one():
    assert (ROOT / "docs" / "course.schema.json").read_text(encoding="utf-8") == course_json_schema_text(), (
        "docs/course.schema.json is out of date: run flask courses json-schema"
    )


def test_json_schema_covers_the_three_kinds_of_file():
    schema = json.loads(course_json_schema_text())
    assert [ref["$ref"] for ref in schema["anyOf"]] == [
        "#/$defs/Course",
        "#/$defs/Module",
        "#/$defs/Translation",
    ]
    assert schema["$defs"]["ImageBlock"]["required"] == ["type", "id", "src", "alt"]


def test_json_schema_command_writes_the_file(runner, tmp_path):
    target = tmp_path / "schema.json"
    result = runner.invoke(args=["courses", "json-schema", "--output", str(target)])
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == course_json_schema_text()
