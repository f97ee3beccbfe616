"""The JSON Schema of the course format (docs/course.schema.json), generated from the models."""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from lms.courses import schema


def course_json_schema() -> dict[str, Any]:
    """One schema for the three kinds of file: `course.yaml`, a module file, a translation overlay."""
    models = [
        (schema.Course, "validation"),
        (schema.Module, "validation"),
        (schema.Translation, "validation"),
    ]
    refs, document = models_json_schema(models, ref_template="#/$defs/{model}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "PSS Learning course file",
        "description": (
            "course.yaml, a module file (modules/<name>.yaml) or a translation overlay "
            "(<file>.<lang>.yaml). See docs/course-format.md."
        ),
        "anyOf": [refs[model] for model in models],
        "$defs": document["$defs"],
    }


def course_json_schema_text() -> str:
    """The schema as committed: indented, keys sorted, one final newline."""
    return json.dumps(course_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
