"""Organisations of the Movement: National Societies, the IFRC and the ICRC; branches; headcounts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, utcnow

ORG_KINDS = ("national_society", "ifrc", "icrc")
REGIONS = ("Africa", "Americas", "Asia Pacific", "Europe", "Middle East and North Africa")


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint("kind IN ('national_society', 'ifrc', 'icrc')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # ISO 3166-1 alpha-3 for a National Society; IFRC or ICRC for the two international bodies.
    code: Mapped[str] = mapped_column(String(8), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    iso2: Mapped[str | None] = mapped_column(String(2))
    fdrs_code: Mapped[str | None] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    name_es: Mapped[str] = mapped_column(String(200))
    name_ar: Mapped[str] = mapped_column(String(200))
    country_en: Mapped[str | None] = mapped_column(String(200))
    country_fr: Mapped[str | None] = mapped_column(String(200))
    country_es: Mapped[str | None] = mapped_column(String(200))
    country_ar: Mapped[str | None] = mapped_column(String(200))
    directory_url: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    # Where this Society's people can get support; edited by its focal points (plain text).
    support_contacts: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    branches: Mapped[list[Branch]] = relationship(back_populates="organisation", order_by="Branch.name")

    def name(self, locale: str) -> str:
        return getattr(self, f"name_{locale}", None) or self.name_en


class Branch(Base):
    __tablename__ = "branch"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="branches")


class Headcount(Base):
    """A declared number of staff and volunteers, dated: the denominator of coverage. History is kept."""

    __tablename__ = "headcount"
    __table_args__ = (
        CheckConstraint("staff >= 0", name="staff_not_negative"),
        CheckConstraint("volunteers >= 0", name="volunteers_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    staff: Mapped[int]
    volunteers: Mapped[int]
    as_of: Mapped[date] = mapped_column(Date)
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class SiteSetting(Base):
    """Movement-wide settings an administrator edits (e.g. the default support contacts)."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
