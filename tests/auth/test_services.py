"""Account services, called directly: password rules and hashing, registration, reset tokens, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.auth import services
from lms.auth.models import Invitation, PasswordResetToken
from lms.db import utcnow
from tests.auth.conftest import PASSWORD
from tests.factories import BranchFactory, OrganisationFactory, UserFactory


def _registration(org, **changes) -> services.Registration:
    values = {
        "name": "Amina Njoroge",
        "email": " Amina@Example.org",
        "password": PASSWORD,
        "organisation_id": org.id,
        "branch_id": None,
        "person_kind": "staff",
        "locale": "fr",
    }
    values.update(changes)
    return services.Registration(**values)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("123456789", services.PasswordTooShort),
        ("", services.PasswordTooShort),
        ("amina@example.org", services.PasswordIsIdentity),
        ("  AMINA@example.ORG ", services.PasswordIsIdentity),
        (" amina njoroge", services.PasswordIsIdentity),
    ],
)
def test_password_rules_refuse_short_passwords_and_the_persons_identity(password, problem):
    with pytest.raises(problem):
        services.check_password_rules(password, email="amina@example.org", name="Amina Njoroge")


def test_password_rules_accept_ten_characters_that_are_not_the_identity():
    services.check_password_rules("0123456789", email="amina@example.org", name="Amina Njoroge")


def test_passwords_are_hashed_with_argon2id():
    hashed = services.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed


def test_hash_token_is_hex_sha256():
    assert services.hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_register_stores_normalised_email_consent_and_a_long_session_token(db_session):
    org = OrganisationFactory()
    user = services.register(db_session, _registration(org))
    assert user.email == "amina@example.org"
    assert user.consented_at is not None
    assert len(user.session_token) == 64
    assert user.locale == "fr"
    assert user.password_hash.startswith("$argon2id$")


def test_register_refuses_an_address_in_use_whatever_its_case(db_session):
    org = OrganisationFactory()
    UserFactory(email="amina@example.org")
    with pytest.raises(services.EmailTaken):
        services.register(db_session, _registration(org, email="AMINA@example.org"))


def test_register_refuses_an_inactive_organisation(db_session):
    org = OrganisationFactory(active=False)
    with pytest.raises(services.OrganisationUnavailable):
        services.register(db_session, _registration(org))


def test_register_refuses_a_branch_of_another_or_an_inactive_branch(db_session):
    org = OrganisationFactory()
    foreign = BranchFactory()
    closed = BranchFactory(organisation=org, active=False)
    for branch in (foreign, closed):
        with pytest.raises(services.BranchNotInOrganisation):
            services.register(db_session, _registration(org, branch_id=branch.id))


def test_register_accepts_the_invitation_it_came_with(db_session):
    org = OrganisationFactory()
    invitation = Invitation(
        organisation=org,
        email="amina@example.org",
        name="Amina",
        person_kind="staff",
        token_hash=services.hash_token("tok"),
        expires_at=utcnow() + timedelta(days=1),
    )
    db_session.add(invitation)
    db_session.flush()
    assert services.find_invitation(db_session, "tok") is invitation
    services.register(db_session, _registration(org), invitation)
    assert invitation.accepted_at is not None
    assert services.find_invitation(db_session, "tok") is None


def test_expired_invitation_is_not_found(db_session):
    db_session.add(
        Invitation(
            organisation=OrganisationFactory(),
            email="amina@example.org",
            name="Amina",
            person_kind="staff",
            token_hash=services.hash_token("old"),
            expires_at=utcnow() - timedelta(seconds=1),
        )
    )
    db_session.flush()
    assert services.find_invitation(db_session, "old") is None
    assert services.find_invitation(db_session, "unknown") is None


def test_authenticate_refuses_wrong_password_and_unknown_address_alike(db_session):
    UserFactory(email="amina@example.org", password=PASSWORD)
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(db_session, "amina@example.org", "not the password")
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(db_session, "nobody@example.org", PASSWORD)


def test_authenticate_updates_last_login_and_rehashes_old_parameters(db_session):
    user = UserFactory(email="amina@example.org", password=PASSWORD)
    cheap_hash = user.password_hash
    assert services.PASSWORD_HASHER.check_needs_rehash(cheap_hash)
    assert services.authenticate(db_session, " Amina@example.org", PASSWORD) is user
    assert user.last_login_at is not None
    assert user.password_hash != cheap_hash
    assert not services.PASSWORD_HASHER.check_needs_rehash(user.password_hash)


def test_authenticate_keeps_a_hash_with_current_parameters(db_session):
    user = UserFactory(email="amina@example.org", password_hash=services.hash_password(PASSWORD))
    current_hash = user.password_hash
    services.authenticate(db_session, "amina@example.org", PASSWORD)
    assert user.password_hash == current_hash


def test_an_unknown_address_still_costs_a_hash_verification(db_session, monkeypatch):
    verified = []
    real_verify = PasswordHasher.verify
    monkeypatch.setattr(
        PasswordHasher, "verify", lambda self, h, p: verified.append(h) or real_verify(self, h, p)
    )
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(db_session, "nobody@example.org", PASSWORD)
    assert len(verified) == 1
    assert verified[0].startswith("$argon2id$")


def test_change_password_needs_the_current_one_and_rotates_the_session_token(db_session):
    user = UserFactory(password=PASSWORD)
    token = user.session_token
    with pytest.raises(services.WrongCurrentPassword):
        services.change_password(db_session, user, "wrong password", "another good password")
    assert user.session_token == token
    services.change_password(db_session, user, PASSWORD, "another good password")
    assert user.session_token != token
    assert services.authenticate(db_session, user.email, "another good password") is user


def _reset_row(session, token):
    return session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == services.hash_token(token))
    )


def test_reset_request_stores_only_the_hash_with_an_expiry(db_session):
    user = UserFactory()
    assert services.request_password_reset(db_session, "nobody@example.org", 3600) is None
    found_user, token = services.request_password_reset(db_session, user.email.upper(), 3600)
    assert found_user is user
    row = _reset_row(db_session, token)
    assert row.token_hash != token
    assert timedelta(minutes=59) < row.expires_at - utcnow() <= timedelta(hours=1)


def test_reset_token_works_once_and_ends_the_other_tokens(db_session):
    user = UserFactory(password=PASSWORD)
    _, first = services.request_password_reset(db_session, user.email, 3600)
    _, second = services.request_password_reset(db_session, user.email, 3600)
    session_token = user.session_token
    services.reset_password(db_session, first, "a brand new password")
    assert user.session_token != session_token
    with pytest.raises(services.InvalidResetToken):
        services.reset_password(db_session, first, "yet another password")
    with pytest.raises(services.InvalidResetToken):
        services.reset_password(db_session, second, "yet another password")
    db_session.expire_all()
    assert _reset_row(db_session, second).used_at is not None


def test_refused_new_password_leaves_the_reset_token_usable(db_session):
    user = UserFactory()
    _, token = services.request_password_reset(db_session, user.email, 3600)
    with pytest.raises(services.PasswordTooShort):
        services.reset_password(db_session, token, "short")
    assert _reset_row(db_session, token).used_at is None
    services.reset_password(db_session, token, "a long enough password")


def test_expired_reset_token_is_refused(db_session):
    user = UserFactory()
    _, token = services.request_password_reset(db_session, user.email, 3600)
    _reset_row(db_session, token).expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    with pytest.raises(services.InvalidResetToken):
        services.reset_password(db_session, token, "a brand new password")


def test_active_organisations_are_sorted_by_their_name_in_the_language(db_session):
    OrganisationFactory(name_en="Zambia Red Cross", name_fr="Croix-Rouge zambienne")
    OrganisationFactory(name_en="Ecuadorian Red Cross", name_fr="Équateur, Croix-Rouge")
    OrganisationFactory(name_en="Albanian Red Cross", name_fr="Albanie", active=False)
    assert [o.name_en for o in services.active_organisations(db_session, "en")] == [
        "Ecuadorian Red Cross",
        "Zambia Red Cross",
    ]
    assert [o.name("fr") for o in services.active_organisations(db_session, "fr")] == [
        "Croix-Rouge zambienne",
        "Équateur, Croix-Rouge",
    ]


def test_grant_and_revoke_are_audited(db_session):
    user = UserFactory()
    org = OrganisationFactory()
    assert services.grant_role(db_session, user, "focal_point", org, actor=None)
    assert not services.grant_role(db_session, user, "focal_point", org, actor=None)
    assert user.focal_point_org_ids() == {org.id}
    services.revoke_role(db_session, user, "focal_point", org, actor=None)
    assert user.focal_point_org_ids() == set()
    events = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.organisation_id, e.target, e.details) for e in events] == [
        ("role.grant", org.id, f"user:{user.id}", {"role": "focal_point"}),
        ("role.revoke", org.id, f"user:{user.id}", {"role": "focal_point"}),
    ]


def test_role_rules(db_session):
    user = UserFactory()
    org = OrganisationFactory()
    with pytest.raises(services.UnknownRole):
        services.grant_role(db_session, user, "superuser", None, actor=None)
    with pytest.raises(services.RoleNeedsOrganisation):
        services.grant_role(db_session, user, "focal_point", None, actor=None)
    with pytest.raises(services.RoleTakesNoOrganisation):
        services.grant_role(db_session, user, "admin", org, actor=None)
    with pytest.raises(services.RoleNotHeld):
        services.revoke_role(db_session, user, "author", None, actor=None)
