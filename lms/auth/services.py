"""Accounts: loading the logged-in user."""

from __future__ import annotations

from sqlalchemy import select

from lms import db
from lms.auth.models import User


def load_user_from_session_id(session_id: str) -> User | None:
    """flask-login loader: the id is `user_id:session_token`, so a rotated token ends the session."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.scalar(select(User).where(User.id == int(user_id)))
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user
