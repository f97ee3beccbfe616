"""Who may see which report: the scope of the acting person, checked before any figure is read."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.auth.permissions import visible_organisation_ids
from lms.errors import NotFound, PermissionDenied
from lms.orgs.models import Branch, Organisation
from lms.orgs.services import get_organisation_by_code
from lms.reports.queries import Scope


def report_scope(user: User) -> Scope:
    """The organisations whose reports `user` may see: None for the whole Movement.

    Raises PermissionDenied for anyone who may see none (learners, authors).
    """
    visible = visible_organisation_ids(user)
    if visible is None:
        return None
    if not visible:
        raise PermissionDenied()
    return frozenset(visible)


def require_movement(scope: Scope) -> None:
    """Cross-Society views are for administrators only (scope None)."""
    if scope is not None:
        raise PermissionDenied()


def organisation_in_scope(session: Session, scope: Scope, code: str) -> Organisation:
    """The organisation named by `code`, if `scope` includes it.

    Raises NotFound for an unknown code and PermissionDenied for another Society's.
    """
    organisation = get_organisation_by_code(session, code)
    if organisation is None:
        raise NotFound()
    if scope is not None and organisation.id not in scope:
        raise PermissionDenied()
    return organisation


def organisations_in_scope(session: Session, scope: Scope) -> list[Organisation]:
    """The organisations a focal point may report on, by English name (their report index)."""
    if scope is None:
        return []
    return list(
        session.scalars(
            select(Organisation).where(Organisation.id.in_(sorted(scope))).order_by(Organisation.name_en)
        )
    )


def organisation_branches(session: Session, organisation_id: int) -> list[Branch]:
    """Every branch of the organisation, active or not: past completions may name either."""
    return list(
        session.scalars(select(Branch).where(Branch.organisation_id == organisation_id).order_by(Branch.name))
    )
