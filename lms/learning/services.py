"""The learner's journey: enrolment, progress, answers, reflections, completion and xAPI.

Every write is safe to repeat: a retried request, a double click or two tabs at once end in
the same rows, because each invariant is a database constraint and a clash is answered by
re-reading what the other request wrote (inside a SAVEPOINT, so the request carries on).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload, object_session

from lms.auth.models import User
from lms.courses.models import Course, CourseVersion
from lms.courses.services import latest_version
from lms.db import utcnow
from lms.errors import LmsError, NotFound
from lms.learning.models import Answer, Completion, Enrolment, LessonProgress, Reflection
from lms.orgs.models import Organisation, SiteSetting

# A gap between two actions longer than this counts as this much: a tab left open overnight
# is not learning time.
MAX_ACTIVITY_GAP_SECONDS = 600
# Reopening the lesson one is on within this time (a reload, a second tab) writes nothing: the
# time in between is counted by the next write, which measures from the last one written.
RELOAD_SECONDS = 60
# How often a write whose attempt number was taken by a parallel request is retried.
ATTEMPT_RETRIES = 5
SUBMISSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SCENARIO_QUESTION_ID = "choice"
REFLECTION_MAX_LENGTH = 10_000
SUPPORT_CONTACTS_SETTING = "support_contacts"
XAPI_VERSION = "1.0.3"
XAPI_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
# Statement ids are derived from the certificate code, so an export repeated tomorrow is the
# same statement to a learning record store, not a second completion.
XAPI_STATEMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pss-learning.invalid/xapi/completion")


class CourseNotAvailable(LmsError):
    """The course is retired (or has no published version) and the learner never started it."""


class LessonNotFound(NotFound):
    """No lesson with this id in the learner's course version."""


class BlockNotFound(NotFound):
    """No interactive block with this id and type in this lesson."""


class InvalidAnswer(LmsError):
    """The submitted choice does not fit the question (unknown option, none, or several for one)."""


class InvalidSubmission(LmsError):
    """The form's submission id is missing or malformed."""


class AnswerNotSaved(LmsError):
    """Parallel submissions kept taking the attempt number; the learner should send again."""


# --- Reading the published content (docs/published-content.md) ---


def content_language(version: CourseVersion, wanted: str | None) -> str:
    """The language to show `version` in: `wanted` when the course has it, else its source language."""
    return wanted if wanted in version.languages else version.source_language


def localized(version: CourseVersion, language: str) -> dict[str, Any]:
    """The course text in `language` (which must be one of the version's languages)."""
    return version.document["localized"][language]


def _structure(content: dict[str, Any]) -> dict[str, Any]:
    # Every language has the same modules, lessons, blocks and ids; the source one is complete.
    return content["localized"][content["source_language"]]


def lessons_in_order(text: dict[str, Any]) -> list[dict[str, Any]]:
    """Every lesson of a localized course, in order, each with its module's id and title added."""
    return [
        {**lesson, "module_id": module["id"], "module_title": module["title"]}
        for module in text["modules"]
        for lesson in module["lessons"]
    ]


def lesson_ids(content: dict[str, Any]) -> list[str]:
    """The ids of every lesson of a course version, in order."""
    return [lesson["id"] for lesson in lessons_in_order(_structure(content))]


def question_keys(content: dict[str, Any]) -> list[tuple[str, str]]:
    """(block id, question id) of every knowledge-check question: the basis of the score."""
    return [
        (block["id"], question["id"])
        for lesson in lessons_in_order(_structure(content))
        for block in lesson["blocks"]
        if block["type"] == "knowledge_check"
        for question in block["questions"]
    ]


def find_lesson(text: dict[str, Any], lesson_id: str) -> dict[str, Any]:
    """The lesson `lesson_id` of a localized course, or LessonNotFound."""
    for lesson in lessons_in_order(text):
        if lesson["id"] == lesson_id:
            return lesson
    raise LessonNotFound(lesson_id)


def find_block(text: dict[str, Any], lesson_id: str, block_id: str, block_type: str) -> dict[str, Any]:
    """The block `block_id` of type `block_type` in lesson `lesson_id`, or BlockNotFound."""
    for block in find_lesson(text, lesson_id)["blocks"]:
        if block["id"] == block_id and block["type"] == block_type:
            return block
    raise BlockNotFound(block_id)


def public_block(block: dict[str, Any]) -> dict[str, Any]:
    """A block without the fields that give the answers away (`correct`, `best`)."""
    if block["type"] == "knowledge_check":
        return {
            **block,
            "questions": [
                {**q, "options": [{"id": o["id"], "text": o["text"]} for o in q["options"]]}
                for q in block["questions"]
            ],
        }
    if block["type"] == "scenario":
        return {**block, "options": [{"id": o["id"], "text": o["text"]} for o in block["options"]]}
    return block


# --- Queries the journey needs ---


def current_enrolment(session: Session, user_id: int, course_id: int) -> Enrolment | None:
    """The enrolment a learner works on: an unfinished one first, else the most recent."""
    return session.scalar(
        select(Enrolment)
        .where(Enrolment.user_id == user_id, Enrolment.course_id == course_id)
        .order_by(Enrolment.completed_at.is_(None).desc(), Enrolment.started_at.desc(), Enrolment.id.desc())
        .limit(1)
    )


def player_enrolment(session: Session, user_id: int, slug: str) -> Enrolment | None:
    """`current_enrolment` of the course `slug`, with its course and version, in one query."""
    return session.scalar(
        select(Enrolment)
        .join(Enrolment.course)
        .where(Enrolment.user_id == user_id, Course.slug == slug)
        .options(contains_eager(Enrolment.course), joinedload(Enrolment.course_version))
        .order_by(Enrolment.completed_at.is_(None).desc(), Enrolment.started_at.desc(), Enrolment.id.desc())
        .limit(1)
    )


class LatestAnswer(NamedTuple):
    """The latest attempt at one question: what the progress and the feedback need of it."""

    attempt: int
    selected: list[str]
    correct: bool


@dataclass
class CourseProgress:
    """Where a learner stands in one enrolment: lessons seen and the latest answer to each question."""

    lesson_ids: list[str]
    required_lessons: list[str]
    question_keys: list[tuple[str, str]]
    pass_mark: int
    visited: set[str]
    latest: dict[tuple[str, str], LatestAnswer] = field(default_factory=dict)

    @property
    def correct_count(self) -> int:
        return sum(1 for key in self.question_keys if key in self.latest and self.latest[key].correct)

    @property
    def score(self) -> int:
        """Percentage of questions whose latest attempt is right (unanswered counts as wrong)."""
        if not self.question_keys:
            return 100
        return self.correct_count * 100 // len(self.question_keys)

    @property
    def passed(self) -> bool:
        # Compared without rounding, so 79.5 % never passes an 80 % mark.
        return self.correct_count * 100 >= self.pass_mark * len(self.question_keys)

    @property
    def missing_lessons(self) -> list[str]:
        return [lesson_id for lesson_id in self.required_lessons if lesson_id not in self.visited]

    @property
    def seen_count(self) -> int:
        return sum(1 for lesson_id in self.lesson_ids if lesson_id in self.visited)

    @property
    def percent_seen(self) -> int:
        return self.seen_count * 100 // len(self.lesson_ids) if self.lesson_ids else 0

    @property
    def eligible(self) -> bool:
        return not self.missing_lessons and self.passed

    def lesson_state(self, lesson: dict[str, Any]) -> str:
        """`not_visited`, `visited` (a check in it is not answered right yet) or `done`."""
        if lesson["id"] not in self.visited:
            return "not_visited"
        for block in lesson["blocks"]:
            if block["type"] != "knowledge_check":
                continue
            for question in block["questions"]:
                answer = self.latest.get((block["id"], question["id"]))
                if answer is None or not answer.correct:
                    return "visited"
        return "done"


def course_progress(session: Session, enrolment: Enrolment) -> CourseProgress:
    """Lessons seen and latest answers of one enrolment (two queries)."""
    content = enrolment.course_version.document
    visited = set(
        session.scalars(select(LessonProgress.lesson_id).where(LessonProgress.enrolment_id == enrolment.id))
    )
    latest: dict[tuple[str, str], LatestAnswer] = {}
    answers = session.execute(
        select(Answer.block_id, Answer.question_id, Answer.attempt, Answer.selected, Answer.correct)
        .where(Answer.enrolment_id == enrolment.id)
        .order_by(Answer.attempt)
    )
    for block_id, question_id, attempt, selected, correct in answers.tuples():
        latest[(block_id, question_id)] = LatestAnswer(attempt, selected, correct)
    return CourseProgress(
        lesson_ids=lesson_ids(content),
        required_lessons=list(content["completion"]["required_lessons"]),
        question_keys=question_keys(content),
        pass_mark=int(content["completion"]["pass_mark"]),
        visited=visited,
        latest=latest,
    )


def check_feedback(
    block: dict[str, Any], latest: dict[tuple[str, str], LatestAnswer]
) -> dict[str, Any] | None:
    """The result of the latest attempt at a knowledge check, to show after answering.

    Each question says whether it was right and gives the feedback of each selected option;
    it does not say which options were right, so trying again still means thinking again.
    """
    questions = []
    attempt = 0
    for question in block["questions"]:
        answer = latest.get((block["id"], question["id"]))
        if answer is None:
            return None
        attempt = max(attempt, answer.attempt)
        chosen = [option for option in question["options"] if option["id"] in answer.selected]
        questions.append(
            {
                "id": question["id"],
                "prompt": question["prompt"],
                "correct": answer.correct,
                "selected": [{"text": o["text"], "feedback": o["feedback"]} for o in chosen],
            }
        )
    return {
        "attempt": attempt,
        "questions": questions,
        "all_correct": all(q["correct"] for q in questions),
    }


def scenario_feedback(
    block: dict[str, Any], latest: dict[tuple[str, str], LatestAnswer]
) -> dict[str, Any] | None:
    """The chosen option of a scenario with its feedback, and the best option(s), after answering."""
    answer = latest.get((block["id"], SCENARIO_QUESTION_ID))
    if answer is None:
        return None
    chosen = next((o for o in block["options"] if o["id"] in answer.selected), None)
    if chosen is None:
        return None
    return {
        "chosen": {"text": chosen["text"], "feedback": chosen["feedback"], "best": bool(chosen["best"])},
        "best": [o["text"] for o in block["options"] if o["best"]],
    }


# --- Writes ---


def _touch(enrolment: Enrolment, lesson_id: str, now: datetime) -> None:
    gap = int((now - enrolment.last_activity_at).total_seconds())
    # Added in SQL, so two tabs updating at once both count.
    enrolment.time_spent_seconds = Enrolment.time_spent_seconds + min(max(gap, 0), MAX_ACTIVITY_GAP_SECONDS)
    enrolment.last_activity_at = now
    enrolment.last_lesson_id = lesson_id


def start_course(
    session: Session, user: User, course: Course, language: str | None, now: datetime | None = None
) -> Enrolment:
    """Enrol `user` on the newest version of `course`, or return the enrolment they are working on.

    A learner who started an older version finishes on it. A learner who completed a version
    and finds a newer one gets a new enrolment on the newer one. `language` (if the version has
    it) becomes the language the course is shown in.
    """
    now = now or utcnow()
    enrolment = current_enrolment(session, user.id, course.id)
    newest = latest_version(session, course.id)
    keep = enrolment is not None and (
        enrolment.completed_at is None
        or newest is None
        or course.retired_at is not None
        or enrolment.course_version_id == newest.id
    )
    if enrolment is not None and keep:
        enrolment.language = content_language(enrolment.course_version, language)
        return enrolment
    if newest is None or course.retired_at is not None:
        raise CourseNotAvailable(course.slug)
    enrolment = Enrolment(
        user_id=user.id,
        course_id=course.id,
        course_version_id=newest.id,
        language=content_language(newest, language),
        started_at=now,
        last_activity_at=now,
    )
    try:
        with session.begin_nested():
            session.add(enrolment)
    except IntegrityError:
        # A double-clicked Start: the other request enrolled first.
        enrolment = session.scalars(
            select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_version_id == newest.id)
        ).one()
    return enrolment


def first_lesson_id(enrolment: Enrolment) -> str:
    """Where Start leads: the last lesson the learner opened, or the first lesson."""
    ids = lesson_ids(enrolment.course_version.document)
    return enrolment.last_lesson_id if enrolment.last_lesson_id in ids else ids[0]


@dataclass
class LessonVisit:
    """What opening a lesson left: the learner's progress after it, and the completion it wrote."""

    progress: CourseProgress
    completion: Completion | None


def open_lesson(
    session: Session, user: User, enrolment: Enrolment, lesson_id: str, now: datetime | None = None
) -> LessonVisit:
    """Note that the learner opened a lesson, then complete the course if its rule is now met."""
    now = now or utcnow()
    if lesson_id not in lesson_ids(enrolment.course_version.document):
        raise LessonNotFound(lesson_id)
    progress = course_progress(session, enrolment)
    since_last = (now - enrolment.last_activity_at).total_seconds()
    reload = (
        enrolment.last_lesson_id == lesson_id
        and lesson_id in progress.visited
        and 0 <= since_last < RELOAD_SECONDS
    )
    if not reload:
        _record_view(session, enrolment.id, lesson_id, lesson_id in progress.visited, now)
        progress.visited.add(lesson_id)
        _touch(enrolment, lesson_id, now)
    completion = None
    # Only a learner who became eligible can need a completion: the check costs no query.
    if enrolment.completed_at is None and progress.eligible:
        completion = complete_if_eligible(session, user, enrolment, now, progress)
    return LessonVisit(progress=progress, completion=completion)


def _record_view(session: Session, enrolment_id: int, lesson_id: str, seen: bool, now: datetime) -> None:
    matching = (LessonProgress.enrolment_id == enrolment_id, LessonProgress.lesson_id == lesson_id)
    if not seen:
        try:
            with session.begin_nested():
                session.add(
                    LessonProgress(
                        enrolment_id=enrolment_id,
                        lesson_id=lesson_id,
                        first_viewed_at=now,
                        last_viewed_at=now,
                    )
                )
            return
        except IntegrityError:
            pass  # The same lesson opened in another tab at the same moment.
    session.execute(
        update(LessonProgress).where(*matching).values(last_viewed_at=now),
        execution_options={"synchronize_session": False},
    )


def record_lesson_view(
    session: Session, user: User, enrolment: Enrolment, lesson_id: str, now: datetime | None = None
) -> Completion | None:
    """`open_lesson`, returning only the completion it wrote (or None)."""
    return open_lesson(session, user, enrolment, lesson_id, now).completion


def answer_key(enrolment_id: int, submission_id: str, question_id: str) -> str:
    """The stored (unique) submission id of one question's answer in one form submission.

    The enrolment is part of it, so an id sent by someone else can never match this learner's.
    """
    return hashlib.sha256(f"{enrolment_id}/{submission_id}/{question_id}".encode()).hexdigest()


def _store_attempt(
    session: Session,
    enrolment: Enrolment,
    block_id: str,
    submission_id: str,
    rows: list[tuple[str, list[str], bool]],
    now: datetime,
) -> int:
    """Insert one attempt (a row per question) and return its number; a replay returns the first's."""
    if not SUBMISSION_ID_PATTERN.fullmatch(submission_id or ""):
        raise InvalidSubmission(submission_id)
    first_key = answer_key(enrolment.id, submission_id, rows[0][0])
    replayed = select(Answer.attempt).where(Answer.submission_id == first_key)
    # Parallel submits of one learner queue on their enrolment row (PostgreSQL) instead of
    # racing for the same attempt number; the unique constraint below still has the last word.
    session.execute(select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update())
    attempt = session.scalar(replayed)
    if attempt is not None:
        return attempt
    # Where the person is now, copied as for a completion (the learner is already loaded).
    person = enrolment.user
    for _ in range(ATTEMPT_RETRIES):
        attempt = 1 + (
            session.scalar(
                select(func.max(Answer.attempt)).where(
                    Answer.enrolment_id == enrolment.id, Answer.block_id == block_id
                )
            )
            or 0
        )
        try:
            with session.begin_nested():
                session.add_all(
                    Answer(
                        enrolment_id=enrolment.id,
                        course_id=enrolment.course_id,
                        course_version_id=enrolment.course_version_id,
                        organisation_id=person.organisation_id,
                        branch_id=person.branch_id,
                        person_kind=person.person_kind,
                        block_id=block_id,
                        question_id=question_id,
                        attempt=attempt,
                        selected=selected,
                        correct=correct,
                        submission_id=answer_key(enrolment.id, submission_id, question_id),
                        answered_at=now,
                    )
                    for question_id, selected, correct in rows
                )
        except IntegrityError:
            # Either this very submission arrived twice (then show its result), or another tab
            # took the attempt number (then number again).
            attempt = session.scalar(replayed)
            if attempt is not None:
                return attempt
            continue
        return attempt
    raise AnswerNotSaved(block_id)


def submit_knowledge_check(
    session: Session,
    user: User,
    enrolment: Enrolment,
    lesson_id: str,
    block_id: str,
    selections: dict[str, list[str]],
    submission_id: str,
    now: datetime | None = None,
) -> int:
    """Store one attempt at a knowledge check (every question at once); return the attempt number.

    The same `submission_id` sent again stores nothing and returns the first attempt's number.
    """
    now = now or utcnow()
    block = find_block(_structure(enrolment.course_version.document), lesson_id, block_id, "knowledge_check")
    rows = []
    for question in block["questions"]:
        chosen = list(dict.fromkeys(selections.get(question["id"]) or []))
        option_ids = {o["id"] for o in question["options"]}
        if not chosen or not set(chosen) <= option_ids or (question["kind"] == "single" and len(chosen) > 1):
            raise InvalidAnswer(question["id"])
        right = {o["id"] for o in question["options"] if o["correct"]}
        rows.append((question["id"], chosen, set(chosen) == right))
    attempt = _store_attempt(session, enrolment, block_id, submission_id, rows, now)
    _touch(enrolment, lesson_id, now)
    complete_if_eligible(session, user, enrolment, now)
    return attempt


def submit_scenario_choice(
    session: Session,
    user: User,
    enrolment: Enrolment,
    lesson_id: str,
    block_id: str,
    option_id: str,
    submission_id: str,
    now: datetime | None = None,
) -> int:
    """Store the learner's choice in a scenario (not scored); return the attempt number."""
    now = now or utcnow()
    block = find_block(_structure(enrolment.course_version.document), lesson_id, block_id, "scenario")
    option = next((o for o in block["options"] if o["id"] == option_id), None)
    if option is None:
        raise InvalidAnswer(option_id)
    rows = [(SCENARIO_QUESTION_ID, [option_id], bool(option["best"]))]
    attempt = _store_attempt(session, enrolment, block_id, submission_id, rows, now)
    _touch(enrolment, lesson_id, now)
    return attempt


def save_reflection(
    session: Session,
    enrolment: Enrolment,
    lesson_id: str,
    block_id: str,
    text: str,
    now: datetime | None = None,
) -> Reflection | None:
    """Save the learner's private note on a reflection prompt; an empty text removes it."""
    now = now or utcnow()
    find_block(_structure(enrolment.course_version.document), lesson_id, block_id, "reflection")
    text = text.strip()[:REFLECTION_MAX_LENGTH]
    query = select(Reflection).where(Reflection.enrolment_id == enrolment.id, Reflection.block_id == block_id)
    reflection = session.scalar(query)
    _touch(enrolment, lesson_id, now)
    if not text:
        if reflection is not None:
            session.delete(reflection)
        return None
    if reflection is None:
        try:
            with session.begin_nested():
                reflection = Reflection(
                    enrolment_id=enrolment.id, block_id=block_id, text=text, created_at=now, updated_at=now
                )
                session.add(reflection)
            return reflection
        except IntegrityError:
            reflection = session.scalars(query).one()
    reflection.text = text
    reflection.updated_at = now
    return reflection


def new_certificate_code() -> str:
    """128 random bits in base32 (A–Z, 2–7): unguessable, and easy to type from paper."""
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=")


def complete_if_eligible(
    session: Session,
    user: User,
    enrolment: Enrolment,
    now: datetime | None = None,
    progress: CourseProgress | None = None,
) -> Completion | None:
    """Write the learner's Completion when the course's rule is met; return it (or None).

    Exactly one per learner and version, whatever runs in parallel: the row is inserted in a
    SAVEPOINT and the unique constraint decides; the loser re-reads the winner's row.
    `progress`, when given, is the enrolment's current one (saves reading it again).
    """
    now = now or utcnow()
    query = select(Completion).where(
        Completion.user_id == user.id, Completion.course_version_id == enrolment.course_version_id
    )
    completion = session.scalar(query)
    if completion is None:
        progress = progress or course_progress(session, enrolment)
        if not progress.eligible:
            return None
        # The time spent was added in SQL: flush so reading it gives the sum, not the expression.
        session.flush()
        completion = Completion(
            user_id=user.id,
            course_id=enrolment.course_id,
            course_version_id=enrolment.course_version_id,
            organisation_id=user.organisation_id,
            branch_id=user.branch_id,
            person_kind=user.person_kind,
            language=enrolment.language,
            score=progress.score,
            time_spent_seconds=enrolment.time_spent_seconds,
            started_at=enrolment.started_at,
            completed_at=now,
            certificate_code=new_certificate_code(),
        )
        try:
            with session.begin_nested():
                session.add(completion)
        except IntegrityError:
            completion = session.scalars(query).one()
    if enrolment.completed_at is None:
        enrolment.completed_at = completion.completed_at
    return completion


def support_contacts(session: Session, user: User | None) -> tuple[str, str | None]:
    """Where the learner can get support: ('organisation' | 'movement' | 'general', text).

    Their own Society's contacts first, then the Movement-wide default an administrator set;
    with neither, the caller shows a general message.
    """
    if user is not None and user.organisation.support_contacts and user.organisation.support_contacts.strip():
        return "organisation", user.organisation.support_contacts.strip()
    default = session.get(SiteSetting, SUPPORT_CONTACTS_SETTING)
    if default is not None and default.value.strip():
        return "movement", default.value.strip()
    return "general", None


# --- xAPI ---


def iso8601_duration(seconds: int) -> str:
    """`PT1H2M3S` for 3723 seconds; `PT0S` for none."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    parts = "".join(f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if value)
    return f"PT{parts or '0S'}"


def _language_map(texts: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    return {language: text for language, text in texts if text}


def completion_statement(
    completion: Completion, base_url: str, organisation: Organisation | None = None
) -> dict[str, Any]:
    """One completion as an xAPI 1.0.3 statement (a JSON-ready dict).

    `organisation` saves a lookup when the caller has it already (exports of many completions).
    A completion whose account was deleted names an anonymous account agent, never a person.
    """
    base_url = base_url.rstrip("/")
    version = completion.course_version
    course = completion.course
    if organisation is None:
        organisation = object_session(completion).get(Organisation, completion.organisation_id)
    user = completion.user
    if user is not None and user.email and user.deleted_at is None:
        actor: dict[str, Any] = {"objectType": "Agent", "name": user.name, "mbox": f"mailto:{user.email}"}
    else:
        actor = {
            "objectType": "Agent",
            "account": {"homePage": base_url, "name": f"completion-{completion.certificate_code}"},
        }
    organisation_activity = {
        "objectType": "Activity",
        "id": f"{base_url}/organisations/{organisation.code}",
        "definition": {
            "name": _language_map(
                (lang, getattr(organisation, f"name_{lang}")) for lang in ("en", "fr", "es", "ar")
            ),
            "type": "http://id.tincanapi.com/activitytype/organization",
        },
    }
    return {
        "id": str(uuid.uuid5(XAPI_STATEMENT_NAMESPACE, completion.certificate_code)),
        "version": XAPI_VERSION,
        "actor": actor,
        "verb": {"id": XAPI_COMPLETED, "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": f"{base_url}/courses/{course.slug}",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/course",
                "name": _language_map(
                    (lang, text["title"]) for lang, text in version.document["localized"].items()
                ),
            },
        },
        "result": {
            "score": {
                "scaled": round(completion.score / 100, 4),
                "raw": completion.score,
                "min": 0,
                "max": 100,
            },
            "success": True,
            "completion": True,
            "duration": iso8601_duration(completion.time_spent_seconds),
        },
        "context": {
            "platform": "PSS Learning",
            "language": completion.language,
            "extensions": {
                f"{base_url}/xapi/extensions/organisation": organisation.code,
                f"{base_url}/xapi/extensions/course-version": {
                    "number": version.number,
                    "label": version.label,
                },
            },
            "contextActivities": {"grouping": [organisation_activity]},
        },
        "timestamp": completion.completed_at.isoformat(),
    }
