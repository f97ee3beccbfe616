"""The example of docs/course-format.md is a valid course, so the documentation cannot drift."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from lms.courses.validation import check_course
from tests.courses.conftest import COMPLETE

DOC = Path(__file__).resolve().parents[2] / "docs" / "course-format.md"


def _yaml_after(text: str, heading: str) -> str:
    start = text.index(heading)
    return re.search(r"```yaml\n(.*?)```", text[start:], re.S).group(1)


def test_the_documented_example_course_is_valid(tmp_path):
    text = DOC.read_text(encoding="utf-8")
    folder = tmp_path / "listening-with-care"
    (folder / "modules").mkdir(parents=True)
    shutil.copytree(COMPLETE / "media", folder / "media")
    (folder / "course.yaml").write_text(_yaml_after(text, "`course.yaml`:"), encoding="utf-8")
    (folder / "modules" / "01-noticing.yaml").write_text(
        _yaml_after(text, "`modules/01-noticing.yaml`, with one block"), encoding="utf-8"
    )
    (folder / "modules" / "01-noticing.fr.yaml").write_text(
        _yaml_after(text, "`modules/01-noticing.fr.yaml`, a translation"), encoding="utf-8"
    )
    check = check_course(folder, "c")
    assert check.errors == []
    blocks = {
        block["type"] for block in check.content["localized"]["en"]["modules"][0]["lessons"][0]["blocks"]
    }
    # Audio stands for audio and video, which share their fields.
    assert blocks == {
        "text",
        "image",
        "audio",
        "callout",
        "key_points",
        "reflection",
        "scenario",
        "knowledge_check",
    }
    assert check.content["localized"]["fr"]["modules"][0]["title"] == "Repérer la détresse"
    assert "stale" not in " ".join(check.formatted())
