"""Shared fixtures. Every database test runs twice: on SQLite and on PostgreSQL, migrated to head.

Outside CI, PostgreSQL and browser tests skip with a reason when their server or browser is
missing; with CI=true they fail instead, so a CI run can never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from lms import create_app
from lms.db import Database
from lms.extensions import limiter
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_URL = os.environ.get("LMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("LMS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def unavailable(reason: str) -> None:
    """Skip outside CI; fail in CI, where every test must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must run here)", pytrace=False)
    pytest.skip(reason)


def migrate_to_head(engine: sa.Engine) -> None:
    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.attributes["skip_logging"] = True
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def postgres_available(url: str) -> str | None:
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.OperationalError as error:
        return f"PostgreSQL at {url} does not answer: {error.orig}"
    return None


def make_database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    problem = postgres_available(POSTGRES_URL)
    if problem:
        unavailable(problem)
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """Compile the interface catalogues when a .po is newer than its .mo (`make` does the same)."""
    for po_path in (ROOT / "lms" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalogue)


TEST_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "SECRET_KEY": "test-secret-key",
    "MAIL_SERVER": "",
    "RATELIMIT_STORAGE_URL": "memory://",
    "BASE_URL": "http://localhost",
}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = make_database_url(backend, tmp_path_factory)
    application = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    migrate_to_head(get_db_of(application).engine)
    yield application
    get_db_of(application).engine.dispose()


def get_db_of(application: Flask) -> Database:
    # Read the extension directly: an app context's teardown would remove the test's session.
    return application.extensions["lms.db"]


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """A session inside one transaction that is rolled back after the test (requests share it)."""
    database = get_db_of(app)
    engine = database.engine
    connection = engine.connect()
    transaction = connection.begin()
    database.rebind(bind=connection, join_transaction_mode="create_savepoint")
    session = database.scoped()
    factories.bind(session)
    limiter.reset()
    try:
        yield session
    finally:
        database.scoped.remove()
        transaction.rollback()
        connection.close()
        database.rebind(bind=engine)
        factories.bind(None)


class CommittingClient(FlaskClient):
    """Commits the test's pending work before each request, as it would be in real life.

    Each request closes the shared session at its end; without this, rows a test had only
    flushed would be rolled back with it. The commit only releases the test's SAVEPOINT:
    the outer transaction is still rolled back after the test.
    """

    def open(self, *args, **kwargs):  # type: ignore[override]
        get_db_of(self.application).scoped().commit()
        return super().open(*args, **kwargs)

    @contextmanager
    def session_transaction(self, *args, **kwargs):  # type: ignore[override]
        # It pushes a request context too, whose end closes the shared session.
        get_db_of(self.application).scoped().commit()
        with super().session_transaction(*args, **kwargs) as session:
            yield session


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    app.test_client_class = CommittingClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db_session: Session) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (install Debian's chromium package)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    """Debian Chromium driven by Playwright (never a downloaded browser), one per test module:
    Playwright's event loop must be gone before other tests run their own (asyncio.run)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def served(wsgi: object) -> Iterator[str]:
    """`wsgi` served by werkzeug in a thread on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
