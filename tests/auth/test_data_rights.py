"""Data rights: a learner downloads everything stored about them and deletes their account."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask_login import COOKIE_NAME
from sqlalchemy import event, func, select

from lms.audit.models import AuditEvent
from lms.auth import services
from lms.auth.models import Invitation, PasswordResetToken, RoleGrant, User
from lms.db import utcnow
from lms.learning.models import Answer, Completion, Enrolment, LessonProgress, Reflection
from lms.learning.services import new_certificate_code
from tests.auth.conftest import PASSWORD, registration_form, user_by_email
from tests.factories import (
    BranchFactory,
    CourseVersionFactory,
    OrganisationFactory,
    RoleGrantFactory,
    UserFactory,
)

AMINA = "amina@example.org"
STARTED = utcnow().replace(microsecond=0) - timedelta(days=3)


@dataclass
class Record:
    """What one learner did in one course version."""

    enrolment: Enrolment
    reflection: Reflection
    completion: Completion


def _learn(session, user: User, version, tag: str) -> Record:
    """An enrolment with two lessons viewed, two answers, a reflection and a completion."""
    enrolment = Enrolment(
        user_id=user.id,
        course_id=version.course_id,
        course_version_id=version.id,
        language="en",
        started_at=STARTED,
        last_lesson_id="lesson-two",
        last_activity_at=STARTED + timedelta(minutes=30),
        time_spent_seconds=1500,
        completed_at=STARTED + timedelta(minutes=30),
    )
    session.add(enrolment)
    session.flush()
    where = {
        "course_id": version.course_id,
        "course_version_id": version.id,
        "organisation_id": user.organisation_id,
        "branch_id": user.branch_id,
        "person_kind": user.person_kind,
    }
    session.add_all(
        [
            LessonProgress(enrolment_id=enrolment.id, lesson_id="lesson-one", first_viewed_at=STARTED),
            LessonProgress(enrolment_id=enrolment.id, lesson_id="lesson-two", first_viewed_at=STARTED),
            Answer(
                enrolment_id=enrolment.id,
                **where,
                block_id="check-one",
                question_id="q-listen",
                attempt=1,
                selected=["advise"],
                correct=False,
                submission_id=f"{tag}-first-attempt",
                answered_at=STARTED + timedelta(minutes=10),
            ),
            Answer(
                enrolment_id=enrolment.id,
                **where,
                block_id="check-one",
                question_id="q-listen",
                attempt=2,
                selected=["listen"],
                correct=True,
                submission_id=f"{tag}-second-attempt",
                answered_at=STARTED + timedelta(minutes=20),
            ),
        ]
    )
    reflection = Reflection(enrolment_id=enrolment.id, block_id="first-thoughts", text=f"Private note {tag}")
    completion = Completion(
        user_id=user.id,
        course_id=version.course_id,
        course_version_id=version.id,
        organisation_id=user.organisation_id,
        branch_id=user.branch_id,
        person_kind=user.person_kind,
        language="en",
        score=90,
        time_spent_seconds=1500,
        started_at=STARTED,
        completed_at=STARTED + timedelta(minutes=30),
        certificate_code=new_certificate_code(),
    )
    session.add_all([reflection, completion])
    session.flush()
    return Record(enrolment, reflection, completion)


@pytest.fixture
def versions(db_session):
    return [
        CourseVersionFactory(course__slug="listening-basics", label="1.2"),
        CourseVersionFactory(course__slug="caring-for-yourself", number=3, label="3.0"),
    ]


@pytest.fixture
def amina(db_session, org, branch, versions):
    user = UserFactory(email=AMINA, name="Amina Njoroge", password=PASSWORD, organisation=org, branch=branch)
    user.consented_at = STARTED
    RoleGrantFactory(user=user, role="focal_point", organisation=org)
    _learn(db_session, user, versions[0], "amina")
    db_session.commit()
    return user


@pytest.fixture
def other(db_session, org, versions):
    user = UserFactory(email="omar@example.org", name="Omar Haddad", organisation=org)
    for version in versions:
        _learn(db_session, user, version, f"omar-{version.id}")
    db_session.commit()
    return user


def _login(client, remember=False):
    data = {"email": AMINA, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.status_code
    return response


def _delete(client, password=PASSWORD, confirm=True):
    data = {"password": password}
    if confirm:
        data["confirm"] = "y"
    return client.post("/account/delete", data=data)


def _own_reflections(db_session, user_id: int) -> int:
    return db_session.scalar(
        select(func.count())
        .select_from(Reflection)
        .join(Enrolment, Enrolment.id == Reflection.enrolment_id)
        .where(Enrolment.user_id == user_id)
    )


# --- the export ------------------------------------------------------------------------------


def test_export_holds_all_of_the_persons_data_and_nothing_of_anyone_else(db_session, amina, other, branch):
    data = services.export_user_data(db_session, amina, "https://learn.example.org/")

    profile = data["profile"]
    assert profile["name"] == "Amina Njoroge"
    assert profile["email"] == AMINA
    assert profile["organisation"] == {"code": "KEN", "name": "Kenya Red Cross Society"}
    assert profile["branch"] == "Nairobi"
    assert profile["person_kind"] == "volunteer"
    assert profile["language"] == "en"
    assert profile["consented_at"] == STARTED.isoformat()
    assert profile["created_at"]
    assert data["roles"] == [
        {"role": "focal_point", "organisation": "KEN", "granted_at": data["roles"][0]["granted_at"]}
    ]

    [enrolment] = data["enrolments"]
    assert enrolment["course"] == "listening-basics"
    assert enrolment["version"] == {"number": 1, "label": "1.2"}
    assert enrolment["language"] == "en"
    assert enrolment["started_at"] == STARTED.isoformat()
    assert enrolment["last_lesson"] == "lesson-two"
    assert enrolment["time_spent_seconds"] == 1500
    assert enrolment["completed_at"] == (STARTED + timedelta(minutes=30)).isoformat()
    assert [lesson["lesson"] for lesson in enrolment["lessons"]] == ["lesson-one", "lesson-two"]
    assert [(a["question"], a["attempt"], a["selected"], a["correct"]) for a in enrolment["answers"]] == [
        ("q-listen", 1, ["advise"], False),
        ("q-listen", 2, ["listen"], True),
    ]
    assert all(answer["block"] == "check-one" and answer["answered_at"] for answer in enrolment["answers"])
    assert {(a["organisation"], a["branch"], a["person_kind"]) for a in enrolment["answers"]} == {
        ("KEN", "Nairobi", "volunteer")
    }
    assert [(r["block"], r["text"]) for r in enrolment["reflections"]] == [
        ("first-thoughts", "Private note amina")
    ]

    code = db_session.scalar(select(Completion.certificate_code).where(Completion.user_id == amina.id))
    [completion] = data["completions"]
    assert completion["course"] == "listening-basics"
    assert completion["version"] == {"number": 1, "label": "1.2"}
    assert completion["score"] == 90
    assert completion["completed_at"] == (STARTED + timedelta(minutes=30)).isoformat()
    assert completion["organisation"] == "KEN"
    assert completion["branch"] == "Nairobi"
    assert completion["certificate_code"] == code
    assert completion["verification_url"] == f"https://learn.example.org/verify/{code}"

    text = json.dumps(data)
    others_codes = db_session.scalars(
        select(Completion.certificate_code).where(Completion.user_id == other.id)
    )
    for foreign in ("Omar", "omar@example.org", "Private note omar", "caring-for-yourself", *others_codes):
        assert foreign not in text


def _queries_to_export(db_session, user_id: int) -> int:
    db_session.expire_all()
    user = db_session.get(User, user_id)
    statements: list[str] = []
    connection = db_session.connection()

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        services.export_user_data(db_session, user, "http://localhost")
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return len(statements)


def test_export_query_count_does_not_grow_with_the_number_of_rows(db_session, org, versions):
    few = UserFactory(organisation=org)
    _learn(db_session, few, versions[0], "few")
    many = UserFactory(organisation=org, branch=BranchFactory(organisation=org))
    RoleGrantFactory(user=many, role="author")
    RoleGrantFactory(user=many, role="focal_point", organisation=org)
    RoleGrantFactory(user=many, role="focal_point", organisation=OrganisationFactory())
    for index, version in enumerate([*versions, CourseVersionFactory(), CourseVersionFactory()]):
        _learn(db_session, many, version, f"many-{index}")
    db_session.flush()

    assert _queries_to_export(db_session, few.id) == _queries_to_export(db_session, many.id) == 6
    assert len(services.export_user_data(db_session, many, "http://localhost")["enrolments"]) == 4


def test_data_page_explains_what_is_stored_and_offers_download_and_deletion(client, amina):
    _login(client)
    page = client.get("/account/data").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert 'href="/privacy"' in page
    assert 'href="/account/data.json"' in page
    assert 'action="/account/delete#delete"' in page
    assert 'autocomplete="current-password"' in page
    assert 'href="/account/data"' in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize(("method", "path"), [("get", "/account/data"), ("get", "/account/data.json")])
def test_data_pages_need_login(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_delete_needs_login(client, amina, db_session):
    assert client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"}).status_code == 302
    assert user_by_email(db_session, AMINA) is not None


def test_download_is_a_json_attachment_of_the_logged_in_persons_data(client, amina, other):
    _login(client)
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="pss-learning-data-\d{4}-\d{2}-\d{2}\.json"', disposition)
    assert utcnow().date().isoformat() in disposition
    assert "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == AMINA
    assert [e["course"] for e in data["enrolments"]] == ["listening-basics"]
    assert data["completions"][0]["verification_url"].startswith("http://localhost/verify/")
    assert "Omar" not in response.get_data(as_text=True)


# --- deleting the account --------------------------------------------------------------------


def test_delete_with_a_wrong_password_changes_nothing(client, db_session, amina):
    _login(client)
    response = _delete(client, password="not my password at all")
    assert response.status_code == 422
    assert "This is not your password. Your account has not been deleted." in response.get_data(as_text=True)
    user = user_by_email(db_session, AMINA)
    assert (user.name, user.deleted_at, user.password_hash is not None) == ("Amina Njoroge", None, True)
    assert _own_reflections(db_session, user.id) == 1
    assert len(user.roles) == 1
    assert client.get("/account").status_code == 200


def test_the_only_administrator_cannot_delete_their_account_until_there_is_another(
    client, db_session, amina, other
):
    RoleGrantFactory(user=amina, role="admin")
    db_session.commit()
    _login(client)
    response = _delete(client)
    assert response.status_code == 422
    assert "You are the only administrator" in response.get_data(as_text=True)
    assert user_by_email(db_session, AMINA).deleted_at is None
    assert client.get("/account").status_code == 200
    RoleGrantFactory(user=other, role="admin")
    db_session.commit()
    assert _delete(client).status_code == 302
    db_session.expire_all()
    assert db_session.get(User, amina.id).deleted_at is not None


def test_delete_without_the_confirmation_box_changes_nothing(client, db_session, amina):
    _login(client)
    response = _delete(client, confirm=False)
    assert response.status_code == 422
    assert "Tick the box to confirm" in response.get_data(as_text=True)
    assert user_by_email(db_session, AMINA).deleted_at is None


def test_delete_without_csrf_token_is_refused(client, db_session, amina, monkeypatch):
    _login(client)
    monkeypatch.setitem(client.application.config, "WTF_CSRF_ENABLED", True)
    assert _delete(client).status_code == 400
    assert user_by_email(db_session, AMINA).deleted_at is None


def test_service_refuses_a_wrong_password_and_changes_nothing(db_session, amina):
    with pytest.raises(services.WrongCurrentPassword):
        services.delete_account(db_session, amina, "not my password at all")
    assert amina.email == AMINA
    assert (
        db_session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "account.delete")
        )
        == 0
    )


def test_delete_removes_personal_data_and_keeps_the_anonymous_records(app, client, db_session, amina, other):
    user_id, branch_id, organisation_id = amina.id, amina.branch_id, amina.organisation_id
    old_token = amina.session_token
    db_session.add(
        PasswordResetToken(user_id=user_id, token_hash="a" * 64, expires_at=utcnow() + timedelta(hours=1))
    )
    db_session.commit()
    before = db_session.execute(select(Completion.__table__).where(Completion.user_id == user_id)).one()
    other_device = app.test_client()
    _login(other_device, remember=True)
    remembered = other_device.get_cookie(COOKIE_NAME).value
    _login(client)

    response = _delete(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Your account has been deleted." in client.get("/").get_data(as_text=True)

    user = db_session.get(User, user_id)
    assert user.name == ""
    assert user.email is None
    assert user.password_hash is None
    assert user.deleted_at is not None
    assert user.session_token != old_token
    assert (user.branch_id, user.organisation_id, user.person_kind) == (
        branch_id,
        organisation_id,
        "volunteer",
    )
    assert _own_reflections(db_session, user_id) == 0
    assert _own_reflections(db_session, other.id) == 2
    assert (
        db_session.scalar(
            select(func.count()).select_from(PasswordResetToken).where(PasswordResetToken.user_id == user_id)
        )
        == 0
    )
    assert db_session.scalars(select(RoleGrant).where(RoleGrant.user_id == user_id)).all() == []
    # The learning records stay, pointing at the anonymous account, so aggregates do not change.
    assert (
        db_session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.user_id == user_id))
        == 1
    )
    answers = select(func.count()).select_from(Answer).join(Enrolment).where(Enrolment.user_id == user_id)
    assert db_session.scalar(answers) == 2
    after = db_session.execute(select(Completion.__table__).where(Completion.user_id == user_id)).one()
    assert after == before

    [audit] = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "account.delete")).all()
    assert (audit.actor_id, audit.organisation_id, audit.target) == (
        user_id,
        organisation_id,
        f"user:{user_id}",
    )
    assert audit.details == {"roles_removed": ["focal_point:KEN"], "reflections_deleted": 1}
    recorded = json.dumps(audit.details) + audit.target
    for personal in ("Amina", "amina", "Njoroge", "Nairobi", "Private note"):
        assert personal not in recorded

    # Every session ends: this one, the other device's, and its remember cookie.
    assert client.get("/account").status_code == 302
    assert other_device.get("/account").status_code == 302
    third = app.test_client()
    third.set_cookie(COOKIE_NAME, remembered)
    assert third.get("/account").status_code == 302
    assert client.post("/login", data={"email": AMINA, "password": PASSWORD}).status_code == 422


def test_the_email_of_a_deleted_account_can_register_again(client, db_session, org, amina):
    _login(client)
    assert _delete(client).status_code == 302
    response = client.post("/register", data=registration_form(org, email=AMINA, name="Amina N."))
    assert response.status_code == 302
    again = user_by_email(db_session, AMINA)
    assert again.id != amina.id
    assert again.name == "Amina N."
    assert (
        db_session.scalar(select(func.count()).select_from(Completion).where(Completion.user_id == again.id))
        == 0
    )


def test_delete_clears_the_persons_accepted_invitations_but_no_one_elses(db_session, org, amina):
    def invitation(email, accepted):
        return Invitation(
            organisation_id=org.id,
            email=email,
            name="Invited Person",
            person_kind="volunteer",
            token_hash=services.hash_token(f"{email}{accepted}"),
            expires_at=utcnow() + timedelta(days=1),
            accepted_at=utcnow() if accepted else None,
        )

    mine, someone_elses = invitation(AMINA, True), invitation("omar@example.org", True)
    db_session.add_all([mine, someone_elses])
    db_session.flush()

    services.delete_account(db_session, amina, PASSWORD)

    assert (mine.email, mine.name) == (f"deleted-{mine.id}", "")
    assert (someone_elses.email, someone_elses.name) == ("omar@example.org", "Invited Person")


def test_a_deleted_accounts_certificate_is_not_found(client, db_session, amina):
    code = db_session.scalar(select(Completion.certificate_code).where(Completion.user_id == amina.id))
    assert client.get(f"/verify/{code}").status_code == 200
    _login(client)
    assert _delete(client).status_code == 302
    response = client.get(f"/verify/{code}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "No certificate found" in page
    assert "Amina" not in page
