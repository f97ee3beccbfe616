"""Fixtures of the course tests: the example courses, copies to edit, and logged-in people."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from lms.auth.models import User
from tests.factories import current_session

EXAMPLES = Path(__file__).resolve().parent / "examples"
COMPLETE = EXAMPLES / "complete-course"
BROKEN = EXAMPLES / "broken"


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """An editable copy of the complete example course, in a folder named after its id."""
    target = tmp_path / "complete-course"
    shutil.copytree(COMPLETE, target)
    return target


def log_in(client: FlaskClient, user: User) -> None:
    """Log `user` in through the flask-login session.

    Commits first (to the test's savepoint): the session transaction's teardown closes the
    shared session, which would otherwise roll back the user just created.
    """
    current_session().commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def replace_in(path: Path, old: str, new: str) -> None:
    """Edit a course file in place; fails if `old` is not there, so a test cannot edit nothing."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
