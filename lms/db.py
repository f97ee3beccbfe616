"""Database layer: declarative base with a naming convention, engine and session per app."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

# Constraint names are spelled out so that Alembic produces the same schema on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


# PostgreSQL's `integer`: a number outside it names no row, and sent in a query it is an error.
MIN_INTEGER, MAX_INTEGER = -(2**31), 2**31 - 1


def in_integer_range(value: int) -> bool:
    """True if `value` fits an integer column (an id or number from a URL or a form may not)."""
    return MIN_INTEGER <= value <= MAX_INTEGER


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so concurrent writers wait (busy_timeout) instead
    # of failing at once with "database is locked" when a read transaction turns into a write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # A database host that stops answering must fail fast (503 page) rather than hang each request.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"connect_timeout": 5, "tcp_user_timeout": 5000},
    )


class Database:
    """The engine and the request-scoped session of one application."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False)
        self.scoped = scoped_session(self.session_factory)

    def rebind(self, **session_kwargs: Any) -> None:
        """Bind the sessions to something else (tests bind them to one open transaction)."""
        self.scoped.remove()
        self.session_factory = sessionmaker(expire_on_commit=False, **session_kwargs)
        self.scoped = scoped_session(self.session_factory)


def init_app(app: Flask) -> Database:
    database = Database(make_engine(app.config["DATABASE_URL"]))
    app.extensions["lms.db"] = database

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        database.scoped.remove()

    return database


def get_db() -> Database:
    return current_app.extensions["lms.db"]


def _current_session() -> Session:
    return get_db().scoped()


# The session of the current application and thread; the request layer commits it.
session: Session = LocalProxy(_current_session)  # type: ignore[assignment]
