"""Inviting people from a CSV file: every row checked, all or nothing, one e-mail each."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.auth.models import Invitation
from lms.auth.services import hash_token
from lms.reports.invitations import InvitationFileRejected, read_invitation_file
from tests.factories import BranchFactory
from tests.reports.conftest import focal_point_of, login

HEADER = "name,email,branch,staff_or_volunteer,language\n"


def problems_of(population, text: str | bytes) -> list[tuple[int | None, str]]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(InvitationFileRejected) as rejected:
        read_invitation_file(population.session, population.a, data)
    return [(problem.line, str(problem.message)) for problem in rejected.value.problems]


def test_a_good_file_gives_one_invitee_per_line(app, population):
    text = (
        HEADER + "Ana Lima,Ana.Lima@Example.org,north,Volunteer,FR\n\nOmar Ali,omar@example.org,,staff,ar\n"
    )
    with app.test_request_context():
        invitees = read_invitation_file(population.session, population.a, ("\ufeff" + text).encode())
    assert [(i.line, i.name, i.email, i.branch_id, i.person_kind, i.locale) for i in invitees] == [
        (2, "Ana Lima", "ana.lima@example.org", population.branches["north"].id, "volunteer", "fr"),
        (4, "Omar Ali", "omar@example.org", None, "staff", "ar"),
    ]


def test_every_bad_row_is_named_with_its_line_number(app, population):
    BranchFactory(organisation=population.a, name="Closed", active=False)
    text = HEADER + "\n".join(
        [
            "Good Person,good@example.org,North,staff,en",  # line 2
            ",noname@example.org,North,staff,en",  # 3
            "Bad Mail,not-an-address,North,staff,en",  # 4
            "Twice,good@example.org,North,staff,en",  # 5
            "Registered,u1@a.example,North,staff,en",  # 6
            "Elsewhere,east@example.org,East,staff,en",  # 7: a branch of the other Society
            "Closed Branch,closed@example.org,Closed,staff,en",  # 8
            "Odd Kind,kind@example.org,,member,en",  # 9
            "Odd Language,lang@example.org,,staff,de",  # 10
            "Too Many,many@example.org,,staff,en,extra",  # 11
            "No Kind,nokind@example.org,,,en",  # 12
        ]
    )
    with app.test_request_context():
        problems = problems_of(population, text)
    assert problems == [
        (3, "The name is missing."),
        (4, "“not-an-address” is not a valid e-mail address."),
        (5, "good@example.org is already on line 2."),
        (6, "u1@a.example already has an account."),
        (7, "“East” is not an active branch of this organisation."),
        (8, "“Closed” is not an active branch of this organisation."),
        (9, "staff_or_volunteer must be “staff” or “volunteer”, not “member”."),
        (10, "language must be one of en, fr, es, ar, not “de”."),
        (11, "This line has more values than there are columns (a comma in a name?)."),
        (12, "staff_or_volunteer is missing: write “staff” or “volunteer”."),
    ]


def test_a_quoted_value_over_several_lines_keeps_the_line_numbers_right(app, population):
    text = HEADER + '"Long\nName",long@example.org,,staff,en\nBad,bad,,staff,en\n'
    with app.test_request_context():
        assert problems_of(population, text) == [(4, "“bad” is not a valid e-mail address.")]


NUL_LINE = (
    "This line contains a NUL character (an invisible control character) that cannot be stored. "
    "Remove it, save the file as “CSV UTF-8” and upload it again."
)


def test_a_nul_character_is_refused_on_its_line_without_echoing_the_line(app, population):
    # PostgreSQL cannot store a NUL in text; SQLite would. Refused alike, wherever it hides.
    text = HEADER + "\n".join(
        [
            "Good Person,good@example.org,North,staff,en",  # line 2
            "Nul\x00Name,nul@example.org,North,staff,en",  # 3
            "Nul Mail,nul\x00@example.org,,staff,en",  # 4
            "Extra,extra@example.org,,staff,en,\x00",  # 5: even in a cell past the columns
            "Bad Mail,not-an-address,,staff,en",  # 6
        ]
    )
    with app.test_request_context():
        problems = problems_of(population, text)
    assert problems == [
        (3, NUL_LINE),
        (4, NUL_LINE),
        (5, NUL_LINE),
        (6, "“not-an-address” is not a valid e-mail address."),
    ]


def test_a_nul_character_in_the_first_line_is_refused(app, population):
    with app.test_request_context():
        assert problems_of(population, "name\x00," + HEADER[5:] + "Ana,ana@example.org,,staff,en\n") == [
            (1, NUL_LINE)
        ]


COLUMNS = "name, email, branch, staff_or_volunteer, language"
MUST_NAME = f"The first line must name the columns {COLUMNS}."
MANY = HEADER + "".join(f"P{i},p{i}@example.org,,staff,en\n" for i in range(2001))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            (HEADER + "José,jose@example.org,,staff,es\n").encode("latin-1"),
            [(None, "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")],
        ),
        (b"Ana,ana@example.org,,staff,en\n", [(1, f"{MUST_NAME} Missing: {COLUMNS}.")]),
        (b"name,email,staff_or_volunteer\n", [(1, f"{MUST_NAME} Missing: branch, language.")]),
        (b"", [(1, f"The file is empty. Its first line must name the columns: {COLUMNS}.")]),
        (HEADER.encode(), [(None, "The file has no one to invite below its first line.")]),
        (MANY.encode(), [(None, "The file lists more than 2000 people. Split it into smaller files.")]),
    ],
    ids=["not-utf8", "no-header", "missing-columns", "empty", "no-rows", "too-many-rows"],
)
def test_a_bad_file_is_refused_as_a_whole(app, population, data, expected):
    with app.test_request_context():
        assert problems_of(population, data) == expected


def upload(client, text: str | bytes, code: str = "AAA"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/reports/org/{code}/invitations",
        data={"file": (io.BytesIO(data), "people.csv")},
        content_type="multipart/form-data",
    )


def invitations(session):
    session.expire_all()
    return list(session.scalars(select(Invitation).order_by(Invitation.id)))


def sent_mails(caplog):
    return [record.args[0] for record in caplog.records if record.name == "lms.mail"]


def test_upload_with_a_bad_row_imports_nothing_and_names_the_row(client, population, caplog):
    caplog.set_level(logging.INFO, logger="lms.mail")
    login(client, focal_point_of(population.a))
    response = upload(
        client, HEADER + "Ana,ana@example.org,North,staff,en\nBen,ben@example.org,Nowhere,staff,en\n"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "Line 3: “Nowhere” is not an active branch of this organisation." in page
    assert invitations(population.session) == []
    assert sent_mails(caplog) == []


def test_good_upload_creates_invitations_and_mails_each_person_their_link(client, population, caplog):
    caplog.set_level(logging.INFO, logger="lms.mail")
    focal = focal_point_of(population.a, name="Fiona Focal")
    login(client, focal)
    response = upload(
        client, HEADER + "Ana Lima,ana@example.org,North,volunteer,en\nBruno Sá,bruno@example.org,,staff,fr\n"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/reports/org/AAA/invitations"

    rows = invitations(population.session)
    assert [
        (i.name, i.email, i.branch_id, i.person_kind, i.locale, i.organisation_id, i.invited_by_id)
        for i in rows
    ] == [
        (
            "Ana Lima",
            "ana@example.org",
            population.branches["north"].id,
            "volunteer",
            "en",
            population.a.id,
            focal.id,
        ),
        ("Bruno Sá", "bruno@example.org", None, "staff", "fr", population.a.id, focal.id),
    ]
    for invitation in rows:
        assert invitation.expires_at - invitation.created_at == timedelta(days=14)
        assert invitation.accepted_at is None

    mails = sent_mails(caplog)
    assert [mail["To"] for mail in mails] == ["ana@example.org", "bruno@example.org"]
    for mail, invitation in zip(mails, rows, strict=True):
        body = mail.get_content()
        token = re.search(r"http://localhost/register\?invite=([A-Za-z0-9_-]+)", body).group(1)
        assert hash_token(token) == invitation.token_hash
        assert "Fiona Focal" in body
    # Each mail is written in the invitee's language (dates at least, whatever the catalogues hold).
    assert str(rows[0].expires_at.year) in mails[0].get_content()
    french_months = (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    )
    assert any(month in mails[1].get_content() for month in french_months)

    population.session.expire_all()
    event = population.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitations.upload"))
    assert (event.actor_id, event.organisation_id, event.details) == (
        focal.id,
        population.a.id,
        {"invited": 2},
    )

    page = client.get("/reports/org/AAA/invitations").get_data(as_text=True)
    assert "2 invitations created." in page
    assert "ana@example.org" in page and "Pending until" in page


def test_accepted_and_expired_invitations_are_shown_as_such(client, population):
    login(client, focal_point_of(population.a))
    upload(client, HEADER + "Ana,ana@example.org,,staff,en\nBen,ben@example.org,,staff,en\n")
    first, second = invitations(population.session)
    first.accepted_at = first.created_at + timedelta(days=1)
    second.expires_at = second.created_at - timedelta(days=1)
    population.session.commit()
    page = client.get("/reports/org/AAA/invitations").get_data(as_text=True)
    assert "Accepted on" in page and "Expired" in page


def test_upload_without_a_file_says_so(client, population):
    login(client, focal_point_of(population.a))
    response = client.post("/reports/org/AAA/invitations", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a CSV file to upload." in response.get_data(as_text=True)
    assert population.session.scalar(select(func.count()).select_from(Invitation)) == 0
