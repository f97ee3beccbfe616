"""Inviting a Society's people from a CSV file: every row checked, all or nothing, one e-mail each."""

from __future__ import annotations

import csv
import io
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import Flask
from flask_babel import _, force_locale, format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.audit.services import record
from lms.auth.models import PERSON_KINDS, Invitation, User
from lms.auth.services import hash_token, normalise_email
from lms.config import LOCALES
from lms.db import utcnow
from lms.errors import LmsError
from lms.mail import MailNotSent, send_mail
from lms.orgs.models import Branch, Organisation

COLUMNS = ("name", "email", "branch", "staff_or_volunteer", "language")
MAX_ROWS = 2000
NAME_MAX = 200
EMAIL_MAX = 254
INVITATIONS_PAGE_SIZE = 50
NUL = "\x00"


@dataclass(frozen=True)
class Problem:
    """What is wrong with the file: `line` is None for the whole file."""

    line: int | None
    message: Any  # a lazy translated string, rendered in the reader's language


class InvitationFileRejected(LmsError):
    """The file has problems; nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class Invitee:
    line: int
    name: str
    email: str
    branch_id: int | None
    person_kind: str
    locale: str


def _decode(data: bytes) -> str:
    try:
        # utf-8-sig: spreadsheet programs often start a "CSV UTF-8" file with a byte-order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvitationFileRejected(
            [Problem(None, _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."))]
        ) from None


def _holds_nul(cells: list[str]) -> bool:
    return any(NUL in cell for cell in cells)


def _nul_problem(line: int) -> Problem:
    # No one types a NUL, and PostgreSQL cannot store one in text; the line's values are not
    # echoed back, since they hold the invisible character.
    return Problem(
        line,
        _(
            "This line contains a NUL character (an invisible control character) that cannot be "
            "stored. Remove it, save the file as “CSV UTF-8” and upload it again."
        ),
    )


def _header(reader: Any) -> dict[str, int]:
    try:
        header = next(reader, None)
    except csv.Error:
        header = None
    if not header or not any(cell.strip() for cell in header):
        raise InvitationFileRejected(
            [
                Problem(
                    1,
                    _(
                        "The file is empty. Its first line must name the columns: %(columns)s.",
                        columns=", ".join(COLUMNS),
                    ),
                )
            ]
        )
    if _holds_nul(header):
        raise InvitationFileRejected([_nul_problem(1)])
    names = [cell.strip().lower() for cell in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise InvitationFileRejected(
            [
                Problem(
                    1,
                    _(
                        "The first line must name the columns %(columns)s. Missing: %(missing)s.",
                        columns=", ".join(COLUMNS),
                        missing=", ".join(missing),
                    ),
                )
            ]
        )
    repeated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if repeated:
        raise InvitationFileRejected(
            [Problem(1, _("These columns appear twice: %(columns)s.", columns=", ".join(repeated)))]
        )
    return {name: names.index(name) for name in COLUMNS}


def _rows(text: str) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """(column positions, [(line number, cells)] of the non-blank rows)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    positions = _header(reader)
    rows: list[tuple[int, list[str]]] = []
    try:
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if any(cell.strip() for cell in cells):
                rows.append((line, cells))
            if len(rows) > MAX_ROWS:
                raise InvitationFileRejected(
                    [
                        Problem(
                            None,
                            _(
                                "The file lists more than %(max)d people. Split it into smaller files.",
                                max=MAX_ROWS,
                            ),
                        )
                    ]
                )
    except csv.Error as error:
        raise InvitationFileRejected(
            [Problem(reader.line_num, _("This line cannot be read as CSV (%(error)s).", error=str(error)))]
        ) from None
    if not rows:
        raise InvitationFileRejected(
            [Problem(None, _("The file has no one to invite below its first line."))]
        )
    return positions, rows


def read_invitation_file(session: Session, organisation: Organisation, data: bytes) -> list[Invitee]:
    """Check every row of an uploaded file; return the invitees, or raise with every problem found.

    Columns: name, email, branch (a branch of `organisation`, or empty), staff_or_volunteer,
    language (en, fr, es or ar). Line numbers count the header as line 1.
    """
    positions, rows = _rows(_decode(data))
    header_width = max(positions.values()) + 1
    branches = {
        branch.name.strip().casefold(): branch.id
        for branch in session.scalars(
            select(Branch).where(Branch.organisation_id == organisation.id, Branch.active.is_(True))
        )
    }
    problems: list[Problem] = []
    invitees: list[Invitee] = []
    first_line_of: dict[str, int] = {}

    for line, cells in rows:
        if _holds_nul(cells):
            problems.append(_nul_problem(line))
            continue
        values = {
            column: (cells[index] if index < len(cells) else "").strip()
            for column, index in positions.items()
        }
        row_problems: list[Any] = []
        if len(cells) > header_width and any(cell.strip() for cell in cells[header_width:]):
            row_problems.append(_("This line has more values than there are columns (a comma in a name?)."))
        name = " ".join(values["name"].split())
        if not name:
            row_problems.append(_("The name is missing."))
        elif len(name) > NAME_MAX:
            row_problems.append(_("The name is longer than %(max)d characters.", max=NAME_MAX))
        email = normalise_email(values["email"])
        if not email:
            row_problems.append(_("The e-mail address is missing."))
        else:
            try:
                validate_email(email, check_deliverability=False)
            except EmailNotValidError:
                row_problems.append(_("“%(email)s” is not a valid e-mail address.", email=email))
                email = ""
            if len(email) > EMAIL_MAX:
                row_problems.append(_("The e-mail address is too long."))
                email = ""
        if email in first_line_of:
            row_problems.append(
                _("%(email)s is already on line %(line)d.", email=email, line=first_line_of[email])
            )
        elif email:
            first_line_of[email] = line
        branch_name = values["branch"]
        branch_id = branches.get(" ".join(branch_name.split()).casefold()) if branch_name else None
        if branch_name and branch_id is None:
            row_problems.append(
                _("“%(branch)s” is not an active branch of this organisation.", branch=branch_name)
            )
        kind = values["staff_or_volunteer"].lower()
        if not kind:
            row_problems.append(_("staff_or_volunteer is missing: write “staff” or “volunteer”."))
        elif kind not in PERSON_KINDS:
            row_problems.append(
                _(
                    "staff_or_volunteer must be “staff” or “volunteer”, not “%(value)s”.",
                    value=values["staff_or_volunteer"],
                )
            )
        language = values["language"].lower()
        if not language:
            row_problems.append(
                _("language is missing: write one of %(languages)s.", languages=", ".join(LOCALES))
            )
        elif language not in LOCALES:
            row_problems.append(
                _(
                    "language must be one of %(languages)s, not “%(value)s”.",
                    languages=", ".join(LOCALES),
                    value=values["language"],
                )
            )
        problems.extend(Problem(line, message) for message in row_problems)
        if not row_problems:
            invitees.append(Invitee(line, name, email, branch_id, kind, language))

    registered = _registered_emails(session, list(first_line_of))
    for invitee in invitees:
        if invitee.email in registered:
            problems.append(
                Problem(invitee.line, _("%(email)s already has an account.", email=invitee.email))
            )
    if problems:
        raise InvitationFileRejected(sorted(problems, key=lambda p: p.line or 0))
    return invitees


def _registered_emails(session: Session, emails: list[str]) -> set[str]:
    found: set[str] = set()
    # In slices, so no database meets more bound parameters than it accepts.
    for start in range(0, len(emails), 500):
        found.update(
            email
            for email in session.scalars(
                select(User.email).where(User.email.in_(emails[start : start + 500]))
            )
            if email
        )
    return found


def create_invitations(
    session: Session,
    actor: User,
    organisation: Organisation,
    invitees: list[Invitee],
    max_age_seconds: int,
    now: datetime | None = None,
) -> list[tuple[Invitation, str]]:
    """Add one invitation per invitee (flushed, not committed) and audit the upload.

    Returns each invitation with its token: only the token's SHA-256 is stored, the token
    itself travels in the e-mail.
    """
    now = now or utcnow()
    created = []
    for invitee in invitees:
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            organisation_id=organisation.id,
            branch_id=invitee.branch_id,
            email=invitee.email,
            name=invitee.name,
            person_kind=invitee.person_kind,
            locale=invitee.locale,
            token_hash=hash_token(token),
            invited_by_id=actor.id,
            created_at=now,
            expires_at=now + timedelta(seconds=max_age_seconds),
        )
        session.add(invitation)
        created.append((invitation, token))
    session.flush()
    record(
        session,
        "invitations.upload",
        actor_id=actor.id,
        organisation_id=organisation.id,
        target=organisation.code,
        details={"invited": len(created)},
    )
    return created


def invitation_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/register?invite={token}"


def send_invitations(
    app: Flask, organisation: Organisation, inviter: User, invitations: list[tuple[Invitation, str]]
) -> list[Invitation]:
    """E-mail each invitee their link, in their language; returns the invitations not sent."""
    not_sent = []
    for invitation, token in invitations:
        with force_locale(invitation.locale):
            subject = _("Your invitation to PSS Learning")
            body = _(
                "Hello %(name)s,\n\n"
                "%(inviter)s invites you, on behalf of %(organisation)s, to PSS Learning: short online "
                "courses on basic psychosocial support for staff and volunteers of the Red Cross and "
                "Red Crescent Movement.\n\n"
                "Create your account with this link, valid until %(date)s:\n%(link)s\n\n"
                "If you did not expect this message, you can ignore it.",
                name=invitation.name,
                inviter=inviter.name,
                organisation=organisation.name(invitation.locale),
                date=format_date(invitation.expires_at.date(), format="long"),
                link=invitation_link(app.config["BASE_URL"], token),
            )
        try:
            send_mail(app, invitation.email, subject, body)
        except MailNotSent:
            not_sent.append(invitation)
    return not_sent


@dataclass
class InvitationPage:
    rows: list[tuple[Invitation, str | None]]  # each invitation with its branch's name
    total: int
    page: int
    pages: int


def invitations_page(session: Session, organisation_id: int, page: int) -> InvitationPage:
    """The organisation's invitations, newest first, one page at a time (with their branches)."""
    conditions = [Invitation.organisation_id == organisation_id]
    total = session.scalar(select(func.count()).select_from(Invitation).where(*conditions)) or 0
    pages = max(1, math.ceil(total / INVITATIONS_PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.execute(
        select(Invitation, Branch.name)
        .outerjoin(Branch, Branch.id == Invitation.branch_id)
        .where(*conditions)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(INVITATIONS_PAGE_SIZE)
        .offset((page - 1) * INVITATIONS_PAGE_SIZE)
    )
    return InvitationPage([(invitation, branch) for invitation, branch in rows], total, page, pages)
