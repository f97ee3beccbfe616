"""Published courses and their immutable versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.cache import BoundedCache
from lms.db import Base, utcnow


class Course(Base):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The course id of the YAML files (the folder name under courses/).
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", order_by="CourseVersion.number"
    )


class CourseVersion(Base):
    """One published state of a course, never changed once written: records point at it."""

    __tablename__ = "course_version"
    __table_args__ = (UniqueConstraint("course_id", "number"), UniqueConstraint("course_id", "content_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(40))
    source_language: Mapped[str] = mapped_column(String(5))
    languages: Mapped[list[str]] = mapped_column(JSON)
    # The validated course with every translation merged in, as the player reads it. Deferred:
    # pages read it through `document`, parsed once per process.
    content: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    estimated_minutes: Mapped[dict[str, int]] = mapped_column(JSON)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship(back_populates="versions")
    tags: Mapped[list[CourseVersionTag]] = relationship(cascade="all, delete-orphan")

    @property
    def document(self) -> dict[str, Any]:
        """`content`, read from the database and parsed once per process, then shared: read only.

        A version never changes once written, and its content hash names its content, so the
        parsed document of (id, content hash) can serve every later request.
        """
        key = (self.id, self.content_hash)
        document = documents.get(key)
        if document is None:
            document = self.content
            if self.id is not None:
                documents.put(key, document)
        return document


# The parsed contents of the most recently read versions (a few hundred KB each).
documents: BoundedCache[dict[str, Any]] = BoundedCache(size=12)


class CourseVersionTag(Base):
    """Tags as rows, so reports can select e.g. every completion of a `basic-pss` course in SQL."""

    __tablename__ = "course_version_tag"

    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class CourseMedia(Base):
    """A media file of a course, stored once by content hash so every version stays readable."""

    __tablename__ = "course_media"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
