"""A live server for browser tests: the real app on a migrated SQLite file, served by werkzeug."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from lms import create_app
from lms.courses.models import Course, CourseVersion
from lms.courses.services import load_courses
from lms.orgs.models import Organisation
from tests.conftest import ROOT, get_db_of, migrate_to_head, served

ARTIFACTS = ROOT / "tests" / "artifacts"
COURSE = "basic-pss-intro"


@dataclass
class LiveServer:
    app: Flask
    url: str
    organisation: str
    version: CourseVersion

    def path(self, path: str) -> str:
        return f"{self.url}{path}"


def _seed(app: Flask) -> tuple[str, CourseVersion]:
    """An organisation to register with and one real shipped course, committed."""
    with Session(get_db_of(app).engine, expire_on_commit=False) as session:
        organisation = Organisation(
            code="BRW",
            kind="national_society",
            region="Europe",
            name_en="Browser Test Red Cross",
            name_fr="Croix-Rouge de test",
            name_es="Cruz Roja de prueba",
            name_ar="الصليب الأحمر للاختبار",
            support_contacts="Volunteer support line: 0800 000 000 (daily, 8:00 to 20:00)",
        )
        session.add(organisation)
        [result] = load_courses(session, [str(ROOT / "courses" / COURSE)])
        session.commit()
        version = session.scalars(
            select(CourseVersion)
            .join(Course)
            .where(Course.slug == COURSE, CourseVersion.number == result.version_number)
            .options(undefer(CourseVersion.content))  # read by the tests after the session ends
        ).one()
        return organisation.name_en, version


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database = Path(tmp_path_factory.mktemp("browser")) / "lms.sqlite3"
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": "browser-test-secret",
            "MAIL_SERVER": "",
            "RATELIMIT_STORAGE_URL": "memory://",
            "LOG_LEVEL": "WARNING",
        }
    )
    migrate_to_head(get_db_of(app).engine)
    organisation, version = _seed(app)
    try:
        with served(app) as url:
            app.config["BASE_URL"] = url
            yield LiveServer(app, url, organisation, version)
    finally:
        get_db_of(app).engine.dispose()
