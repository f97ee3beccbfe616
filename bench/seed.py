"""Fill the database named by LMS_DATABASE_URL with a large, realistic data set for the report benchmark.

    LMS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/flask --app wsgi db upgrade
    LMS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/seed.py

People are spread over every organisation with a skewed (Zipf-like) distribution, so a few
large Societies hold most of them, as in the Movement; within a Society, over branches the
same way. Dates cover the last two years. Rows are written with COPY on PostgreSQL and
executemany on SQLite, in one transaction: an interrupted run leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from lms import create_app
from lms.auth.models import User
from lms.courses.models import Course, CourseVersion, CourseVersionTag
from lms.courses.services import CoursesInvalid, load_courses
from lms.db import get_db
from lms.orgs.models import Branch, Headcount, Organisation
from lms.orgs.services import parse_national_societies_csv, sync_organisations

ROOT = Path(__file__).resolve().parent.parent
EMAIL_DOMAIN = "bench.invalid"
DAYS = 730
CHUNK_PEOPLE = 5000
# Share of learners by interface language, per IFRC region.
LOCALES_BY_REGION = {
    "Africa": (("en", 0.5), ("fr", 0.42), ("ar", 0.05), ("es", 0.03)),
    "Americas": (("es", 0.62), ("en", 0.33), ("fr", 0.05)),
    "Asia Pacific": (("en", 0.92), ("fr", 0.04), ("es", 0.04)),
    "Europe": (("en", 0.55), ("fr", 0.2), ("es", 0.15), ("ar", 0.1)),
    "Middle East and North Africa": (("ar", 0.7), ("en", 0.2), ("fr", 0.1)),
}
DEFAULT_LOCALES = (("en", 0.7), ("fr", 0.15), ("es", 0.1), ("ar", 0.05))


@dataclass
class CourseShape:
    course_id: int
    version_id: int
    languages: list[str]
    lessons: list[str]
    questions: list[tuple[str, str]]
    popularity: float
    minutes: int


@dataclass
class Place:
    organisation_id: int
    region: str | None
    branch_ids: list[int]
    branch_weights: list[float]


class Writer:
    """Bulk inserts: COPY on PostgreSQL, executemany on SQLite, into the open transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.dbapi = connection.connection.dbapi_connection

    def time(self, moment: datetime | None) -> Any:
        if moment is None or self.postgres:
            return moment
        # SQLAlchemy's storage format for DateTime on SQLite (naive UTC).
        return moment.replace(tzinfo=None).isoformat(" ", "microseconds")

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
        count = 0
        if self.postgres:
            names = ", ".join(f'"{c}"' for c in columns)
            with self.dbapi.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        rows = list(rows)
        self.dbapi.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        return len(rows)

    def next_id(self, table: str) -> int:
        return (self.connection.exec_driver_sql(f'SELECT max(id) FROM "{table}"').scalar() or 0) + 1

    def finish(self, tables: Sequence[str]) -> None:
        if self.postgres:
            for table in tables:
                self.connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
                )


def zipf_weights(count: int, exponent: float) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, count + 1)]


def pick(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    value, total = rng.random(), 0.0
    for choice, weight in choices:
        total += weight
        if value < total:
            return choice
    return choices[-1][0]


def ensure_organisations(session: Session) -> list[Organisation]:
    organisations = list(session.scalars(select(Organisation).where(Organisation.active.is_(True))))
    if organisations:
        return organisations
    path = ROOT / "data" / "national_societies.csv"
    click.echo(f"No organisations in the database: loading {path} (as `flask orgs sync` does).")
    sync_organisations(session, parse_national_societies_csv(path.read_text(encoding="utf-8")))
    return list(session.scalars(select(Organisation).where(Organisation.active.is_(True))))


def _synthetic_content(
    slug: str, title: str, tags: list[str], lessons: int, questions: int
) -> dict[str, Any]:
    lesson_list = []
    for number in range(1, lessons + 1):
        blocks: list[dict[str, Any]] = [{"type": "text", "id": f"text-{number}", "body_html": "<p>…</p>"}]
        if number == lessons:
            blocks.append(
                {
                    "type": "knowledge_check",
                    "id": "final-check",
                    "title": None,
                    "questions": [
                        {
                            "id": f"q-{q}",
                            "kind": "single",
                            "prompt": f"{title}: question {q}",
                            "options": [
                                {"id": "right", "text": "Right", "correct": True, "feedback": "Yes."},
                                {"id": "wrong", "text": "Wrong", "correct": False, "feedback": "No."},
                            ],
                        }
                        for q in range(1, questions + 1)
                    ],
                }
            )
        lesson_list.append({"id": f"lesson-{number}", "title": f"Lesson {number}", "blocks": blocks})
    text = {
        "title": title,
        "summary": title,
        "objectives": ["…"],
        "audience": "…",
        "help_html": "<p>…</p>",
        "content_note": None,
        "estimated_minutes": 40,
        "fallback_keys": [],
        "modules": [{"id": "module-1", "title": "Module 1", "lessons": lesson_list}],
    }
    return {
        "schema_version": 1,
        "course_id": slug,
        "version_label": "1.0",
        "source_language": "en",
        "languages": ["en", "fr", "es", "ar"],
        "tags": tags,
        "completion": {"required_lessons": [lesson["id"] for lesson in lesson_list], "pass_mark": 80},
        "localized": dict.fromkeys(("en", "fr", "es", "ar"), text),
    }


def ensure_courses(session: Session, courses_dir: str) -> None:
    if session.scalar(select(func.count()).select_from(CourseVersion)):
        return
    try:
        loaded = load_courses(session, [courses_dir])
    except CoursesInvalid as error:
        loaded = []
        click.echo(f"The shipped courses could not be loaded ({error}).")
    if loaded:
        click.echo(
            f"Loaded the shipped courses from {courses_dir}: {', '.join(r.course_id for r in loaded)}."
        )
        return
    click.echo("Creating 4 synthetic course versions (2 tagged basic-pss) instead of the shipped courses.")
    for slug, title, tags in (
        ("bench-pss-intro", "Basic PSS: an introduction", ["basic-pss"]),
        ("bench-pss-children", "Basic PSS for children", ["basic-pss", "children"]),
        ("bench-self-care", "Caring for yourself", ["self-care"]),
        ("bench-listening", "Listening", ["communication"]),
    ):
        course = Course(slug=slug)
        content = _synthetic_content(slug, title, tags, lessons=8, questions=10)
        session.add(
            CourseVersion(
                course=course,
                number=1,
                content_hash=hashlib.sha256(slug.encode()).hexdigest(),
                label="1.0",
                source_language="en",
                languages=content["languages"],
                content=content,
                estimated_minutes=dict.fromkeys(content["languages"], 40),
                tags=[CourseVersionTag(tag=tag) for tag in tags],
            )
        )
    session.flush()


def course_shapes(session: Session) -> list[CourseShape]:
    """The latest version of every course, with its lessons and knowledge-check questions."""
    latest = (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    versions = session.scalars(
        select(CourseVersion).join(
            latest,
            (latest.c.course_id == CourseVersion.course_id) & (latest.c.number == CourseVersion.number),
        )
    )
    shapes = []
    for version in versions:
        text = version.content["localized"][version.source_language]
        lessons, questions = [], []
        for module in text["modules"]:
            for lesson in module["lessons"]:
                lessons.append(lesson["id"])
                for block in lesson["blocks"]:
                    if block["type"] == "knowledge_check":
                        questions += [(block["id"], q["id"]) for q in block["questions"]]
        basic = any(tag.tag == "basic-pss" for tag in version.tags)
        minutes = max(version.estimated_minutes.values()) if version.estimated_minutes else 40
        shapes.append(
            CourseShape(
                version.course_id,
                version.id,
                version.languages,
                lessons,
                questions,
                1.6 if basic else 1.0,
                minutes,
            )
        )
    return sorted(shapes, key=lambda shape: shape.course_id)


def make_places(
    session: Session, rng: random.Random, organisations: list[Organisation], people: int
) -> tuple[list[Place], list[float]]:
    """Each organisation's share of people (Zipf over a shuffled order) and its branches."""
    order = list(organisations)
    rng.shuffle(order)
    weights = zipf_weights(len(order), 1.05)
    total = sum(weights)
    existing: dict[int, list[Branch]] = {}
    for branch in session.scalars(select(Branch).where(Branch.active.is_(True))):
        existing.setdefault(branch.organisation_id, []).append(branch)
    places = []
    for organisation, weight in zip(order, weights, strict=True):
        expected = people * weight / total
        wanted = max(1, min(60, round(math.sqrt(expected) / 3)))
        branches = existing.get(organisation.id, [])
        names = {branch.name for branch in branches}
        number = 1
        while len(branches) < wanted:
            name = f"Branch {number}"
            number += 1
            if name in names:
                continue
            branch = Branch(organisation_id=organisation.id, name=name)
            session.add(branch)
            branches.append(branch)
        places.append((organisation, branches))
    session.flush()
    result = [
        Place(org.id, org.region, [b.id for b in branches], zipf_weights(len(branches), 0.9))
        for org, branches in places
    ]
    return result, weights


def progress_plan(shapes: list[CourseShape], enrolments: int, completions: int, events: int) -> float:
    """The share of lessons to record per enrolment so that the total is close to `events`."""
    mean_lessons = sum(len(shape.lessons) for shape in shapes) / len(shapes)
    natural = completions * mean_lessons + (enrolments - completions) * mean_lessons / 2
    return min(1.0, events / natural) if natural else 0.0


@click.command()
@click.option("--people", default=200_000, show_default=True, help="Registered people.")
@click.option("--events", default=2_000_000, show_default=True, help="Lesson-progress events (approximate).")
@click.option("--completions", default=400_000, show_default=True, help="Course completions.")
@click.option("--seed", default=1, show_default=True, help="Random seed: the same seed gives the same data.")
def main(people: int, events: int, completions: int, seed: int) -> None:
    """Generate the data set into the database named by LMS_DATABASE_URL."""
    app = create_app()
    rng = random.Random(seed)
    started = time.perf_counter()
    with app.app_context():
        engine = get_db().engine
        if not inspect(engine).has_table("completion"):
            raise click.ClickException("The database has no schema: run `flask --app wsgi db upgrade` first.")
        with Session(engine) as session:
            if session.scalar(
                select(func.count()).select_from(User).where(User.email.like(f"%@{EMAIL_DOMAIN}"))
            ):
                raise click.ClickException("This database was seeded already: use a fresh one.")
            organisations = ensure_organisations(session)
            ensure_courses(session, app.config["COURSES_DIR"])
            shapes = course_shapes(session)
            places, weights = make_places(session, rng, organisations, people)
            declare_headcounts(session, rng, places, weights, people)
            session.commit()
        click.echo(
            f"{engine.dialect.name}: {people:,} people in {len(places)} organisations, "
            f"{len(shapes)} courses, target {completions:,} completions and {events:,} progress events."
        )
        with engine.begin() as connection:
            counts = generate(connection, rng, places, weights, shapes, people, completions, events)
            Writer(connection).finish(["user", "enrolment", "completion", "lesson_progress", "answer"])
        # Fresh statistics, and on PostgreSQL the visibility map that index-only scans need.
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        else:
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
    click.echo(
        "Written: "
        + ", ".join(f"{count:,} {table}" for table, count in counts.items())
        + f" in {time.perf_counter() - started:.0f} s."
    )


def declare_headcounts(
    session: Session, rng: random.Random, places: list[Place], weights: list[float], people: int
) -> None:
    """Seven organisations in ten declare a headcount above their registered people."""
    total = sum(weights)
    today = datetime.now(UTC).date()
    for place, weight in zip(places, weights, strict=True):
        if rng.random() < 0.7:
            expected = people * weight / total
            session.add(
                Headcount(
                    organisation_id=place.organisation_id,
                    staff=round(expected * 0.18 * rng.uniform(1.2, 3)),
                    volunteers=round(expected * 0.82 * rng.uniform(1.5, 6)),
                    as_of=today - timedelta(days=rng.randrange(0, 365)),
                )
            )


def generate(
    connection: Connection,
    rng: random.Random,
    places: list[Place],
    weights: list[float],
    shapes: list[CourseShape],
    people: int,
    completions: int,
    events: int,
) -> dict[str, int]:
    writer = Writer(connection)
    now = datetime.now(UTC)
    first_day = now - timedelta(days=DAYS)
    n_courses = len(shapes)
    # Enrolments: completions are about 72% of them, each person at most once per course.
    enrolments = min(people * n_courses, round(completions / 0.72))
    completions = min(completions, enrolments)
    mean_per_person = enrolments / people
    popularity = sum(shape.popularity for shape in shapes)
    enrol_chance = [min(0.98, mean_per_person * shape.popularity / popularity) for shape in shapes]
    complete_chance = completions / max(1, enrolments)
    lesson_share = progress_plan(shapes, enrolments, completions, events)
    difficulty = {
        (shape.version_id, block, question): rng.uniform(0.55, 0.95)
        for shape in shapes
        for block, question in shape.questions
    }
    place_of = rng.choices(places, weights=weights, k=people)
    ids = {
        table: writer.next_id(table)
        for table in ("user", "enrolment", "completion", "lesson_progress", "answer")
    }
    counts = dict.fromkeys(ids, 0)
    certificate = ids["completion"]

    with click.progressbar(length=people, label="people and their learning") as bar:
        for chunk_start in range(0, people, CHUNK_PEOPLE):
            users, enrols, done, progress, answers = [], [], [], [], []
            for index in range(chunk_start, min(people, chunk_start + CHUNK_PEOPLE)):
                place = place_of[index]
                user_id = ids["user"]
                ids["user"] += 1
                branch_id = (
                    rng.choices(place.branch_ids, weights=place.branch_weights)[0]
                    if place.branch_ids and rng.random() > 0.08
                    else None
                )
                kind = "staff" if rng.random() < 0.18 else "volunteer"
                locale = pick(rng, LOCALES_BY_REGION.get(place.region or "", DEFAULT_LOCALES))
                created = first_day + timedelta(seconds=rng.uniform(0, DAYS * 86400 * 0.9))
                deleted = rng.random() < 0.01
                users.append(
                    (
                        user_id,
                        None if deleted else f"bench-{user_id}@{EMAIL_DOMAIN}",
                        "Deleted account" if deleted else f"Bench Person {user_id}",
                        place.organisation_id,
                        branch_id,
                        kind,
                        locale,
                        writer.time(created),
                        writer.time(created),
                        f"{user_id:064x}",
                        writer.time(created + timedelta(days=30)) if deleted else None,
                    )
                )
                for shape, chance in zip(shapes, enrol_chance, strict=True):
                    if rng.random() >= chance:
                        continue
                    enrolment_id = ids["enrolment"]
                    ids["enrolment"] += 1
                    language = locale if locale in shape.languages else shape.languages[0]
                    begin = created + (now - created) * rng.random() ** 1.6
                    finished = rng.random() < complete_chance
                    minutes = max(8.0, rng.lognormvariate(math.log(shape.minutes), 0.35))
                    end = min(now, begin + timedelta(minutes=minutes, days=rng.expovariate(1 / 3)))
                    lessons = (
                        shape.lessons if finished else shape.lessons[: rng.randrange(1, len(shape.lessons))]
                    )
                    recorded = [lesson for lesson in lessons if rng.random() < lesson_share] or lessons[:1]
                    enrols.append(
                        (
                            enrolment_id,
                            user_id,
                            shape.course_id,
                            shape.version_id,
                            language,
                            writer.time(begin),
                            recorded[-1],
                            writer.time(end),
                            round(minutes * 60),
                            writer.time(end) if finished else None,
                        )
                    )
                    for position, lesson in enumerate(recorded):
                        seen = writer.time(begin + (end - begin) * (position + 1) / (len(recorded) + 1))
                        progress.append((ids["lesson_progress"], enrolment_id, lesson, seen, seen))
                        ids["lesson_progress"] += 1
                    if not finished:
                        continue
                    answered = writer.time(end - timedelta(minutes=2))
                    for block, question in shape.questions:
                        right = rng.random() < difficulty[(shape.version_id, block, question)]
                        for attempt, correct in ((1, right), (2, True)) if not right else ((1, True),):
                            answers.append(
                                (
                                    ids["answer"],
                                    enrolment_id,
                                    block,
                                    question,
                                    attempt,
                                    '["x"]',
                                    correct,
                                    f"bench-{ids['answer']}",
                                    answered,
                                    shape.course_id,
                                    shape.version_id,
                                    place.organisation_id,
                                    branch_id,
                                    kind,
                                )
                            )
                            ids["answer"] += 1
                    done.append(
                        (
                            ids["completion"],
                            None if deleted else user_id,
                            shape.course_id,
                            shape.version_id,
                            place.organisation_id,
                            branch_id,
                            kind,
                            language,
                            rng.randrange(80, 101),
                            round(minutes * 60),
                            writer.time(begin),
                            writer.time(end),
                            f"BENCH{certificate:027d}",
                        )
                    )
                    ids["completion"] += 1
                    certificate += 1
            counts["user"] += writer.write("user", USER_COLUMNS, users)
            counts["enrolment"] += writer.write("enrolment", ENROLMENT_COLUMNS, enrols)
            counts["completion"] += writer.write("completion", COMPLETION_COLUMNS, done)
            counts["lesson_progress"] += writer.write("lesson_progress", PROGRESS_COLUMNS, progress)
            counts["answer"] += writer.write("answer", ANSWER_COLUMNS, answers)
            bar.update(len(users))
    return counts


USER_COLUMNS = (
    "id",
    "email",
    "name",
    "organisation_id",
    "branch_id",
    "person_kind",
    "locale",
    "consented_at",
    "created_at",
    "session_token",
    "deleted_at",
)
ENROLMENT_COLUMNS = (
    "id",
    "user_id",
    "course_id",
    "course_version_id",
    "language",
    "started_at",
    "last_lesson_id",
    "last_activity_at",
    "time_spent_seconds",
    "completed_at",
)
COMPLETION_COLUMNS = (
    "id",
    "user_id",
    "course_id",
    "course_version_id",
    "organisation_id",
    "branch_id",
    "person_kind",
    "language",
    "score",
    "time_spent_seconds",
    "started_at",
    "completed_at",
    "certificate_code",
)
PROGRESS_COLUMNS = ("id", "enrolment_id", "lesson_id", "first_viewed_at", "last_viewed_at")
ANSWER_COLUMNS = (
    "id",
    "enrolment_id",
    "block_id",
    "question_id",
    "attempt",
    "selected",
    "correct",
    "submission_id",
    "answered_at",
    "course_id",
    "course_version_id",
    "organisation_id",
    "branch_id",
    "person_kind",
)

if __name__ == "__main__":
    main()
