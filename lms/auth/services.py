"""Accounts: passwords, registration, logging in, profile, password reset, roles, data rights."""

from __future__ import annotations

import functools
import hashlib
import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from lms import db
from lms.audit.services import record
from lms.auth.models import ROLES, Invitation, PasswordResetToken, RoleGrant, User
from lms.certificates.services import verification_url
from lms.courses.models import Course, CourseVersion
from lms.db import in_integer_range, utcnow
from lms.errors import LmsError
from lms.learning.models import Answer, Completion, Enrolment, LessonProgress, Reflection
from lms.orgs.models import Branch, Organisation

MIN_PASSWORD_LENGTH = 10
# argon2id with the library's current recommended parameters; verification reads them from each hash.
PASSWORD_HASHER = PasswordHasher()


class EmailTaken(LmsError):
    """Another account already uses this e-mail address."""


class PasswordTooShort(LmsError):
    """The password has fewer than MIN_PASSWORD_LENGTH characters."""


class PasswordIsIdentity(LmsError):
    """The password is the person's e-mail address or name."""


class OrganisationUnavailable(LmsError):
    """The organisation does not exist or is no longer active."""


class BranchNotInOrganisation(LmsError):
    """The branch does not belong to the organisation, or is no longer active."""


class InvalidCredentials(LmsError):
    """Unknown e-mail or wrong password (deliberately not saying which)."""


class WrongCurrentPassword(LmsError):
    """The current password given to change it, or to delete the account, is wrong."""


class InvalidResetToken(LmsError):
    """The reset link is unknown, expired or already used."""


class UnknownUser(LmsError):
    """No account has this e-mail address."""


class UnknownOrganisation(LmsError):
    """No organisation has this code."""


class UnknownRole(LmsError):
    """The role is not one of ROLES."""


class RoleNeedsOrganisation(LmsError):
    """A focal point is always the focal point of one organisation."""


class RoleTakesNoOrganisation(LmsError):
    """Authors and administrators are Movement-wide: they have no organisation."""


class RoleNotHeld(LmsError):
    """The person does not hold the role being revoked."""


class LastAdministrator(LmsError):
    """The change would leave the platform with no administrator."""


def _keep_an_administrator(session: Session, user: User) -> None:
    """LastAdministrator unless an account other than `user`'s holds the admin role."""
    others = session.scalar(
        select(func.count())
        .select_from(RoleGrant)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == "admin", RoleGrant.user_id != user.id, User.deleted_at.is_(None))
    )
    if not others:
        raise LastAdministrator


# --- passwords and tokens ---------------------------------------------------------------


def normalise_email(email: str) -> str:
    """The form in which e-mail addresses are stored and compared: trimmed, lower-case."""
    return email.strip().lower()


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a secret token: only this is stored, the token travels by e-mail."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_token() -> str:
    """A fresh random part of the login session id (64 hex characters)."""
    return secrets.token_hex(32)


def end_sessions(session: Session, user: User) -> None:
    """End every login session and remember cookie of `user`, copies kept elsewhere included."""
    user.session_token = new_session_token()
    session.flush()


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return PASSWORD_HASHER.hash(password)


def check_password_rules(password: str, *, email: str, name: str) -> None:
    """Raise PasswordTooShort or PasswordIsIdentity unless `password` is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort
    candidate = password.strip().casefold()
    if candidate in {email.strip().casefold(), name.strip().casefold()}:
        raise PasswordIsIdentity


@functools.cache
def _dummy_hash() -> str:
    # Same parameters as real hashes, so an unknown e-mail costs as much time as a wrong password.
    return PASSWORD_HASHER.hash(secrets.token_hex(16))


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        PASSWORD_HASHER.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()


# --- looking things up ------------------------------------------------------------------


def _sort_key(text: str) -> str:
    # Accents must not send "Équateur" after "Zambie": compare base letters first.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def active_organisations(session: Session, locale: str) -> list[Organisation]:
    """Active organisations, sorted by their name in `locale`."""
    organisations = session.scalars(select(Organisation).where(Organisation.active.is_(True))).all()
    return sorted(organisations, key=lambda org: _sort_key(org.name(locale)))


def active_branches(session: Session, organisation_ids: list[int] | None = None) -> list[Branch]:
    """Active branches (of the given organisations, or of all), by organisation then name."""
    query = select(Branch).where(Branch.active.is_(True))
    if organisation_ids is not None:
        query = query.where(Branch.organisation_id.in_(organisation_ids))
    return list(session.scalars(query.order_by(Branch.organisation_id, Branch.name)))


def branches_for_profile(session: Session, user: User) -> list[Branch]:
    """The branches `user` may choose: the active ones of their organisation, and their own."""
    branches = active_branches(session, [user.organisation_id])
    if user.branch is not None and user.branch not in branches:
        branches.append(user.branch)
    return branches


def find_user_by_email(session: Session, email: str) -> User | None:
    """The account with this e-mail address (compared normalised), if any."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def find_invitation(session: Session, token: str) -> Invitation | None:
    """The invitation for `token` if it exists, has not expired and was not accepted yet."""
    return session.scalar(
        select(Invitation).where(
            Invitation.token_hash == hash_token(token),
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )


def _check_branch(session: Session, organisation_id: int, branch_id: int | None) -> None:
    if branch_id is None:
        return
    branch = session.get(Branch, branch_id) if in_integer_range(branch_id) else None
    if branch is None or branch.organisation_id != organisation_id or not branch.active:
        raise BranchNotInOrganisation


def load_user_from_session_id(session_id: str) -> User | None:
    """flask-login loader: the id is `user_id:session_token`, so a rotated token ends the session."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    # The roles come in the same query: every page's navigation reads them.
    user = (
        db.session.scalars(select(User).where(User.id == int(user_id)).options(joinedload(User.roles)))
        .unique()
        .first()
    )
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user


# --- accounts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """What a person gives when creating an account."""

    name: str
    email: str
    password: str
    organisation_id: int
    branch_id: int | None
    person_kind: str
    locale: str


def register(session: Session, data: Registration, invitation: Invitation | None = None) -> User:
    """Create an account from `data`, which the person consented to store (consented_at is now).

    Raises EmailTaken, OrganisationUnavailable, BranchNotInOrganisation, PasswordTooShort or
    PasswordIsIdentity. A given `invitation` is marked accepted.
    """
    email = normalise_email(data.email)
    name = data.name.strip()
    if find_user_by_email(session, email) is not None:
        raise EmailTaken
    organisation = session.get(Organisation, data.organisation_id)
    if organisation is None or not organisation.active:
        raise OrganisationUnavailable
    _check_branch(session, organisation.id, data.branch_id)
    check_password_rules(data.password, email=email, name=name)
    user = User(
        name=name,
        email=email,
        organisation_id=organisation.id,
        branch_id=data.branch_id,
        person_kind=data.person_kind,
        locale=data.locale,
        consented_at=utcnow(),
    )
    _set_password(user, data.password)
    try:
        # Two registrations racing for one address: the unique constraint decides.
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise EmailTaken from None
    if invitation is not None:
        invitation.accepted_at = utcnow()
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The account for `email` and `password`, its last login updated; else InvalidCredentials.

    An unknown address still costs one hash verification, so timing does not tell it apart.
    A hash made with older parameters is replaced by one with the current parameters.
    """
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        _verify(None, password)
        raise InvalidCredentials
    if not _verify(user.password_hash, password):
        raise InvalidCredentials
    if PASSWORD_HASHER.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; every other session ends.

    Raises WrongCurrentPassword, PasswordTooShort or PasswordIsIdentity.
    """
    if not _verify(user.password_hash, current):
        raise WrongCurrentPassword
    check_password_rules(new, email=user.email or "", name=user.name)
    _set_password(user, new)
    session.flush()


@dataclass(frozen=True)
class ProfileChange:
    """What a person may change about themselves."""

    name: str
    branch_id: int | None
    person_kind: str
    locale: str


def update_profile(session: Session, user: User, change: ProfileChange) -> None:
    """Apply `change` to `user`. Raises BranchNotInOrganisation for a branch of another organisation.

    The branch the person already has is kept even if it was since made inactive.
    """
    if change.branch_id != user.branch_id:
        _check_branch(session, user.organisation_id, change.branch_id)
    user.name = change.name.strip()
    user.branch_id = change.branch_id
    user.person_kind = change.person_kind
    user.locale = change.locale
    session.flush()


# --- password reset ---------------------------------------------------------------------


def request_password_reset(session: Session, email: str, max_age: int) -> tuple[User, str] | None:
    """A new reset token for the account of `email`, valid `max_age` seconds, or None if no account.

    Only the token's hash is stored; the caller e-mails the token and must answer the same
    way whether or not an account exists.
    """
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(seconds=max_age),
        )
    )
    session.flush()
    return user, token


def user_for_reset_token(session: Session, token: str) -> User:
    """The person a still-valid reset token belongs to; else InvalidResetToken."""
    user = session.scalar(
        select(User)
        .join(PasswordResetToken, PasswordResetToken.user_id == User.id)
        .where(
            PasswordResetToken.token_hash == hash_token(token),
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > utcnow(),
        )
    )
    if user is None or not user.is_active:
        raise InvalidResetToken
    return user


def reset_password(session: Session, token: str, new_password: str) -> User:
    """Set a new password with a reset token, which can be used only once.

    Every session of the person ends and their other outstanding tokens become unusable.
    Raises InvalidResetToken, PasswordTooShort or PasswordIsIdentity (the token stays
    usable when the password is refused).
    """
    user = user_for_reset_token(session, token)
    check_password_rules(new_password, email=user.email or "", name=user.name)
    now = utcnow()
    # One conditional UPDATE: of two concurrent uses of the same link, only one changes a row.
    claimed = session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == hash_token(token),
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InvalidResetToken
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    _set_password(user, new_password)
    session.flush()
    return user


# --- administrators and roles -------------------------------------------------------------


def organisation_by_code(session: Session, code: str) -> Organisation:
    """The organisation with this code (case-insensitive); else UnknownOrganisation."""
    organisation = session.scalar(select(Organisation).where(Organisation.code == code.strip().upper()))
    if organisation is None:
        raise UnknownOrganisation(code)
    return organisation


def user_by_email(session: Session, email: str) -> User:
    """The account with this e-mail address; else UnknownUser."""
    user = find_user_by_email(session, email)
    if user is None:
        raise UnknownUser(email)
    return user


def create_account(
    session: Session, *, email: str, name: str, password: str, organisation: Organisation, locale: str
) -> User:
    """An account made by an operator on the command line (no consent is recorded for it).

    Raises EmailTaken, PasswordTooShort or PasswordIsIdentity.
    """
    email = normalise_email(email)
    if find_user_by_email(session, email) is not None:
        raise EmailTaken(email)
    check_password_rules(password, email=email, name=name)
    user = User(email=email, name=name.strip(), organisation=organisation, person_kind="staff", locale=locale)
    _set_password(user, password)
    session.add(user)
    session.flush()
    return user


def _check_role(role: str, organisation: Organisation | None) -> None:
    if role not in ROLES:
        raise UnknownRole(role)
    if role == "focal_point" and organisation is None:
        raise RoleNeedsOrganisation(role)
    if role != "focal_point" and organisation is not None:
        raise RoleTakesNoOrganisation(role)


def _find_grant(user: User, role: str, organisation: Organisation | None) -> RoleGrant | None:
    organisation_id = organisation.id if organisation else None
    return next(
        (g for g in user.roles if g.role == role and g.organisation_id == organisation_id),
        None,
    )


def grant_role(
    session: Session, user: User, role: str, organisation: Organisation | None, actor: User | None
) -> bool:
    """Give `user` the role (a focal point needs an organisation); False if they already hold it.

    Raises UnknownRole, RoleNeedsOrganisation or RoleTakesNoOrganisation. Audited as role.grant.
    """
    _check_role(role, organisation)
    if _find_grant(user, role, organisation) is not None:
        return False
    user.roles.append(
        RoleGrant(role=role, organisation=organisation, granted_by_id=actor.id if actor else None)
    )
    record(
        session,
        "role.grant",
        actor_id=actor.id if actor else None,
        organisation_id=organisation.id if organisation else None,
        target=f"user:{user.id}",
        details={"role": role},
    )
    session.flush()
    return True


def revoke_role(
    session: Session, user: User, role: str, organisation: Organisation | None, actor: User | None
) -> None:
    """Take the role away from `user`. Raises UnknownRole, RoleNeedsOrganisation,
    RoleTakesNoOrganisation or RoleNotHeld. Audited as role.revoke."""
    _check_role(role, organisation)
    grant = _find_grant(user, role, organisation)
    if grant is None:
        raise RoleNotHeld(role)
    if role == "admin":
        _keep_an_administrator(session, user)
    user.roles.remove(grant)
    record(
        session,
        "role.revoke",
        actor_id=actor.id if actor else None,
        organisation_id=organisation.id if organisation else None,
        target=f"user:{user.id}",
        details={"role": role},
    )
    session.flush()


# --- data rights: downloading everything, deleting the account ------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _version(number: int, label: str) -> dict[str, Any]:
    return {"number": number, "label": label}


def export_user_data(session: Session, user: User, base_url: str) -> dict[str, Any]:
    """Everything stored about `user`, as a JSON-ready dict: their copy of their own data.

    Only their own rows, in six queries however many courses, answers or notes they have.
    """
    roles = session.execute(
        select(RoleGrant.role, Organisation.code, RoleGrant.granted_at)
        .outerjoin(Organisation, Organisation.id == RoleGrant.organisation_id)
        .where(RoleGrant.user_id == user.id)
        .order_by(RoleGrant.granted_at, RoleGrant.id)
    ).all()
    enrolments = session.execute(
        select(Enrolment, Course.slug, CourseVersion.number, CourseVersion.label)
        .join(Course, Course.id == Enrolment.course_id)
        .join(CourseVersion, CourseVersion.id == Enrolment.course_version_id)
        .where(Enrolment.user_id == user.id)
        .order_by(Enrolment.started_at, Enrolment.id)
    ).all()

    lessons: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for progress in session.scalars(
        select(LessonProgress)
        .join(Enrolment, Enrolment.id == LessonProgress.enrolment_id)
        .where(Enrolment.user_id == user.id)
        .order_by(LessonProgress.first_viewed_at, LessonProgress.id)
    ):
        lessons[progress.enrolment_id].append(
            {
                "lesson": progress.lesson_id,
                "first_viewed_at": _iso(progress.first_viewed_at),
                "last_viewed_at": _iso(progress.last_viewed_at),
            }
        )
    answers: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for answer, organisation_code, branch_name in session.execute(
        select(Answer, Organisation.code, Branch.name)
        .join(Enrolment, Enrolment.id == Answer.enrolment_id)
        .join(Organisation, Organisation.id == Answer.organisation_id)
        .outerjoin(Branch, Branch.id == Answer.branch_id)
        .where(Enrolment.user_id == user.id)
        .order_by(Answer.answered_at, Answer.id)
    ).tuples():
        answers[answer.enrolment_id].append(
            {
                "block": answer.block_id,
                "question": answer.question_id,
                "attempt": answer.attempt,
                "selected": list(answer.selected),
                "correct": answer.correct,
                "answered_at": _iso(answer.answered_at),
                # Where the person was when answering: copied for the reports, like completions.
                "organisation": organisation_code,
                "branch": branch_name,
                "person_kind": answer.person_kind,
            }
        )
    reflections: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for reflection in session.scalars(
        select(Reflection)
        .join(Enrolment, Enrolment.id == Reflection.enrolment_id)
        .where(Enrolment.user_id == user.id)
        .order_by(Reflection.created_at, Reflection.id)
    ):
        reflections[reflection.enrolment_id].append(
            {
                "block": reflection.block_id,
                "text": reflection.text,
                "created_at": _iso(reflection.created_at),
                "updated_at": _iso(reflection.updated_at),
            }
        )

    completions = session.execute(
        select(
            Completion, Course.slug, CourseVersion.number, CourseVersion.label, Organisation.code, Branch.name
        )
        .join(Course, Course.id == Completion.course_id)
        .join(CourseVersion, CourseVersion.id == Completion.course_version_id)
        .join(Organisation, Organisation.id == Completion.organisation_id)
        .outerjoin(Branch, Branch.id == Completion.branch_id)
        .where(Completion.user_id == user.id)
        .order_by(Completion.completed_at, Completion.id)
    ).all()

    return {
        "exported_at": _iso(utcnow()),
        "profile": {
            "name": user.name,
            "email": user.email,
            "organisation": {"code": user.organisation.code, "name": user.organisation.name(user.locale)},
            "branch": user.branch.name if user.branch is not None else None,
            "person_kind": user.person_kind,
            "language": user.locale,
            "consented_at": _iso(user.consented_at),
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "roles": [
            {"role": role, "organisation": code, "granted_at": _iso(granted_at)}
            for role, code, granted_at in roles
        ],
        "enrolments": [
            {
                "course": slug,
                "version": _version(number, label),
                "language": enrolment.language,
                "started_at": _iso(enrolment.started_at),
                "last_lesson": enrolment.last_lesson_id,
                "last_activity_at": _iso(enrolment.last_activity_at),
                "time_spent_seconds": enrolment.time_spent_seconds,
                "completed_at": _iso(enrolment.completed_at),
                "lessons": lessons[enrolment.id],
                "answers": answers[enrolment.id],
                "reflections": reflections[enrolment.id],
            }
            for enrolment, slug, number, label in enrolments
        ],
        "completions": [
            {
                "course": slug,
                "version": _version(number, label),
                "language": completion.language,
                "score": completion.score,
                "time_spent_seconds": completion.time_spent_seconds,
                "started_at": _iso(completion.started_at),
                "completed_at": _iso(completion.completed_at),
                "organisation": organisation_code,
                "branch": branch_name,
                "person_kind": completion.person_kind,
                "certificate_code": completion.certificate_code,
                "verification_url": verification_url(base_url, completion.certificate_code),
            }
            for completion, slug, number, label, organisation_code, branch_name in completions
        ],
    }


def delete_account(session: Session, user: User, password: str) -> None:
    """Delete the person's account: their personal data goes, their records stay anonymous.

    The User row is kept without name, e-mail or password, so that enrolments, answers and
    completions still count once in every aggregate (head counts skip deleted accounts) and
    the branch still places them. Private reflection notes, reset tokens and role grants are
    deleted; every session and remember cookie ends; completions are left untouched.
    Raises WrongCurrentPassword, changing nothing, when `password` is not the account's, and
    LastAdministrator when the account is the platform's only administrator's.
    Audited as account.delete, with no personal data.
    """
    if not _verify(user.password_hash, password):
        raise WrongCurrentPassword
    if user.is_admin:
        _keep_an_administrator(session, user)
    now = utcnow()
    own_enrolments = select(Enrolment.id).where(Enrolment.user_id == user.id)
    notes = session.execute(delete(Reflection).where(Reflection.enrolment_id.in_(own_enrolments)))
    session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    roles_removed = sorted(
        f"{grant.role}:{grant.organisation.code}" if grant.organisation else grant.role
        for grant in user.roles
    )
    user.roles.clear()
    if user.email is not None:
        for invitation in session.scalars(
            select(Invitation).where(Invitation.email == user.email, Invitation.accepted_at.is_not(None))
        ):
            # The column is NOT NULL: a marker that is no address and names nobody replaces it.
            invitation.email = f"deleted-{invitation.id}"
            invitation.name = ""
    user.name = ""
    user.email = None
    user.password_hash = None
    user.last_login_at = None
    user.session_token = new_session_token()
    user.deleted_at = now
    record(
        session,
        "account.delete",
        actor_id=user.id,
        organisation_id=user.organisation_id,
        target=f"user:{user.id}",
        details={"roles_removed": roles_removed, "reflections_deleted": notes.rowcount},
    )
    session.flush()
