"""Certificates are Completion rows: finding one for its owner, or for anyone holding its code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lms.errors import NotFound
from lms.learning.models import Completion
from lms.learning.queries import minutes_in
from lms.learning.services import content_language, localized
from lms.orgs.models import Organisation

# new_certificate_code(): 128 random bits in base32, without padding.
CODE_PATTERN = re.compile(r"^[A-Z2-7]{26}$")


class CertificateNotFound(NotFound):
    """No certificate with this code (or not one the asker may have)."""


def normalise_code(code: str) -> str | None:
    """The code as stored (upper case, no spaces), or None when it cannot be a certificate code."""
    cleaned = code.strip().replace(" ", "").replace("-", "").upper()
    return cleaned if CODE_PATTERN.fullmatch(cleaned) else None


def _by_code(session: Session, code: str) -> Completion:
    cleaned = normalise_code(code)
    completion = None
    if cleaned is not None:
        completion = session.scalar(
            select(Completion)
            .where(Completion.certificate_code == cleaned)
            .options(
                joinedload(Completion.user),
                joinedload(Completion.course),
                joinedload(Completion.course_version),
            )
        )
    if completion is None:
        raise CertificateNotFound(code)
    return completion


def owned_certificate(session: Session, user_id: int, code: str) -> Completion:
    """The completion behind `code` if it belongs to `user_id`; CertificateNotFound otherwise."""
    completion = _by_code(session, code)
    if completion.user_id != user_id:
        raise CertificateNotFound(code)
    return completion


def verifiable_certificate(session: Session, code: str) -> Completion:
    """The completion behind `code` for the public check; a deleted account's is not found."""
    completion = _by_code(session, code)
    if completion.user is None or completion.user.deleted_at is not None:
        raise CertificateNotFound(code)
    return completion


def verification_url(base_url: str, code: str) -> str:
    """The public address printed on the certificate."""
    return f"{base_url.rstrip('/')}/verify/{code}"


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate and its verification page state."""

    name: str
    course_title: str
    language: str
    version_label: str
    minutes: int
    completed_at: datetime
    organisation: str
    code: str
    course_slug: str


def certificate_facts(session: Session, completion: Completion, locale: str) -> CertificateFacts:
    """What a certificate states: the course in the language it was completed in, the
    organisation the person belonged to then, named in `locale`."""
    version = completion.course_version
    language = content_language(version, completion.language)
    organisation = session.get(Organisation, completion.organisation_id)
    return CertificateFacts(
        name=completion.user.name if completion.user is not None else "",
        course_title=localized(version, language)["title"],
        language=language,
        version_label=version.label,
        minutes=minutes_in(version, language),
        completed_at=completion.completed_at,
        organisation=organisation.name(locale) if organisation is not None else "",
        code=completion.certificate_code,
        course_slug=completion.course.slug,
    )
