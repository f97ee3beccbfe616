"""Reads for the catalogue and My learning: a fixed number of queries, whatever the number of courses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from lms.config import RTL_LOCALES
from lms.courses.models import Course, CourseVersion
from lms.courses.services import load_documents, published_courses
from lms.learning.models import Completion, Enrolment, LessonProgress, Reflection
from lms.learning.services import content_language, first_lesson_id, lesson_ids, lessons_in_order, localized

SHORT_COURSE_MINUTES = 40


@dataclass
class LearnerState:
    """A learner's standing in one course: `not_started`, `in_progress` (with %) or `completed`."""

    status: str = "not_started"
    percent: int = 0
    enrolment: Enrolment | None = None
    completion: Completion | None = None


@dataclass
class CatalogueEntry:
    """One course card of the catalogue."""

    course: Course
    version: CourseVersion
    # The language asked for and the language the text is shown in (the source when missing).
    wanted_language: str
    language: str
    text: dict[str, Any]
    minutes: int
    state: LearnerState

    @property
    def tags(self) -> list[str]:
        return sorted(self.version.document["tags"])

    @property
    def is_fallback(self) -> bool:
        return self.language != self.wanted_language

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RTL_LOCALES else "ltr"


def minutes_in(version: CourseVersion, language: str) -> int:
    """The estimated duration of a version in one of its languages."""
    return int(version.estimated_minutes.get(language) or localized(version, language)["estimated_minutes"])


def learner_states(session: Session, user_id: int | None) -> dict[int, LearnerState]:
    """The learner's state in every course they started, by course id (three queries; four cold)."""
    if user_id is None:
        return {}
    enrolments = session.scalars(
        select(Enrolment)
        .where(Enrolment.user_id == user_id)
        .options(joinedload(Enrolment.course_version), joinedload(Enrolment.course))
        .order_by(Enrolment.started_at, Enrolment.id)
    ).all()
    seen = {
        enrolment_id: count
        for enrolment_id, count in session.execute(
            select(LessonProgress.enrolment_id, func.count())
            .join(Enrolment, Enrolment.id == LessonProgress.enrolment_id)
            .where(Enrolment.user_id == user_id)
            .group_by(LessonProgress.enrolment_id)
        ).tuples()
    }
    completions = session.scalars(
        select(Completion).where(Completion.user_id == user_id).order_by(Completion.completed_at)
    ).all()
    load_documents(session, (enrolment.course_version for enrolment in enrolments))
    states: dict[int, LearnerState] = {}
    for completion in completions:
        states[completion.course_id] = LearnerState(status="completed", percent=100, completion=completion)
    for enrolment in enrolments:
        state = states.setdefault(enrolment.course_id, LearnerState())
        if enrolment.completed_at is not None:
            state.enrolment = state.enrolment or enrolment
            continue
        total = len(lesson_ids(enrolment.course_version.document))
        # An unfinished enrolment is what the learner works on, even after an earlier completion.
        state.status = "in_progress"
        state.enrolment = enrolment
        state.percent = seen.get(enrolment.id, 0) * 100 // total if total else 0
    return states


def catalogue(
    session: Session, user_id: int | None, reader_language: str
) -> tuple[list[CatalogueEntry], list[str]]:
    """Every published course in the reader's language where available (else its source language),
    with the learner's state on each, sorted by title; and every tag in use, for the filter."""
    states = learner_states(session, user_id)
    entries = []
    tags: set[str] = set()
    courses = published_courses(session)
    load_documents(session, (version for _, version in courses))
    for course, version in courses:
        tags.update(version.document["tags"])
        shown = content_language(version, reader_language)
        entries.append(
            CatalogueEntry(
                course=course,
                version=version,
                wanted_language=reader_language,
                language=shown,
                text=localized(version, shown),
                minutes=minutes_in(version, shown),
                state=states.get(course.id, LearnerState()),
            )
        )
    entries.sort(key=lambda e: e.text["title"].casefold())
    return entries, sorted(tags)


def filter_catalogue(
    entries: list[CatalogueEntry], *, language: str | None, tag: str | None, length: str | None
) -> list[CatalogueEntry]:
    """The entries offered in `language`, tagged `tag`, and short (≤ 40 min) or long as asked."""
    return [
        entry
        for entry in entries
        if (not language or language in entry.version.languages)
        and (not tag or tag in entry.tags)
        and (length != "short" or entry.minutes <= SHORT_COURSE_MINUTES)
        and (length != "long" or entry.minutes > SHORT_COURSE_MINUTES)
    ]


@dataclass
class InProgress:
    """An unfinished course on My learning, with where Continue leads."""

    course: Course
    enrolment: Enrolment
    title: str
    language: str
    percent: int
    lesson_id: str

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RTL_LOCALES else "ltr"


def in_progress(states: dict[int, LearnerState]) -> list[InProgress]:
    """The unfinished courses among a learner's states, by title, each with where to continue."""
    items = []
    for state in states.values():
        if state.status != "in_progress" or state.enrolment is None:
            continue
        enrolment = state.enrolment
        language = content_language(enrolment.course_version, enrolment.language)
        items.append(
            InProgress(
                course=enrolment.course,
                enrolment=enrolment,
                title=localized(enrolment.course_version, language)["title"],
                language=language,
                percent=state.percent,
                lesson_id=first_lesson_id(enrolment),
            )
        )
    return sorted(items, key=lambda item: item.title.casefold())


@dataclass
class ReflectionNote:
    """One private note, with the prompt and lesson it answers."""

    lesson_id: str
    lesson_title: str
    block_id: str
    prompt: str
    text: str
    updated_at: datetime


@dataclass
class CourseReflections:
    """The learner's notes in one course (one enrolment)."""

    course: Course
    title: str
    language: str
    notes: list[ReflectionNote] = field(default_factory=list)

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RTL_LOCALES else "ltr"


def reflections_by_course(session: Session, user_id: int) -> list[CourseReflections]:
    """The learner's own private notes, grouped by course, each with its lesson (one query)."""
    rows = session.execute(
        select(Reflection, Enrolment)
        .join(Enrolment, Enrolment.id == Reflection.enrolment_id)
        .where(Enrolment.user_id == user_id)
        .options(joinedload(Enrolment.course_version), joinedload(Enrolment.course))
        .order_by(Enrolment.started_at, Reflection.created_at)
    ).tuples()
    groups: dict[int, CourseReflections] = {}
    for reflection, enrolment in rows:
        text = localized(enrolment.course_version, enrolment.language)
        group = groups.setdefault(
            enrolment.id,
            CourseReflections(course=enrolment.course, title=text["title"], language=enrolment.language),
        )
        for lesson in lessons_in_order(text):
            block = next((b for b in lesson["blocks"] if b["id"] == reflection.block_id), None)
            if block is not None:
                group.notes.append(
                    ReflectionNote(
                        lesson_id=lesson["id"],
                        lesson_title=lesson["title"],
                        block_id=block["id"],
                        prompt=block["prompt"],
                        text=reflection.text,
                        updated_at=reflection.updated_at,
                    )
                )
                break
    return list(groups.values())


def completions_of(session: Session, user_id: int, course_id: int | None = None) -> list[Completion]:
    """The learner's completions (of one course if given), newest first, course and version loaded."""
    query = (
        select(Completion)
        .where(Completion.user_id == user_id)
        .options(joinedload(Completion.course), joinedload(Completion.course_version))
        .order_by(Completion.completed_at.desc())
    )
    if course_id is not None:
        query = query.where(Completion.course_id == course_id)
    return list(session.scalars(query))


def completion_title(completion: Completion) -> str:
    """The course title in the language the course was completed in."""
    version = completion.course_version
    return localized(version, content_language(version, completion.language))["title"]


def reflections_of(session: Session, enrolment_id: int) -> dict[str, Reflection]:
    """The learner's notes in one enrolment, by block id."""
    return {
        r.block_id: r
        for r in session.scalars(select(Reflection).where(Reflection.enrolment_id == enrolment_id))
    }


def completion_of(session: Session, user_id: int, course_version_id: int) -> Completion | None:
    """The learner's completion of one exact course version, if any."""
    return session.scalar(
        select(Completion).where(
            Completion.user_id == user_id, Completion.course_version_id == course_version_id
        )
    )
