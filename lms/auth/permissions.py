"""Who may see and manage which organisation: the one place every scoped query asks."""

from __future__ import annotations

from lms.auth.models import User


def visible_organisation_ids(user: User) -> set[int] | None:
    """Organisations whose people and figures `user` may see: None means the whole Movement.

    An administrator sees every organisation; a focal point sees the organisations they are
    focal point of; anyone else sees none (an empty set).
    """
    if user.is_admin:
        return None
    return user.focal_point_org_ids()


def can_manage_organisation(user: User, organisation_id: int) -> bool:
    """True for an administrator, or a focal point of that organisation."""
    visible = visible_organisation_ids(user)
    return visible is None or organisation_id in visible
