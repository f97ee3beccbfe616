"""Faults under gunicorn: a worker killed mid-completion, the database going away mid-run.

Afterwards there is no partial or duplicate record, and the learners carry on and complete.
Each test is bounded: four learners, every wait has a deadline, well under a minute.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa
from babel.support import Translations
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench._journey import Block, CourseKey, JourneyFailed, Learner, Stats, Submission, check_records
from lms.auth.models import User
from lms.config import PROJECT_ROOT
from lms.courses.models import CourseVersion
from lms.db import utcnow
from lms.learning.models import Answer, Completion, Enrolment
from lms.learning.services import answer_key
from tests.serving.conftest import registered_learners, run
from tests.serving.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres_only

LEARNERS = 4
TRANSLATIONS = PROJECT_ROOT / "lms" / "translations"
Step = tuple[str, Block | None]


def _emails(label: str) -> list[str]:
    run_id = uuid.uuid4().hex[:8]
    return [f"{label}-{run_id}-{n}@example.org" for n in range(LEARNERS)]


def completing_plan(key: CourseKey) -> tuple[list[Step], Step, list[Step], frozenset[str]]:
    """Steps before the course's last knowledge check, that check, the steps after it, and the
    checks to answer wrong so that the course is completed by answering that last check.

    Without wrong answers the pass mark could be reached earlier (on opening the last lesson),
    and the request under test would not be the one writing the completion.
    """
    steps = key.steps()
    last = max(i for i, (_lesson, block) in enumerate(steps) if block and block.kind == "knowledge_check")
    final = steps[last][1]
    assert final is not None
    checks = [block for _lesson, block in steps[:last] if block and block.kind == "knowledge_check"]
    total = sum(len(block.question_ids) for block in [*checks, final])
    for size in range(1, len(checks) + 1):
        for wrong in itertools.combinations(checks, size):
            right = total - sum(len(block.question_ids) for block in wrong)
            if (right - len(final.question_ids)) * 100 < key.pass_mark * total <= right * 100:
                return steps[:last], steps[last], steps[last + 1 :], frozenset(b.id for b in wrong)
    raise AssertionError(f"{key.slug}: no set of wrong answers makes the last check the completing one")


@contextmanager
def completions_held(engine: sa.Engine, key: CourseKey, emails: list[str]) -> Iterator[None]:
    """Uncommitted completions of these learners, so that the requests completing the course
    wait on the unique constraint, inside their transaction, until the block ends (rolled back)."""
    with Session(engine) as session:
        users = session.scalars(sa.select(User).where(User.email.in_(emails))).all()
        course_id = session.get(CourseVersion, key.version_id).course_id
        for user in users:
            session.add(
                Completion(
                    user_id=user.id,
                    course_id=course_id,
                    course_version_id=key.version_id,
                    organisation_id=user.organisation_id,
                    person_kind=user.person_kind,
                    language="en",
                    score=100,
                    time_spent_seconds=0,
                    started_at=utcnow(),
                    certificate_code=uuid.uuid4().hex[:26].upper(),
                )
            )
        session.flush()
        try:
            yield
        finally:
            session.rollback()


def wait_for_lock_waiters(engine: sa.Engine, count: int, timeout: float = 20) -> None:
    """Wait until `count` sessions of the served database wait on a lock (requests in flight)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            if connection.scalar(query) >= count:
                return
            time.sleep(0.05)
    raise AssertionError(f"{count} requests did not reach the database within {timeout} s")


def _left_behind(engine: sa.Engine, learner: Learner, submission: Submission) -> dict[str, int]:
    """What a cut-off answer left: its answer rows, the learner's completions, a completed enrolment."""
    with Session(engine) as session:
        user = session.scalars(sa.select(User).where(User.email == learner.email)).one()
        enrolment = session.scalars(
            sa.select(Enrolment).where(
                Enrolment.user_id == user.id, Enrolment.course_version_id == learner.key.version_id
            )
        ).one()
        keys = [answer_key(enrolment.id, submission.submission_id, q) for q in submission.question_ids]
        count = sa.select(sa.func.count())
        return {
            "answers": session.scalar(count.select_from(Answer).where(Answer.submission_id.in_(keys))),
            "completions": session.scalar(count.select_from(Completion).where(Completion.user_id == user.id)),
            "completed enrolments": int(enrolment.completed_at is not None),
        }


def test_worker_killed_during_completions_leaves_no_partial_or_duplicate_record(
    start_gunicorn, serving_database, serving_engine, course_key
):
    server = start_gunicorn(serving_database)
    emails = _emails("killed")
    before, (final_lesson, final_block), after, wrong = completing_plan(course_key)
    assert final_block is not None
    killed: list[int] = []
    cut_off: list[dict[str, int]] = []

    async def scenario() -> tuple[Stats, list[Learner]]:
        stats = Stats()
        learners = await registered_learners(server.url, course_key, emails, stats)
        try:
            await asyncio.gather(*(learner.take_steps(before, wrong) for learner in learners))
            answers = [learner.prepare_answer(final_lesson, final_block) for learner in learners]
            with completions_held(serving_engine, course_key, emails):
                sending = [
                    asyncio.create_task(learner.send_answer(final_block, url, data))
                    for learner, (url, data) in zip(learners, answers, strict=True)
                ]
                # Both workers are now inside a completing transaction, answers already inserted.
                await asyncio.to_thread(wait_for_lock_waiters, serving_engine, server.workers)
                killed.append(server.worker_pids()[0])
                os.kill(killed[0], signal.SIGKILL)
            outcomes = await asyncio.gather(*sending, return_exceptions=True)
            for learner, outcome, (url, data) in zip(learners, outcomes, answers, strict=True):
                if isinstance(outcome, JourneyFailed):
                    # The learner whose request died sees an error, and sends the same form again.
                    cut_off.append(_left_behind(serving_engine, learner, learner.submissions[-1]))
                    await learner.send_answer(final_block, url, data)
                elif isinstance(outcome, BaseException):
                    raise outcome
            for learner in learners:
                await learner.take_steps(after)
                await learner.finish()
        finally:
            for learner in learners:
                await learner.close()
        return stats, learners

    stats, learners = run(scenario(), timeout=90)

    # Exactly the request the killed worker was serving was cut off, and it left nothing behind.
    assert sum(stats.transport_errors.values()) == 1
    assert cut_off == [{"answers": 0, "completions": 0, "completed enrolments": 0}]
    assert killed[0] not in server.worker_pids()
    server.wait_ready(timeout=20)
    assert stats.server_errors == 0
    assert all(learner.certificate_code for learner in learners)
    with Session(serving_engine) as session:
        assert check_records(session, learners) == []


def test_database_away_during_a_run_answers_503_and_recovers_without_restart(
    start_gunicorn, serving_database, serving_engine, course_key
):
    database = make_url(serving_database)
    emails = _emails("proxied")
    with TcpProxy(database.host or "127.0.0.1", database.port or 5432) as proxy:
        proxied = database.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        server = start_gunicorn(proxied)
        workers = server.worker_pids()
        seen: dict[str, httpx.Response] = {}

        async def scenario() -> tuple[Stats, list[Learner]]:
            stats = Stats()
            learners = await registered_learners(server.url, course_key, emails, stats)
            try:
                started = stats.requests
                for learner in learners:
                    learner.retry_until = time.monotonic() + 45
                journeys = [
                    asyncio.create_task(learner.take_steps(course_key.steps())) for learner in learners
                ]
                while stats.requests < started + 30 and not any(j.done() for j in journeys):
                    await asyncio.sleep(0.02)
                proxy.cut()
                french = {"Accept-Language": "fr"}
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as visitor:
                    seen["health"] = await visitor.get("/healthz")
                    seen["catalogue"] = await visitor.get("/courses", headers=french)
                lesson = f"/learn/{course_key.slug}/{learners[0].page_lesson}"
                seen["lesson"] = await learners[0].client.get(lesson, headers=french)
                # The learners keep retrying while the database is away.
                await asyncio.sleep(1.5)
                proxy.restore()
                await asyncio.gather(*journeys)
                seen["recovered"] = await learners[0].client.get("/healthz")
                for learner in learners:
                    await learner.finish()
            finally:
                for learner in learners:
                    await learner.close()
            return stats, learners

        stats, learners = run(scenario(), timeout=90)
        assert server.worker_pids() == workers

    assert seen["health"].status_code == 503
    assert seen["health"].json() == {"status": "unavailable", "database": "unreachable"}
    assert seen["recovered"].json() == {"status": "ok", "database": "ok"}
    french_title = Translations.load(str(TRANSLATIONS), ["fr"]).gettext("Temporarily unavailable")
    for page in (seen["catalogue"], seen["lesson"]):
        assert page.status_code == 503
        assert 'lang="fr"' in page.text
        assert french_title in page.text
        assert page.text.count("<h1") == 1
        assert "Traceback" not in page.text
    # The cut hit the learners' requests, which got the 503 page and nothing worse.
    assert stats.statuses[503] >= 1
    assert {status for status in stats.statuses if status >= 500} == {503}
    assert all(learner.certificate_code for learner in learners)
    with Session(serving_engine) as session:
        assert check_records(session, learners) == []


def test_unreachable_database_answers_503_within_seconds_then_recovers(start_gunicorn, serving_database):
    database = make_url(serving_database)
    with TcpProxy(database.host or "127.0.0.1", database.port or 5432) as proxy:
        proxied = database.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        server = start_gunicorn(proxied)
        try:
            proxy.cut(hang=True)
            try:
                response = httpx.get(server.url + "/healthz", timeout=15)
            except httpx.TimeoutException:
                pytest.fail("/healthz did not answer within 15 s while the database was unreachable")
            assert response.status_code == 503
            proxy.restore()
            server.wait_ready(timeout=20)
        finally:
            server.stop(timeout=3)
