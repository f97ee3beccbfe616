"""A learner's enrolment, progress, answers, private reflections and completions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.courses.models import Course, CourseVersion
from lms.db import Base, utcnow


class Enrolment(Base):
    """A learner taking one exact course version; they finish on the version they started."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("user_id", "course_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_lesson_id: Mapped[str | None] = mapped_column(String(80))
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Sum of the gaps between page views, each capped, so an open tab overnight does not count.
    time_spent_seconds: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    course_version: Mapped[CourseVersion] = relationship()


class LessonProgress(Base):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(80))
    first_viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_viewed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Answer(Base):
    """One submitted answer to a question of a knowledge check, or a choice in a scenario.

    `submission_id` comes from the form; a retried or double-clicked submit carries the
    same one and the database refuses the duplicate.

    The course and version (from the enrolment) and the organisation, branch and staff/volunteer
    status (from the person) are copied when the answer is stored, as for a `Completion`: the
    report's first-try rates read this table alone, and count an answer where the person was
    when they gave it.
    """

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "block_id", "question_id", "attempt"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint("person_kind IN ('staff', 'volunteer')", name="person_kind"),
        # First tries only: covers the report's first-try pass rate per question and its filters.
        Index(
            "ix_answer_first_try",
            "organisation_id",
            "answered_at",
            "course_version_id",
            "block_id",
            "question_id",
            "correct",
            "course_id",
            "branch_id",
            "person_kind",
            postgresql_where=text("attempt = 1"),
            sqlite_where=text("attempt = 1"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id", ondelete="SET NULL"))
    person_kind: Mapped[str] = mapped_column(String(10))
    block_id: Mapped[str] = mapped_column(String(80))
    question_id: Mapped[str] = mapped_column(String(80))
    attempt: Mapped[int]
    selected: Mapped[list[str]] = mapped_column(JSON)
    correct: Mapped[bool]
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reflection(Base):
    """The learner's private note on a reflection prompt. Never shown in any report."""

    __tablename__ = "reflection"
    __table_args__ = (UniqueConstraint("enrolment_id", "block_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Completion(Base):
    """Evidence that a person completed one exact course version. Written once, never changed.

    The organisation, branch and staff/volunteer status are copied at completion so that
    aggregate reports stay right after the person's account and personal data are deleted.
    """

    __tablename__ = "completion"
    __table_args__ = (
        UniqueConstraint("user_id", "course_version_id"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        CheckConstraint("person_kind IN ('staff', 'volunteer')", name="person_kind"),
        # Covers the Society report's aggregates, so they read the index alone.
        Index(
            "ix_completion_org_report",
            "organisation_id",
            "completed_at",
            "course_id",
            "course_version_id",
            "branch_id",
            "person_kind",
            "language",
            "time_spent_seconds",
            "user_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id", ondelete="SET NULL"))
    person_kind: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    score: Mapped[int]
    time_spent_seconds: Mapped[int]
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    certificate_code: Mapped[str] = mapped_column(String(32), unique=True)

    user: Mapped[User | None] = relationship()
    course: Mapped[Course] = relationship()
    course_version: Mapped[CourseVersion] = relationship()

    def details(self) -> dict[str, Any]:
        return {"score": self.score, "language": self.language, "version": self.course_version_id}
