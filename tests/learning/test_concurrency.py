"""Parallel requests against a real, committed PostgreSQL database (not the rollback fixture).

Twenty threads at once stand for double clicks, retries after a dropped connection, and two
tabs or devices: the database constraints must leave exactly the rows one request would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from lms import create_app
from lms.auth.models import User
from lms.learning import services
from lms.learning.models import Answer, Completion, Enrolment, LessonProgress
from tests import factories
from tests.conftest import (
    POSTGRES_URL,
    TEST_CONFIG,
    get_db_of,
    migrate_to_head,
    postgres_available,
    unavailable,
)
from tests.learning.conftest import RIGHT, WRONG, make_version

pytestmark = pytest.mark.postgres_only

DATABASE = "test_learning_concurrency"
THREADS = 20


def _admin_engine() -> sa.Engine:
    return sa.create_engine(make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="module")
def committed_app() -> Iterator[Flask]:
    """An app on its own freshly migrated PostgreSQL database, where every request commits for real."""
    problem = postgres_available(POSTGRES_URL)
    if problem:
        unavailable(problem)
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
    url = make_url(POSTGRES_URL).set(database=DATABASE).render_as_string(hide_password=False)
    application = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    migrate_to_head(get_db_of(application).engine)
    yield application
    get_db_of(application).engine.dispose()
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin.dispose()


@pytest.fixture
def committed(committed_app: Flask) -> Iterator[Session]:
    """A session whose work the test commits; the factories write through it."""
    session = Session(get_db_of(committed_app).engine, expire_on_commit=False)
    factories.bind(session)
    try:
        yield session
    finally:
        factories.bind(None)
        session.close()


def _learner_half_way(session: Session) -> tuple[Any, Any, Enrolment]:
    """A learner who opened both lessons and answered the check wrongly: one right answer from done."""
    version = make_version()
    learner = factories.UserFactory()
    enrolment = services.start_course(session, learner, version.course, "en")
    for lesson_id in ("lesson-one", "lesson-two"):
        services.record_lesson_view(session, learner, enrolment, lesson_id)
    services.submit_knowledge_check(
        session, learner, enrolment, "lesson-two", "check-one", WRONG, "first-wrong-attempt-1"
    )
    session.commit()
    return version, learner, enrolment


def _all_at_once(work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in THREADS threads released together; return results (or raised errors)."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:  # collected and asserted on by the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _client(app: Flask, user) -> Any:
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = user.get_id()
        cookie["_fresh"] = True
    return client


def _count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_twenty_parallel_final_answers_write_one_completion(committed_app, committed):
    version, learner, enrolment = _learner_half_way(committed)
    slug = version.course.slug
    url = f"/learn/{slug}/lesson-two/check/check-one"
    clients = [_client(committed_app, learner) for _ in range(THREADS)]

    def answer(index: int) -> int:
        data = {
            "check-one-submission_id": f"parallel-right-{index:06d}",
            "check-one-q0": RIGHT["q-listen"],
            "check-one-q1": RIGHT["q-signs"],
        }
        return clients[index].post(url, data=data).status_code

    assert _all_at_once(answer) == [302] * THREADS
    committed.expire_all()
    assert _count(committed, Completion, Completion.user_id == learner.id) == 1
    attempts = committed.scalars(
        sa.select(Answer.attempt).where(Answer.enrolment_id == enrolment.id, Answer.question_id == "q-listen")
    ).all()
    # Every parallel answer was kept, each with its own attempt number.
    assert sorted(attempts) == list(range(1, THREADS + 2))
    assert committed.get(Enrolment, enrolment.id).completed_at is not None


def test_twenty_parallel_completion_checks_write_one_completion(committed_app, committed):
    _version, learner, enrolment = _learner_half_way(committed)
    services.submit_knowledge_check(
        committed, learner, enrolment, "lesson-two", "check-one", RIGHT, "right-but-not-evaluated"
    )
    # Undo the completion that answer wrote, so that twenty evaluations race to write it.
    committed.execute(sa.delete(Completion).where(Completion.user_id == learner.id))
    committed.get(Enrolment, enrolment.id).completed_at = None
    committed.commit()
    engine = get_db_of(committed_app).engine

    def complete(_index: int) -> str:
        with Session(engine, expire_on_commit=False) as session:
            user = session.get(User, learner.id)
            mine = session.get(Enrolment, enrolment.id)
            completion = services.complete_if_eligible(session, user, mine)
            session.commit()
            return completion.certificate_code

    codes = _all_at_once(complete)
    assert all(isinstance(code, str) for code in codes), codes
    assert len(set(codes)) == 1  # every request reports the one certificate
    assert _count(committed, Completion, Completion.user_id == learner.id) == 1


def test_twenty_copies_of_one_submission_store_one_answer(committed_app, committed):
    version, learner, enrolment = _learner_half_way(committed)
    url = f"/learn/{version.course.slug}/lesson-two/check/check-one"
    clients = [_client(committed_app, learner) for _ in range(THREADS)]
    data = {
        "check-one-submission_id": "one-double-clicked-submit",
        "check-one-q0": RIGHT["q-listen"],
        "check-one-q1": RIGHT["q-signs"],
    }
    responses = _all_at_once(lambda i: clients[i].post(url, data=data))
    assert [r.status_code for r in responses] == [302] * THREADS
    assert (
        _count(committed, Answer, Answer.enrolment_id == enrolment.id) == 2 + 2
    )  # first wrong try + this one


def test_twenty_parallel_views_of_a_new_lesson_record_it_once(committed_app, committed):
    version = make_version()
    learner = factories.UserFactory()
    enrolment = services.start_course(committed, learner, version.course, "en")
    committed.commit()
    clients = [_client(committed_app, learner) for _ in range(THREADS)]
    url = f"/learn/{version.course.slug}/lesson-one"
    assert _all_at_once(lambda i: clients[i].get(url).status_code) == [200] * THREADS
    assert _count(committed, LessonProgress, LessonProgress.enrolment_id == enrolment.id) == 1
