"""A small world to attack: two Societies, one person in each role, a loaded course, a completion.

Everything is built with the factories and the services, then described by plain values
(`World`), so tests can send requests and roll back between them without stale objects.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.courses.models import Course, CourseMedia
from lms.courses.services import checked_or_raise, publish_course
from lms.courses.validation import CourseCheck
from lms.learning import services as learning
from lms.learning.models import Completion
from tests.conftest import get_db_of
from tests.factories import BranchFactory, OrganisationFactory, RoleGrantFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent.parent
COMPLETE_COURSE = ROOT / "tests" / "courses" / "examples" / "complete-course"
PASSWORD = "correct horse battery"
ROLES = ("anonymous", "learner", "focal_a", "focal_b", "author", "admin")


@dataclass(frozen=True)
class World:
    """Plain values of the world: codes, ids, e-mail addresses and the things URLs are made of."""

    org_a: str
    org_b: str
    org_ids: dict[str, int]
    branch_a: int
    branch_b: int
    users: dict[str, int]
    logins: dict[str, str]
    emails: dict[str, str]
    slug: str
    version: int
    lesson: str
    reflection_lesson: str
    reflection_block: str
    check_lesson: str
    check_block: str
    check_answers: dict[str, list[str]]
    scenario_lesson: str
    scenario_block: str
    scenario_option: str
    certificate: str
    media: str
    reset_token: str


def _blocks(content: dict[str, Any], block_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for module in content["localized"][content["source_language"]]["modules"]:
        for lesson in module["lessons"]:
            for block in lesson["blocks"]:
                if block["type"] == block_type:
                    yield lesson["id"], block


def complete_course(session: Session, user: User, course: Course) -> Completion:
    """Take `course` as `user` through the services: open every lesson, answer every check right."""
    enrolment = learning.start_course(session, user, course, "en")
    content = enrolment.course_version.content
    for number, (lesson_id, block) in enumerate(_blocks(content, "knowledge_check")):
        right = {q["id"]: [o["id"] for o in q["options"] if o["correct"]] for q in block["questions"]}
        learning.submit_knowledge_check(
            session, user, enrolment, lesson_id, block["id"], right, f"world-check-{number:04d}"
        )
    completion = None
    for lesson_id in learning.lesson_ids(content):
        completion = learning.record_lesson_view(session, user, enrolment, lesson_id) or completion
    if completion is None:
        raise AssertionError("the world's learner did not complete the course")
    return completion


@functools.cache
def _complete_course_check() -> CourseCheck:
    # Checking the files is the slow half of `load_courses`: done once, published in every test.
    [check] = checked_or_raise([str(COMPLETE_COURSE)])
    return check


def build_world(session: Session) -> World:
    org_a = OrganisationFactory(code="AAA", name_en="Society A", support_contacts="Call A")
    org_b = OrganisationFactory(code="BBB", name_en="Society B", support_contacts="Call B")
    branch_a = BranchFactory(organisation=org_a, name="North A")
    branch_b = BranchFactory(organisation=org_b, name="North B")
    ifrc = OrganisationFactory(code="IFRC", kind="ifrc", region=None, name_en="IFRC")
    users = {
        "learner": UserFactory(email="learner@example.org", organisation=org_a, branch=branch_a),
        "focal_a": UserFactory(email="focal-a@example.org", organisation=org_a),
        "focal_b": UserFactory(email="focal-b@example.org", organisation=org_b),
        "author": UserFactory(email="author@example.org", organisation=org_b),
        "admin": UserFactory(email="admin@example.org", organisation=ifrc),
    }
    RoleGrantFactory(user=users["focal_a"], role="focal_point", organisation=org_a)
    RoleGrantFactory(user=users["focal_b"], role="focal_point", organisation=org_b)
    RoleGrantFactory(user=users["author"], role="author")
    RoleGrantFactory(user=users["admin"], role="admin")
    # A second administrator, so that the first may delete their own account like anyone else.
    RoleGrantFactory(user=UserFactory(email="admin-2@example.org", organisation=ifrc), role="admin")
    result = publish_course(session, _complete_course_check())
    course = session.scalars(select(Course).where(Course.slug == result.course_id)).one()
    completion = complete_course(session, users["learner"], course)
    content = completion.course_version.content
    reflection_lesson, reflection = next(_blocks(content, "reflection"))
    check_lesson, check = next(_blocks(content, "knowledge_check"))
    scenario_lesson, scenario = next(_blocks(content, "scenario"))
    found = auth_services.request_password_reset(session, "learner@example.org", 3600)
    assert found is not None
    session.flush()
    return World(
        org_a=org_a.code,
        org_b=org_b.code,
        org_ids={"a": org_a.id, "b": org_b.id},
        branch_a=branch_a.id,
        branch_b=branch_b.id,
        users={role: user.id for role, user in users.items()},
        logins={role: user.get_id() for role, user in users.items()},
        emails={role: user.email for role, user in users.items()},
        slug=course.slug,
        version=result.version_number,
        lesson=learning.lesson_ids(content)[0],
        reflection_lesson=reflection_lesson,
        reflection_block=reflection["id"],
        check_lesson=check_lesson,
        check_block=check["id"],
        check_answers={q["id"]: [o["id"] for o in q["options"] if o["correct"]] for q in check["questions"]},
        scenario_lesson=scenario_lesson,
        scenario_block=scenario["id"],
        scenario_option=scenario["options"][0]["id"],
        certificate=completion.certificate_code,
        media=session.scalars(select(CourseMedia.sha256)).first(),
        reset_token=found[1],
    )


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests send hundreds of forms that set passwords; argon2's real cost is tested in tests/auth.
    monkeypatch.setattr(
        auth_services, "PASSWORD_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def world(db_session: Session) -> World:
    built = build_world(db_session)
    db_session.commit()
    return built


def client_as(app: Flask, world: World, role: str) -> FlaskClient:
    """A new client, logged in as the world's person in `role` (or anonymous)."""
    client = app.test_client()
    if role != "anonymous":
        with client.session_transaction() as cookie:
            cookie["_user_id"] = world.logins[role]
            cookie["_fresh"] = True
    return client


@contextmanager
def undone(app: Flask, session: Session) -> Iterator[None]:
    """Whatever requests do inside is rolled back at the end (a SAVEPOINT on the test's connection)."""
    session.commit()
    database = get_db_of(app)
    connection = session.get_bind()
    database.scoped.remove()
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        database.scoped.remove()
        savepoint.rollback()
