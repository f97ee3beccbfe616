"""`flask users create-admin`, `grant` and `revoke`, including their refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from tests.auth.conftest import PASSWORD, user_by_email
from tests.factories import OrganisationFactory, UserFactory


@pytest.fixture
def ifrc(db_session):
    organisation = OrganisationFactory(code="IFRC", kind="ifrc", name_en="IFRC")
    db_session.commit()
    return organisation


@pytest.fixture
def kenya(db_session):
    organisation = OrganisationFactory(code="KEN", name_en="Kenya Red Cross Society")
    db_session.commit()
    return organisation


def _events(session):
    return [
        (e.action, e.details["role"]) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]


def test_create_admin_creates_an_account_in_the_ifrc_that_can_log_in(runner, client, db_session, ifrc):
    result = runner.invoke(
        args=["users", "create-admin", "Admin@Example.org", "--name", "Ada Admin", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert "admin@example.org is now an administrator." in result.output
    admin = user_by_email(db_session, "admin@example.org")
    assert admin.is_admin
    assert admin.organisation_id == ifrc.id
    assert admin.name == "Ada Admin"
    assert _events(db_session) == [("role.grant", "admin")]
    assert client.post("/login", data={"email": "admin@example.org", "password": PASSWORD}).status_code == 302


def test_create_admin_asks_for_the_password_hidden_and_twice(runner, db_session, ifrc):
    result = runner.invoke(
        args=["users", "create-admin", "admin@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "Repeat for confirmation" in result.output
    admin = user_by_email(db_session, "admin@example.org")
    assert admin.is_admin and admin.name == "admin"


def test_create_admin_refuses_a_weak_password(runner, db_session, ifrc):
    result = runner.invoke(args=["users", "create-admin", "admin@example.org", "--password", "short"])
    assert result.exit_code == 1
    assert "The password needs at least 10 characters." in result.output
    result = runner.invoke(
        args=["users", "create-admin", "admin@example.org", "--password", "admin@example.org"]
    )
    assert result.exit_code == 1
    assert "must not be the e-mail address or the name" in result.output
    assert user_by_email(db_session, "admin@example.org") is None


def test_create_admin_with_unknown_organisation_fails(runner, db_session):
    result = runner.invoke(
        args=["users", "create-admin", "admin@example.org", "--password", PASSWORD, "--org", "XYZ"]
    )
    assert result.exit_code == 1
    assert "No organisation has the code XYZ." in result.output


def test_create_admin_grants_admin_to_an_existing_account(runner, db_session, kenya):
    UserFactory(email="amina@example.org", organisation=kenya)
    db_session.commit()
    result = runner.invoke(args=["users", "create-admin", "amina@example.org"])
    assert result.exit_code == 0, result.output
    user = user_by_email(db_session, "amina@example.org")
    assert user.is_admin
    assert user.organisation_id == kenya.id
    again = runner.invoke(args=["users", "create-admin", "amina@example.org"])
    assert again.exit_code == 0
    assert "already an administrator" in again.output
    assert _events(db_session) == [("role.grant", "admin")]


def test_grant_and_revoke_focal_point_of_an_organisation(runner, db_session, kenya):
    UserFactory(email="amina@example.org")
    db_session.commit()
    result = runner.invoke(args=["users", "grant", "amina@example.org", "focal_point", "--org", "ken"])
    assert result.exit_code == 0, result.output
    assert "now has the role focal_point (KEN)" in result.output
    assert user_by_email(db_session, "amina@example.org").focal_point_org_ids() == {kenya.id}
    result = runner.invoke(args=["users", "revoke", "amina@example.org", "focal_point", "--org", "KEN"])
    assert result.exit_code == 0, result.output
    assert user_by_email(db_session, "amina@example.org").focal_point_org_ids() == set()
    events = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.organisation_id) for e in events] == [
        ("role.grant", kenya.id),
        ("role.revoke", kenya.id),
    ]


def test_the_last_administrator_keeps_the_role_until_there_is_another(runner, db_session):
    UserFactory(email="amina@example.org")
    UserFactory(email="omar@example.org")
    db_session.commit()
    assert runner.invoke(args=["users", "grant", "amina@example.org", "admin"]).exit_code == 0
    result = runner.invoke(args=["users", "revoke", "amina@example.org", "admin"])
    assert result.exit_code == 1
    assert "This is the only administrator: grant the admin role to someone else first." in result.output
    assert user_by_email(db_session, "amina@example.org").is_admin
    assert runner.invoke(args=["users", "grant", "omar@example.org", "admin"]).exit_code == 0
    result = runner.invoke(args=["users", "revoke", "amina@example.org", "admin"])
    assert result.exit_code == 0, result.output
    assert not user_by_email(db_session, "amina@example.org").is_admin


def test_grant_author(runner, db_session):
    UserFactory(email="amina@example.org")
    db_session.commit()
    assert runner.invoke(args=["users", "grant", "amina@example.org", "author"]).exit_code == 0
    assert user_by_email(db_session, "amina@example.org").is_author


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grant", "nobody@example.org", "author"], "No account has the e-mail address nobody@example.org."),
        (
            ["grant", "amina@example.org", "superuser"],
            "Unknown role superuser; the roles are: focal_point, author, admin.",
        ),
        (
            ["grant", "amina@example.org", "focal_point"],
            "A focal point needs an organisation: add --org CODE.",
        ),
        (["grant", "amina@example.org", "focal_point", "--org", "XYZ"], "No organisation has the code XYZ."),
        (
            ["grant", "amina@example.org", "admin", "--org", "KEN"],
            "The admin role is Movement-wide: leave out --org.",
        ),
        (["revoke", "amina@example.org", "author"], "This person does not hold the author role there."),
        (["revoke", "nobody@example.org", "author"], "No account has the e-mail address nobody@example.org."),
        (["revoke", "amina@example.org", "focal_point"], "A focal point needs an organisation"),
    ],
)
def test_bad_grant_or_revoke_exits_1_with_a_clear_message(runner, db_session, kenya, args, message):
    UserFactory(email="amina@example.org")
    db_session.commit()
    result = runner.invoke(args=["users", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert _events(db_session) == []
