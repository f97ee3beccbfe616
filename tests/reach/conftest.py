"""One live server for the reach tests: the real app on a migrated SQLite file, served by werkzeug,
with the shipped courses, the complete example course (every block type), compiled catalogues,
and learners in each interface language, driven in Debian Chromium through Playwright."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms import create_app
from lms.auth.models import RoleGrant, User
from lms.courses.models import Course
from lms.courses.services import latest_version, load_courses
from lms.db import utcnow
from lms.extensions import babel
from lms.learning import services as learning
from lms.orgs.models import Branch, Organisation
from tests.conftest import ROOT, get_db_of, migrate_to_head, served

ARTIFACTS = ROOT / "tests" / "artifacts"
LANGUAGES = ("en", "fr", "es", "ar")
EXAMPLE = "complete-course"
SHIPPED = "basic-pss-intro"
PASSWORD = "a quiet walk by the river"
# Every step of a browser test waits at most this long (milliseconds), so a test is bounded.
STEP_TIMEOUT = 15_000
# Cheap hashing parameters: verification reads them from the hash itself.
HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_numbers = itertools.count(1)


@dataclass
class Learner:
    email: str
    language: str
    certificate_code: str | None = None


@dataclass
class LiveServer:
    app: Flask
    url: str
    organisation_code: str

    def path(self, path: str) -> str:
        return f"{self.url}{path}"

    def course_text(self, slug: str, language: str) -> dict:
        """The published content of `slug` in `language` (its source language when missing)."""
        with Session(get_db_of(self.app).engine) as session:
            course = session.scalars(select(Course).where(Course.slug == slug)).one()
            version = latest_version(session, course.id)
            return learning.localized(version, learning.content_language(version, language))

    def new_learner(
        self,
        language: str,
        start: tuple[str, ...] = (),
        complete: tuple[str, ...] = (),
        focal_point: bool = False,
    ) -> Learner:
        """A learner whose interface is in `language`, enrolled on `start` and having completed
        `complete` (every lesson seen, every check right, a reflection written), committed."""
        with Session(get_db_of(self.app).engine, expire_on_commit=False) as session:
            organisation = session.scalars(
                select(Organisation).where(Organisation.code == self.organisation_code)
            ).one()
            number = next(_numbers)
            user = User(
                email=f"learner{number}-{language}@example.org",
                name=_NAMES[language],
                password_hash=HASHER.hash(PASSWORD),
                organisation=organisation,
                branch=organisation.branches[0],
                person_kind="volunteer",
                locale=language,
                consented_at=utcnow(),
                session_token=secrets.token_hex(16),
            )
            session.add(user)
            if focal_point:
                user.roles.append(RoleGrant(role="focal_point", organisation_id=organisation.id))
            session.flush()
            learner = Learner(user.email, language)
            for slug in (*start, *complete):
                course = session.scalars(select(Course).where(Course.slug == slug)).one()
                enrolment = learning.start_course(session, user, course, language)
                session.flush()
                if slug in complete:
                    learner.certificate_code = _complete(session, user, enrolment)
            session.commit()
            return learner


_NAMES = {"en": "Amina Diallo", "fr": "Élodie Mercier", "es": "Lucía Fernández", "ar": "فاطمة الزهراء"}


def _complete(session: Session, user: User, enrolment) -> str:
    text = learning.localized(enrolment.course_version, enrolment.language)
    reflected = False
    completion = None
    for lesson in learning.lessons_in_order(text):
        learning.record_lesson_view(session, user, enrolment, lesson["id"])
        for block in lesson["blocks"]:
            if block["type"] == "knowledge_check":
                right = {
                    question["id"]: [option["id"] for option in question["options"] if option["correct"]]
                    for question in block["questions"]
                }
                learning.submit_knowledge_check(
                    session, user, enrolment, lesson["id"], block["id"], right, secrets.token_urlsafe(16)
                )
            elif block["type"] == "reflection" and not reflected:
                learning.save_reflection(
                    session, enrolment, lesson["id"], block["id"], "Ask my team leader for a short debrief."
                )
                reflected = True
        session.flush()
        completion = learning.complete_if_eligible(session, user, enrolment)
    assert completion is not None, "the seeded learner should have completed the course"
    return completion.certificate_code


def _compile_catalogues(target: Path) -> Path:
    # Compiled afresh from the .po files, so the tests never read a stale .mo (make compiles
    # them in place for the running site).
    for po_file in (ROOT / "lms" / "translations").glob("*/LC_MESSAGES/messages.po"):
        language = po_file.parent.parent.name
        with po_file.open("rb") as handle:
            catalogue = read_po(handle, locale=language)
        out = target / language / "LC_MESSAGES"
        out.mkdir(parents=True, exist_ok=True)
        with (out / "messages.mo").open("wb") as handle:
            write_mo(handle, catalogue)
    return target


def _seed(app: Flask) -> str:
    with Session(get_db_of(app).engine) as session:
        organisation = Organisation(
            code="RCH",
            kind="national_society",
            region="Middle East and North Africa",
            name_en="Reach Test Red Crescent",
            name_fr="Croissant-Rouge de test",
            name_es="Media Luna Roja de prueba",
            name_ar="الهلال الأحمر للاختبار",
            support_contacts="Volunteer support line: 0800 000 000 (daily, 8:00 to 20:00)",
        )
        organisation.branches.append(Branch(name="Coastal branch"))
        session.add(organisation)
        courses = sorted(
            str(path) for path in (ROOT / "courses").iterdir() if (path / "course.yaml").exists()
        )
        load_courses(session, [*courses, str(ROOT / "tests" / "courses" / "examples" / EXAMPLE)])
        session.commit()
        return organisation.code


def _forget_translations(app: Flask) -> None:
    # Loaded translations are cached per process by locale, whichever app loaded them.
    with app.app_context():
        babel.domain_instance.cache.clear()


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = Path(tmp_path_factory.mktemp("reach"))
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'lms.sqlite3'}",
            "SECRET_KEY": "reach-test-secret",
            "MAIL_SERVER": "",
            "RATELIMIT_STORAGE_URL": "memory://",
            # Every test logs in from 127.0.0.1: the per-address limits would lock the suite out.
            "LOGIN_LIMIT_PER_IP": "1000 per minute",
            "LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute",
            "REGISTER_LIMIT_PER_IP": "1000 per minute",
            "LOG_LEVEL": "WARNING",
        }
    )
    app.extensions["babel"].translation_directories = [str(_compile_catalogues(folder / "translations"))]
    _forget_translations(app)
    migrate_to_head(get_db_of(app).engine)
    code = _seed(app)
    try:
        with served(app) as url:
            app.config["BASE_URL"] = url
            yield LiveServer(app, url, code)
    finally:
        get_db_of(app).engine.dispose()
        _forget_translations(app)


def new_context(browser: Browser, **options) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(STEP_TIMEOUT)
    context.set_default_navigation_timeout(STEP_TIMEOUT)
    return context


def log_in(page: Page, server: LiveServer, learner: Learner) -> None:
    """Log in through the form (the learner's saved preference then sets the interface language)."""
    page.goto(server.path("/login"))
    page.locator("#email").fill(learner.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    expect(page.locator("form[action$='/logout']")).to_have_count(1)
