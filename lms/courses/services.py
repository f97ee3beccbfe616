"""Publishing courses as immutable versions, and reading what is published.

Loading validates every course first and writes nothing if any has an error. A course whose
content is byte-for-byte the same as one of its versions (same content hash) is left alone;
otherwise a new version is added and the earlier ones stay readable, so that a learner who
started version N finishes on it and every completion names the version it was earned on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from lms.audit.services import record
from lms.courses.models import Course, CourseMedia, CourseVersion, CourseVersionTag, documents
from lms.courses.validation import CourseCheck, check_course, discover
from lms.db import in_integer_range, utcnow
from lms.errors import LmsError, NotFound


class CoursesInvalid(LmsError):
    """Validation found errors (or no course): nothing was loaded. `messages` says what."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


class CourseNotFound(NotFound):
    """No loaded course has this id."""


@dataclass(frozen=True)
class LoadResult:
    """What loading one course did: `created` a new version, or found it `unchanged`."""

    course_id: str
    status: Literal["created", "unchanged"]
    version_number: int
    content_hash: str
    warnings: list[str]


@dataclass(frozen=True)
class CourseRow:
    """One line of `flask courses list`."""

    course_id: str
    title: str
    languages: list[str]
    versions: int
    estimated_minutes: dict[str, int]
    retired: bool


def check_paths(paths: list[str]) -> tuple[list[CourseCheck], list[str]]:
    """Check every course under `paths` (course folders or folders of courses).

    Returns the checks and the messages about paths that hold no course.
    """
    found = discover(paths)
    return [check_course(folder, shown) for folder, shown in found.folders], found.messages


def checked_or_raise(paths: list[str]) -> list[CourseCheck]:
    """The checks of every course under `paths`; raises CoursesInvalid on any error."""
    checks, missing = check_paths(paths)
    if missing or not checks or any(check.errors for check in checks):
        raise CoursesInvalid([*missing, *(line for check in checks for line in check.formatted())])
    return checks


def publish_course(session: Session, check: CourseCheck, actor_id: int | None = None) -> LoadResult:
    """Store a checked course (no error) as a new version, unless a version has the same content.

    Adds its media files not stored yet and records a `course.load` audit event. Flushes;
    the caller commits.
    """
    if check.content is None or check.content_hash is None:
        raise CoursesInvalid(check.formatted())
    slug = check.course_id
    warnings = [problem.format("") for problem in check.problems.sorted()]
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        course = Course(slug=slug)
        session.add(course)
        session.flush()
    same = session.scalar(
        select(CourseVersion.number).where(
            CourseVersion.course_id == course.id, CourseVersion.content_hash == check.content_hash
        )
    )
    if same is not None:
        return LoadResult(slug, "unchanged", same, check.content_hash, warnings)
    number = (
        session.scalar(select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id))
        or 0
    ) + 1
    stored = set(
        session.scalars(select(CourseMedia.sha256).where(CourseMedia.sha256.in_(list(check.media)))).all()
    )
    for sha256, media in check.media.items():
        if sha256 not in stored:
            session.add(
                CourseMedia(
                    sha256=sha256, content_type=media.content_type, size=len(media.data), data=media.data
                )
            )
    content = check.content
    version = CourseVersion(
        course=course,
        number=number,
        content_hash=check.content_hash,
        label=content["version_label"],
        source_language=content["source_language"],
        languages=list(content["languages"]),
        content=content,
        estimated_minutes=dict(check.estimated_minutes),
        warnings=warnings,
        loaded_by_id=actor_id,
        tags=[CourseVersionTag(tag=tag) for tag in content["tags"]],
    )
    session.add(version)
    record(
        session,
        "course.load",
        actor_id=actor_id,
        target=slug,
        details={"version": number, "content_hash": check.content_hash, "languages": version.languages},
    )
    session.flush()
    return LoadResult(slug, "created", number, check.content_hash, warnings)


def load_courses(session: Session, paths: list[str], actor_id: int | None = None) -> list[LoadResult]:
    """Validate every course under `paths`, then publish each (see `publish_course`).

    Raises CoursesInvalid, having written nothing, if any course has an error. Flushes; the
    caller commits once, so that either every course is loaded or none.
    """
    return [publish_course(session, check, actor_id) for check in checked_or_raise(paths)]


def _latest_numbers():
    return (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .group_by(CourseVersion.course_id)
        .subquery()
    )


def published_courses(session: Session) -> list[tuple[Course, CourseVersion]]:
    """Every course that is not retired, with its newest version, ordered by id; one query.

    The versions' tags are not loaded (their ids are in `content["tags"]`).
    """
    latest = _latest_numbers()
    rows = session.execute(
        select(Course, CourseVersion)
        .join(CourseVersion, CourseVersion.course_id == Course.id)
        .join(
            latest,
            (latest.c.course_id == CourseVersion.course_id) & (latest.c.number == CourseVersion.number),
        )
        .where(Course.retired_at.is_(None))
        .order_by(Course.slug)
    )
    return [(course, version) for course, version in rows.tuples()]


def load_documents(session: Session, versions: Iterable[CourseVersion]) -> None:
    """Read the content of those `versions` whose document is not cached yet, in one query."""
    missing = {
        version.id: version
        for version in versions
        if (version.id, version.content_hash) not in documents and "content" in inspect(version).unloaded
    }
    if not missing:
        return
    for version_id, content in session.execute(
        select(CourseVersion.id, CourseVersion.content).where(CourseVersion.id.in_(missing))
    ).tuples():
        documents.put((version_id, missing[version_id].content_hash), content)


def latest_version(session: Session, course_id: int) -> CourseVersion | None:
    """The newest version of the course with primary key `course_id` (retired or not), or None."""
    return session.scalar(
        select(CourseVersion)
        .where(CourseVersion.course_id == course_id)
        .order_by(CourseVersion.number.desc())
        .limit(1)
    )


def get_version(session: Session, version_id: int) -> CourseVersion | None:
    """The course version with primary key `version_id`, or None."""
    return session.get(CourseVersion, version_id)


def version_by_number(session: Session, slug: str, number: int) -> CourseVersion | None:
    """Version `number` of the course `slug`, or None."""
    if not in_integer_range(number):
        return None
    return session.scalar(
        select(CourseVersion).join(Course).where(Course.slug == slug, CourseVersion.number == number)
    )


def course_rows(session: Session) -> list[CourseRow]:
    """Every loaded course (retired ones too) with its newest version's title and figures."""
    latest = _latest_numbers()
    counts = dict(
        session.execute(select(CourseVersion.course_id, func.count()).group_by(CourseVersion.course_id))
        .tuples()
        .all()
    )
    rows = session.execute(
        select(Course, CourseVersion)
        .join(CourseVersion, CourseVersion.course_id == Course.id)
        .join(
            latest,
            (latest.c.course_id == CourseVersion.course_id) & (latest.c.number == CourseVersion.number),
        )
        .order_by(Course.slug)
    ).tuples()
    return [
        CourseRow(
            course_id=course.slug,
            title=version.document["localized"][version.source_language]["title"],
            languages=list(version.languages),
            versions=counts.get(course.id, 0),
            estimated_minutes=dict(version.estimated_minutes),
            retired=course.retired_at is not None,
        )
        for course, version in rows
    ]


def authoring_overview(session: Session) -> list[tuple[CourseRow, list[CourseVersion]]]:
    """Each loaded course with all its versions, newest first, without their content
    (three queries whatever the number of courses)."""
    versions: dict[str, list[CourseVersion]] = {}
    for version, slug in session.execute(
        select(CourseVersion, Course.slug)
        .join(Course)
        .order_by(CourseVersion.course_id, CourseVersion.number.desc())
    ).tuples():
        versions.setdefault(slug, []).append(version)
    return [(row, versions.get(row.course_id, [])) for row in course_rows(session)]


def _course(session: Session, slug: str) -> Course:
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise CourseNotFound(slug)
    return course


def retire_course(session: Session, slug: str, actor_id: int | None = None) -> Course:
    """Hide a course from the catalogue; its versions, enrolments and completions are all kept."""
    course = _course(session, slug)
    if course.retired_at is None:
        course.retired_at = utcnow()
        record(session, "course.retire", actor_id=actor_id, target=slug)
        session.flush()
    return course


def restore_course(session: Session, slug: str, actor_id: int | None = None) -> Course:
    """Show a retired course in the catalogue again."""
    course = _course(session, slug)
    if course.retired_at is not None:
        course.retired_at = None
        record(session, "course.restore", actor_id=actor_id, target=slug)
        session.flush()
    return course


@dataclass(frozen=True)
class LessonPreview:
    """One lesson of a version in one language, with its neighbours, for the authors' preview."""

    localized: dict[str, Any]
    lesson: dict[str, Any]
    module: dict[str, Any]
    previous_id: str | None
    next_id: str | None


def lesson_preview(version: CourseVersion, language: str, lesson_id: str) -> LessonPreview | None:
    """The lesson `lesson_id` of `version` in `language`, or None if either does not exist."""
    localized = version.document["localized"].get(language)
    if localized is None:
        return None
    order = [(module, lesson) for module in localized["modules"] for lesson in module["lessons"]]
    for index, (module, lesson) in enumerate(order):
        if lesson["id"] == lesson_id:
            return LessonPreview(
                localized=localized,
                lesson=lesson,
                module=module,
                previous_id=order[index - 1][1]["id"] if index > 0 else None,
                next_id=order[index + 1][1]["id"] if index + 1 < len(order) else None,
            )
    return None


def first_lesson_id(version: CourseVersion) -> str:
    """The id of the first lesson of a version."""
    return version.document["localized"][version.source_language]["modules"][0]["lessons"][0]["id"]
