"""A small known population of two Societies, and helpers to log in as someone."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.learning.models import Answer, Completion, Enrolment, Reflection
from lms.orgs.models import Headcount, Organisation
from lms.reports.queries import Period, ReportFilters
from tests.factories import (
    BranchFactory,
    CourseFactory,
    CourseVersionFactory,
    OrganisationFactory,
    RoleGrantFactory,
    UserFactory,
    current_session,
)

PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))
PERIOD_ARGS = {"date_from": "2026-01-01", "date_to": "2026-06-30"}
SECRET_REFLECTION = "My private reflection nobody may read"


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def login(client: FlaskClient, user: User | None) -> None:
    """Log `user` in through the session cookie (None: log out).

    Commits first (to the test's savepoint): opening the cookie session ends a request context,
    which closes the shared database session and would drop rows only flushed.
    """
    current_session().commit()
    with client.session_transaction() as session:
        if user is not None:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True


@dataclass
class Population:
    session: Session
    a: Organisation
    b: Organisation
    people: dict[str, User]
    courses: dict[str, Any]
    branches: dict[str, Any]
    completions: dict[str, Completion] = field(default_factory=dict)
    enrolments: dict[str, Enrolment] = field(default_factory=dict)
    _codes: int = 0
    _submissions: int = 0

    def enrol(self, key: str, person: str, course: str, started: datetime, language: str = "en") -> Enrolment:
        version = self.courses[course]
        enrolment = Enrolment(
            user_id=self.people[person].id,
            course_id=version.course_id,
            course_version_id=version.id,
            language=language,
            started_at=started,
            last_activity_at=started,
        )
        self.session.add(enrolment)
        self.session.flush()
        self.enrolments[key] = enrolment
        return enrolment

    def complete(
        self,
        key: str,
        person: str | None,
        course: str,
        organisation: Organisation,
        branch: str | None,
        kind: str,
        started: datetime,
        completed: datetime,
        seconds: int,
        language: str = "en",
        score: int = 100,
    ) -> Completion:
        version = self.courses[course]
        self._codes += 1
        completion = Completion(
            user_id=self.people[person].id if person else None,
            course_id=version.course_id,
            course_version_id=version.id,
            organisation_id=organisation.id,
            branch_id=self.branches[branch].id if branch else None,
            person_kind=kind,
            language=language,
            score=score,
            time_spent_seconds=seconds,
            started_at=started,
            completed_at=completed,
            certificate_code=f"CERT{self._codes:04d}{key.upper()}",
        )
        self.session.add(completion)
        enrolment = self.enrolments.get(key)
        if enrolment is not None:
            enrolment.completed_at = completed
        self.session.flush()
        self.completions[key] = completion
        return completion

    def answer(
        self,
        enrolment: str,
        question: str,
        attempt: int,
        correct: bool,
        when: datetime,
        block: str = "check-one",
    ) -> None:
        self._submissions += 1
        enrolled = self.enrolments[enrolment]
        person = self.session.get(User, enrolled.user_id)
        self.session.add(
            Answer(
                enrolment_id=enrolled.id,
                course_id=enrolled.course_id,
                course_version_id=enrolled.course_version_id,
                organisation_id=person.organisation_id,
                branch_id=person.branch_id,
                person_kind=person.person_kind,
                block_id=block,
                question_id=question,
                attempt=attempt,
                selected=["x"],
                correct=correct,
                submission_id=f"sub-{self._submissions:06d}-{secrets.token_hex(4)}",
                answered_at=when,
            )
        )
        self.session.flush()


def build_population(session: Session) -> Population:
    """Two Societies; see the docstring of each test for the figures this gives."""
    a = OrganisationFactory(code="AAA", region="Europe", name_en="Alpha Red Cross")
    b = OrganisationFactory(code="BBB", region="Africa", name_en="Beta Red Crescent")
    branches = {
        "north": BranchFactory(organisation=a, name="North"),
        "south": BranchFactory(organisation=a, name="South"),
        "east": BranchFactory(organisation=b, name="East"),
    }
    pss = CourseVersionFactory(course=CourseFactory(slug="pss-basics"), tag_names=("basic-pss",))
    care = CourseVersionFactory(course=CourseFactory(slug="self-care"), tag_names=("wellbeing",))
    people = {
        "u1": UserFactory(
            organisation=a,
            branch=branches["north"],
            person_kind="staff",
            name="Amal One",
            email="u1@a.example",
        ),
        "u2": UserFactory(
            organisation=a,
            branch=branches["north"],
            person_kind="volunteer",
            name="Bruno Two",
            email="u2@a.example",
        ),
        "u3": UserFactory(
            organisation=a,
            branch=branches["south"],
            person_kind="volunteer",
            name="Chen Three",
            email="u3@a.example",
        ),
        "u4": UserFactory(
            organisation=a,
            branch=branches["south"],
            person_kind="volunteer",
            name="Dana Four",
            email="u4@a.example",
        ),
        "u5": UserFactory(
            organisation=a, branch=None, person_kind="staff", name="Emeka Five", email="u5@a.example"
        ),
        "b1": UserFactory(
            organisation=b,
            branch=branches["east"],
            person_kind="volunteer",
            name="Fatou Beta",
            email="b1@b.example",
        ),
        "b2": UserFactory(
            organisation=b,
            branch=branches["east"],
            person_kind="staff",
            name="Goran Beta",
            email="b2@b.example",
        ),
    }
    population = Population(session, a, b, people, {"pss": pss, "care": care}, branches)
    p = population
    p.enrol("u1-pss", "u1", "pss", at(2026, 1, 15))
    p.complete("u1-pss", "u1", "pss", a, "north", "staff", at(2026, 1, 15), at(2026, 2, 10), 1800, "en", 100)
    p.enrol("u2-pss", "u2", "pss", at(2026, 3, 1), "fr")
    p.complete("u2-pss", "u2", "pss", a, "north", "volunteer", at(2026, 3, 1), at(2026, 3, 5), 2400, "fr", 90)
    p.enrol("u2-care", "u2", "care", at(2026, 2, 20))
    p.complete(
        "u2-care", "u2", "care", a, "north", "volunteer", at(2026, 2, 20), at(2026, 3, 20), 600, "en", 80
    )
    p.enrol("u3-pss", "u3", "pss", at(2026, 4, 2))
    p.enrol("u4-care", "u4", "care", at(2026, 4, 1), "ar")
    p.complete(
        "u4-care", "u4", "care", a, "south", "volunteer", at(2026, 4, 1), at(2026, 4, 10), 1200, "ar", 85
    )
    p.enrol("u5-pss", "u5", "pss", at(2025, 11, 20))
    p.complete("u5-pss", "u5", "pss", a, None, "staff", at(2025, 11, 20), at(2025, 12, 3), 2000, "en", 95)
    # The completion of someone whose account was deleted: aggregates keep it, no person is named.
    p.complete(
        "gone-pss", None, "pss", a, "north", "volunteer", at(2026, 5, 1), at(2026, 5, 5), 3000, "en", 100
    )
    # After the period.
    p.enrol("u1-care", "u1", "care", at(2026, 7, 2))
    p.complete("u1-care", "u1", "care", a, "north", "staff", at(2026, 7, 2), at(2026, 7, 3), 700, "en", 100)
    p.enrol("b1-pss", "b1", "pss", at(2026, 2, 1))
    p.complete("b1-pss", "b1", "pss", b, "east", "volunteer", at(2026, 2, 1), at(2026, 2, 2), 900, "es", 100)
    p.enrol("b2-pss", "b2", "pss", at(2026, 3, 3))

    p.answer("u1-pss", "q-listen", 1, True, at(2026, 2, 9))
    p.answer("u1-pss", "q-signs", 1, False, at(2026, 2, 9))
    p.answer("u1-pss", "q-signs", 2, True, at(2026, 2, 9, 11))
    p.answer("u2-pss", "q-listen", 1, False, at(2026, 3, 4))
    p.answer("u2-pss", "q-listen", 2, True, at(2026, 3, 4, 11))
    p.answer("u2-pss", "q-signs", 1, True, at(2026, 3, 4))
    p.answer("u3-pss", "q-listen", 1, True, at(2026, 4, 3))
    p.answer("u5-pss", "q-listen", 1, False, at(2025, 12, 1))
    p.answer("b1-pss", "q-listen", 1, False, at(2026, 2, 1))
    # A scenario choice is an answer too, but not a knowledge-check question.
    p.answer("u1-pss", "choice", 1, True, at(2026, 2, 9), block="a-scenario")
    session.add(
        Reflection(enrolment_id=p.enrolments["u1-pss"].id, block_id="first-thoughts", text=SECRET_REFLECTION)
    )

    session.add_all(
        [
            Headcount(organisation_id=a.id, staff=10, volunteers=30, as_of=date(2025, 12, 31)),
            Headcount(organisation_id=a.id, staff=8, volunteers=12, as_of=date(2026, 3, 1)),
        ]
    )
    session.flush()
    return population


@pytest.fixture
def population(db_session: Session) -> Population:
    return build_population(db_session)


@pytest.fixture
def filters() -> ReportFilters:
    return ReportFilters(PERIOD)


def focal_point_of(organisation: Organisation, name: str = "Focal Point") -> User:
    """A focal point registered in an organisation of their own, so the population's figures hold."""
    user = UserFactory(name=name)
    RoleGrantFactory(user=user, role="focal_point", organisation=organisation)
    return user


def admin() -> User:
    """An administrator, registered in an organisation of their own (Zeta HQ, Asia Pacific)."""
    headquarters = OrganisationFactory(code="ZZZ", region="Asia Pacific", name_en="Zeta HQ")
    user = UserFactory(name="Admin Person", organisation=headquarters)
    RoleGrantFactory(user=user, role="admin")
    return user
