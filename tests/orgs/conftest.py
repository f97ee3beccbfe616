"""Fixtures of the organisations tests: two Societies and one person in each role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.orgs.models import Organisation
from tests.factories import BranchFactory, OrganisationFactory, RoleGrantFactory, UserFactory


def log_in(client: FlaskClient, user: User | None) -> None:
    """Log `user` in through the flask-login session (None: stay anonymous)."""
    if user is None:
        return
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@dataclass
class People:
    org_a: Organisation
    org_b: Organisation
    learner: User
    focal_a: User
    focal_b: User
    author: User
    admin: User
    branch_a_id: int

    def by_role(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def people(db_session: Session) -> People:
    """Organisations A and B, a learner of A, focal points of A and of B, an author and an admin.

    Committed (to the test's savepoint) so that requests, which close the session, keep them.
    """
    org_a = OrganisationFactory(code="AAA", name_en="Alpha Red Cross")
    org_b = OrganisationFactory(code="BBB", name_en="Beta Red Crescent", region="Africa")
    north = BranchFactory(organisation=org_a, name="North")
    people = People(
        org_a=org_a,
        org_b=org_b,
        learner=UserFactory(organisation=org_a, name="Lena Learner"),
        focal_a=RoleGrantFactory(role="focal_point", organisation=org_a, user__organisation=org_a).user,
        focal_b=RoleGrantFactory(role="focal_point", organisation=org_b, user__organisation=org_b).user,
        author=RoleGrantFactory(role="author", user__organisation=org_a).user,
        admin=RoleGrantFactory(role="admin", user__organisation=org_b, user__name="Ada Admin").user,
        branch_a_id=north.id,
    )
    db_session.commit()
    return people
