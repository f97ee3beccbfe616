"""The database layer: SQLite writers wait for each other instead of failing; migrations keep data."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from lms.db import make_engine
from tests.conftest import POSTGRES_URL, ROOT, postgres_available, unavailable


def test_concurrent_read_then_write_transactions_on_sqlite_all_succeed(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE tally (n INTEGER)"))
    failures: list[Exception] = []

    def read_then_write() -> None:
        try:
            with engine.begin() as connection:
                count = connection.execute(text("SELECT count(*) FROM tally")).scalar_one()
                time.sleep(0.02)  # another writer gets in between the read and the write
                connection.execute(text("INSERT INTO tally VALUES (:n)"), {"n": count})
        except Exception as error:  # collected and asserted below
            failures.append(error)

    threads = [threading.Thread(target=read_then_write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT n FROM tally ORDER BY n")).scalars().all()
    engine.dispose()
    assert failures == []
    # Serialised: each transaction saw every earlier insert.
    assert rows == list(range(8))


# --- migrations that move data -------------------------------------------------------------------

ANSWER_COLUMNS_REVISION = "71500260fe1f"
BEFORE_ANSWER_COLUMNS = "a50ffaf4a3ec"
MIGRATION_SCHEMA = "migration_check"
ANSWER_COPIES = ("course_id", "course_version_id", "organisation_id", "branch_id", "person_kind")


def _migrate(connection: sa.Connection, direction: str, revision: str) -> None:
    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.attributes["skip_logging"] = True
    config.attributes["connection"] = connection
    getattr(command, direction)(config, revision)
    connection.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Connection]:
    """A connection to an empty database of its own (on PostgreSQL, a schema of its own)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
        with engine.connect() as connection:
            yield connection
        engine.dispose()
        return
    problem = postgres_available(POSTGRES_URL)
    if problem:
        unavailable(problem)
    engine = make_engine(POSTGRES_URL)
    with engine.connect() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {MIGRATION_SCHEMA} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {MIGRATION_SCHEMA}")
        connection.exec_driver_sql(f"SET search_path TO {MIGRATION_SCHEMA}")
        connection.commit()
        try:
            yield connection
        finally:
            connection.rollback()
            connection.exec_driver_sql(f"DROP SCHEMA {MIGRATION_SCHEMA} CASCADE")
            connection.commit()
    engine.dispose()


def _insert_learning_before_answer_columns(connection: sa.Connection) -> None:
    """Two people of two organisations, each with an enrolment and answers, in the older schema."""
    tables = sa.MetaData()
    tables.reflect(connection)
    now = datetime(2026, 3, 1, 10, tzinfo=UTC)
    names = {"name_en": "Alpha", "name_fr": "Alpha", "name_es": "Alpha", "name_ar": "Alpha"}
    rows = {
        "organisation": [
            {"id": 1, "code": "AAA", "kind": "national_society", "active": True, "created_at": now, **names},
            {"id": 2, "code": "BBB", "kind": "national_society", "active": True, "created_at": now, **names},
        ],
        "branch": [{"id": 7, "organisation_id": 1, "name": "North", "active": True, "created_at": now}],
        "user": [
            {"id": 11, "organisation_id": 1, "branch_id": 7, "person_kind": "staff"},
            {"id": 12, "organisation_id": 2, "branch_id": None, "person_kind": "volunteer"},
        ],
        "course": [{"id": 3, "slug": "pss-basics", "created_at": now}],
        "course_version": [
            {
                "id": 5,
                "course_id": 3,
                "number": 1,
                "content_hash": "0" * 64,
                "label": "1.0",
                "source_language": "en",
                "languages": ["en"],
                "content": {},
                "estimated_minutes": {"en": 30},
                "warnings": [],
                "loaded_at": now,
            }
        ],
        "enrolment": [
            {"id": 21, "user_id": 11, "course_id": 3, "course_version_id": 5},
            {"id": 22, "user_id": 12, "course_id": 3, "course_version_id": 5},
        ],
        "answer": [
            {"id": 31, "enrolment_id": 21, "attempt": 1, "correct": False},
            {"id": 32, "enrolment_id": 21, "attempt": 2, "correct": True},
            {"id": 33, "enrolment_id": 22, "attempt": 1, "correct": True},
        ],
    }
    for user in rows["user"]:
        user.update(name="", locale="en", created_at=now, session_token=f"{user['id']:064x}")
    for enrolment in rows["enrolment"]:
        enrolment.update(language="en", started_at=now, last_activity_at=now, time_spent_seconds=60)
    for answer in rows["answer"]:
        answer.update(
            block_id="check-one",
            question_id="q-listen",
            selected=["listen"],
            submission_id=f"submission-{answer['id']}",
            answered_at=now,
        )
    for table, values in rows.items():
        connection.execute(tables.tables[table].insert(), values)
    connection.commit()


def test_answer_columns_migration_fills_existing_answers_from_enrolment_and_person(empty_database):
    connection = empty_database
    _migrate(connection, "upgrade", BEFORE_ANSWER_COLUMNS)
    _insert_learning_before_answer_columns(connection)

    _migrate(connection, "upgrade", ANSWER_COLUMNS_REVISION)
    copied = connection.execute(
        sa.text(
            "SELECT id, course_id, course_version_id, organisation_id, branch_id, person_kind "
            "FROM answer ORDER BY id"
        )
    ).all()
    assert [tuple(row) for row in copied] == [
        (31, 3, 5, 1, 7, "staff"),
        (32, 3, 5, 1, 7, "staff"),
        (33, 3, 5, 2, None, "volunteer"),
    ]
    nullable = {column["name"]: column["nullable"] for column in sa.inspect(connection).get_columns("answer")}
    assert {name: nullable[name] for name in ANSWER_COPIES} == {
        "course_id": False,
        "course_version_id": False,
        "organisation_id": False,
        "branch_id": True,
        "person_kind": False,
    }

    _migrate(connection, "downgrade", BEFORE_ANSWER_COLUMNS)
    columns = {column["name"] for column in sa.inspect(connection).get_columns("answer")}
    assert columns.isdisjoint(ANSWER_COPIES)
    assert connection.execute(sa.text("SELECT count(*) FROM answer")).scalar_one() == 3
