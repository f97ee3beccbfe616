"""Accounts, roles, password-reset tokens and invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, utcnow
from lms.orgs.models import Branch, Organisation

PERSON_KINDS = ("staff", "volunteer")
ROLES = ("focal_point", "author", "admin")


class User(Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("person_kind IN ('staff', 'volunteer')", name="person_kind"),
        CheckConstraint("locale IN ('en', 'fr', 'es', 'ar')", name="locale"),
        # Covers the reports' counts of registered people by organisation, branch and status.
        Index("ix_user_org_report", "organisation_id", "deleted_at", "branch_id", "person_kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lower-cased; NULL once the account is deleted (personal data removed, aggregates kept).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id", ondelete="SET NULL"), index=True)
    person_kind: Mapped[str] = mapped_column(String(10))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    consented_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_login_at: Mapped[datetime | None]
    # Part of the login session identifier: rotating it ends every other session.
    session_token: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    branch: Mapped[Branch | None] = relationship(lazy="joined")
    roles: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", foreign_keys="RoleGrant.user_id"
    )

    # flask-login protocol
    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def has_role(self, role: str, organisation_id: int | None = None) -> bool:
        return any(
            grant.role == role and (organisation_id is None or grant.organisation_id == organisation_id)
            for grant in self.roles
        )

    @property
    def is_admin(self) -> bool:
        return self.has_role("admin")

    @property
    def is_author(self) -> bool:
        return self.has_role("author") or self.is_admin

    def focal_point_org_ids(self) -> set[int]:
        return {g.organisation_id for g in self.roles if g.role == "focal_point" and g.organisation_id}


class RoleGrant(Base):
    __tablename__ = "role_grant"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "organisation_id"),
        CheckConstraint("role IN ('focal_point', 'author', 'admin')", name="role"),
        CheckConstraint("role <> 'focal_point' OR organisation_id IS NOT NULL", name="focal_point_has_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship()


class PasswordResetToken(Base):
    """Only the token's SHA-256 is stored; the token itself exists only in the e-mail."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Invitation(Base):
    __tablename__ = "invitation"
    __table_args__ = (CheckConstraint("person_kind IN ('staff', 'volunteer')", name="person_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    person_kind: Mapped[str] = mapped_column(String(10))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    branch: Mapped[Branch | None] = relationship()
