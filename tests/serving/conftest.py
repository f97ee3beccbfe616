"""The real server: gunicorn on a freshly migrated PostgreSQL database of its own.

Its name follows the test database's (`test` → `test_serving`), so runs against different
test databases never share, or drop, each other's served database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench._journey import CourseKey, Learner, Stats, course_keys
from bench._server import (
    COURSES_DIR,
    Gunicorn,
    app_environment,
    drop_postgres_database,
    free_port,
    prepare_database,
    recreate_postgres_database,
)
from tests.conftest import POSTGRES_URL, migrate_to_head, postgres_available, unavailable

DATABASE = f"{make_url(POSTGRES_URL).database}_serving"
COURSE = "basic-pss-intro"


@pytest.fixture(scope="session")
def serving_database() -> Iterator[str]:
    """A migrated database with the organisations and one shipped course, committed for real."""
    server = make_url(POSTGRES_URL)
    problem = postgres_available(server.set(database="postgres").render_as_string(hide_password=False))
    if problem:
        unavailable(problem)
    url = server.set(database=DATABASE).render_as_string(hide_password=False)
    recreate_postgres_database(url)
    engine = sa.create_engine(url)
    migrate_to_head(engine)
    engine.dispose()
    prepare_database(url, [COURSES_DIR / COURSE], migrate=False)
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="session")
def serving_engine(serving_database: str) -> Iterator[sa.Engine]:
    """A direct connection to the served database, to check what the requests left in it."""
    engine = sa.create_engine(serving_database)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def course_key(serving_engine: sa.Engine) -> CourseKey:
    with Session(serving_engine) as session:
        return course_keys(session)[COURSE]


def gunicorn_on(database_url: str, log_dir: Path, **settings: str) -> Gunicorn:
    """`gunicorn wsgi:app` (2 workers) on a free port and `database_url`, not started yet."""
    port = free_port()
    log = log_dir / f"gunicorn-{port}.log"
    return Gunicorn("wsgi:app", app_environment(database_url, port, **settings), port, log)


@pytest.fixture
def start_gunicorn(tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    """Start gunicorn on a database URL; every server started is stopped at the end of the test."""
    started: list[Gunicorn] = []

    def start(database_url: str, **settings: str) -> Gunicorn:
        server = gunicorn_on(database_url, tmp_path, **settings)
        started.append(server)
        return server.start(timeout=60)

    yield start
    for server in started:
        server.stop()


def run(coroutine: Any, timeout: float = 60) -> Any:
    """Run a coroutine to its end, at most `timeout` seconds."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def registered_learners(
    base_url: str, key: CourseKey, emails: list[str], stats: Stats | None = None
) -> list[Learner]:
    """Learners registered (at once) and started on the course, showing its first lesson."""
    learners = [Learner(base_url, stats or Stats(), key, email) for email in emails]

    async def begin(learner: Learner) -> None:
        await learner.register()
        await learner.start()

    await asyncio.gather(*(begin(learner) for learner in learners))
    return learners
