"""SQL metacharacters, NUL bytes, overlong and unusual text in every field, parameter and URL part.

Every form of the matrix is sent by someone allowed to send it, with each field replaced in
turn by each hostile value; every GET route gets every query parameter the site reads; every
URL argument is replaced too. No answer may be a 500. A NUL byte is answered with a clean 400.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any
from urllib.parse import quote, urlencode

import markupsafe
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.auth.models import Invitation, User
from tests.security.conftest import World, client_as, undone
from tests.security.test_route_matrix import ROWS, Row

SQL = ["' OR 1=1 --", '"; DROP TABLE "user"; --', "%_\\"]
UNICODE = ["مرحبا بكم Zoë Ñúñez", "🙂👩🏽‍⚕️🚑", "\u202eevil\u202c name"]
LONG = ["x" * 255, "é" * 5000]
NUMBERS = ["2147483648", "99999999999999999999999", "-1"]
NUL = "a\x00b"
HOSTILE = [*SQL, *UNICODE, *LONG, *NUMBERS, NUL]
# Every query parameter any page reads.
QUERY_PARAMETERS = (
    "next",
    "q",
    "page",
    "lang",
    "course",
    "tag",
    "language",
    "length",
    "region",
    "status",
    "kind",
    "branch",
    "date_from",
    "date_to",
    "sort",
    "order",
    "invite",
)
# Who sends each form: the first of these the matrix lets through.
SENDERS = ("anonymous", "learner", "focal_a", "admin")
REFUSED = {"403", "405", "login", "400"}


@pytest.fixture(autouse=True)
def generous_limits(app, monkeypatch):
    # Hundreds of requests per test: the throttles are tested in tests/auth, not here.
    for name in (
        "REGISTER_LIMIT_PER_IP",
        "LOGIN_LIMIT_PER_IP",
        "LOGIN_LIMIT_PER_ACCOUNT",
        "RESET_LIMIT_PER_IP",
    ):
        monkeypatch.setitem(app.config, name, "100000 per hour")


def _sender(row: Row) -> str | None:
    return next((role for role in SENDERS if row.expected[role] not in REFUSED), None)


FORMS = [row for row in ROWS if row.method == "POST" and row.data is not None and _sender(row)]
PAGES = [row for row in ROWS if row.method == "GET" and _sender(row)]


def _send(
    app: Flask, session: Session, world: World, role: str, method: str, url: str, data: Any = None
) -> int:
    """The status of one request by `role`; whatever it changed is rolled back."""
    with undone(app, session):
        response = client_as(app, world, role).open(url, method=method, data=data)
        response.close()
        return response.status_code


@pytest.mark.parametrize("row", FORMS, ids=lambda row: row.id)
def test_no_form_field_value_gives_a_server_error(app, db_session, world, row):
    role = _sender(row)
    url = row.url.format(**world.__dict__)
    base = row.data(world)
    problems = []
    for name in [key for key, value in base.items() if not isinstance(value, tuple)]:
        for value in HOSTILE:
            data = {**row.data(world), name: value}
            status = _send(app, db_session, world, role, "POST", url, data)
            if status >= 500 or (value == NUL and status != 400):
                problems.append(f"{name}={value[:30]!r} → {status}")
    assert not problems, f"{row.id} as {role}: " + "; ".join(problems)


@pytest.mark.parametrize("row", PAGES, ids=lambda row: row.id)
def test_no_query_parameter_gives_a_server_error(app, db_session, world, row):
    role = _sender(row)
    url = row.url.format(**world.__dict__)
    joiner = "&" if "?" in url else "?"
    problems = []
    for value in HOSTILE:
        # Every parameter at once: each page reads its own and must survive the value in each.
        query = urlencode(dict.fromkeys(QUERY_PARAMETERS, value))
        status = _send(app, db_session, world, role, "GET", url + joiner + query)
        if status >= 500 or (value == NUL and status != 400):
            problems.append(f"{value[:30]!r} → {status}")
    assert not problems, f"{row.id} as {role}: " + "; ".join(problems)


def _placeholders(rule: str) -> list[tuple[str, str]]:
    """[('<int:branch_id>', 'branch_id'), …]: each argument of a rule as written, and its name."""
    found = []
    start = rule.find("<")
    while start != -1:
        end = rule.index(">", start)
        written = rule[start : end + 1]
        found.append((written, written[1:-1].split(":")[-1]))
        start = rule.find("<", end)
    return found


def _argument_urls(app: Flask, row: Row, world: World) -> list[str]:
    """The row's URL with each argument of its rule replaced by each hostile value in turn."""
    path = row.url.format(**world.__dict__).split("?")[0]
    _endpoint, real = app.url_map.bind("localhost").match(path, method=row.method)
    urls = []
    for _written, replaced in _placeholders(row.rule):
        for value in HOSTILE:
            url = row.rule
            for written, name in _placeholders(row.rule):
                url = url.replace(written, quote(str(value if name == replaced else real[name]), safe=""))
            urls.append(url)
    return urls


ROUTES_WITH_ARGUMENTS = [row for row in ROWS if "<" in row.rule and row.expected["admin"] != "405"]


@pytest.mark.parametrize("row", ROUTES_WITH_ARGUMENTS, ids=lambda row: row.id)
def test_no_url_argument_gives_a_server_error(app, db_session, world, row):
    # The learner where the route is theirs (their lesson, their certificate), else the administrator.
    role = next(role for role in ("learner", "admin") if row.expected[role] not in REFUSED)
    problems = []
    for url in _argument_urls(app, row, world):
        status = _send(app, db_session, world, role, row.method, url, row.data(world) if row.data else None)
        if status >= 500:
            problems.append(f"{url[:120]!r} → {status}")
    assert not problems, f"{row.id} as {role}: " + "; ".join(problems)


# --- What the sweeps found, and what the text must become -------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("GET", "/courses/a%00b", None),
        ("GET", "/courses?tag=a%00b", None),
        ("GET", "/verify/ABC%00DEF", None),
        ("POST", "/login", {"email": "learner@example.org\x00", "password": "x"}),
        ("POST", "/register", {"name\x00": "A name"}),
        ("POST", "/account", {"name": "Nul\x00Byte", "person_kind": "staff", "locale": "en"}),
    ],
)
def test_a_nul_byte_anywhere_is_refused_with_a_clean_400(app, db_session, world, method, url, data):
    client = client_as(app, world, "learner" if url == "/account" else "anonymous")
    response = client.open(url, method=method, data=data, headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'lang="fr"' in page
    assert "<h1>" in page


def test_a_nul_byte_in_a_name_changes_nothing(app, db_session, world):
    client = client_as(app, world, "learner")
    client.post("/account", data={"name": "Nul\x00Byte", "person_kind": "staff", "locale": "en"})
    assert db_session.get(User, world.users["learner"]).name != "Nul\x00Byte"


@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999999"])
def test_an_id_too_large_for_the_database_names_nothing(app, db_session, world, number):
    admin = client_as(app, world, "admin")
    rename = admin.post(f"/orgs/{world.org_a}/branches/{number}/rename", data={f"branch-{number}-name": "X"})
    assert rename.status_code == 404
    assert admin.get(f"/authoring/{world.slug}/v{number}").status_code == 404
    assert admin.get(f"/authoring/{world.slug}/v{number}/en/{world.lesson}").status_code == 404
    profile = client_as(app, world, "learner").post(
        "/account", data={"name": "Learner", "branch": number, "person_kind": "staff", "locale": "en"}
    )
    assert profile.status_code == 422
    assert "Choose a branch of your own organisation" in profile.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["check", "scenario", "reflection"])
def test_answering_in_a_lesson_that_does_not_exist_is_404(app, db_session, world, kind):
    block = {
        "check": world.check_block,
        "scenario": world.scenario_block,
        "reflection": world.reflection_block,
    }
    client = client_as(app, world, "learner")
    response = client.post(f"/learn/{world.slug}/no-such-lesson/{kind}/{block[kind]}", data={})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("/account", {"name": "n" * 201}, "A name has at most 200 characters."),
        ("/register", {"name": "n" * 201}, "A name has at most 200 characters."),
        ("/register", {"email": "e" * 250 + "@example.org"}, "An e-mail address has at most 254 characters."),
        ("/reset", {"email": "e" * 250 + "@example.org"}, "An e-mail address has at most 254 characters."),
    ],
)
def test_text_longer_than_its_column_is_a_clean_422(app, db_session, world, url, data, message):
    role = "learner" if url == "/account" else "anonymous"
    base = {"person_kind": "staff", "locale": "en", "branch": ""}
    response = client_as(app, world, role).post(url, data={**base, **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_long_branch_name_is_a_clean_422(app, db_session, world):
    response = client_as(app, world, "focal_a").post(
        f"/orgs/{world.org_a}/branches", data={"branch-name": "b" * 201}
    )
    assert response.status_code == 422
    assert "A branch name must be at most 200 characters long." in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["عائشة الحسيني", "Zoë 🙂 Ñúñez", "\u202eevil\u202c Rivera", "O'Brien; --"])
def test_names_in_any_script_are_kept_exactly_and_shown_escaped(app, db_session, world, name):
    client = client_as(app, world, "learner")
    saved = client.post("/account", data={"name": name, "branch": "", "person_kind": "staff", "locale": "en"})
    assert saved.status_code == 302
    assert db_session.get(User, world.users["learner"]).name == name
    page = client.get("/account").get_data(as_text=True)
    assert f'value="{markupsafe.escape(name)}"' in page


def test_login_with_sql_in_both_fields_is_an_ordinary_refusal(app, db_session, world):
    response = client_as(app, world, "anonymous").post(
        "/login", data={"email": "' OR 1=1 --", "password": "' OR '1'='1"}
    )
    assert response.status_code == 422
    assert "E-mail or password is incorrect." in response.get_data(as_text=True)


@pytest.mark.parametrize("text", [*SQL, "%", "_"])
def test_sql_and_wildcards_in_searches_match_only_themselves(app, db_session, world, text):
    admin = client_as(app, world, "admin")
    people = admin.get(f"/reports/org/{world.org_a}/people", query_string={"q": text})
    assert people.status_code == 200
    assert world.emails["learner"] not in people.get_data(as_text=True)
    organisations = admin.get("/orgs", query_string={"q": text})
    assert organisations.status_code == 200
    assert "Society A" not in organisations.get_data(as_text=True)


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept-Language": "' OR 1=1 --"},
        {"Accept-Language": "ar;q=abc, fr;q=-1, " + "x" * 5000},
        {"Accept-Language": "fr\x00ar"},
        {"X-Request-Id": "a\x00b"},
        {"Cookie": "session=not.a.session; remember_token=1|forged"},
        {"Range": "bytes=99999999999999999999-"},
        {"Range": "bytes=5-1"},
        {"Range": "bytes=abc"},
        {"If-None-Match": '"' + "x" * 5000 + '"'},
        {"If-Modified-Since": "' OR 1=1 --"},
        {"X-Forwarded-For": "' OR 1=1 --"},
        {"Content-Type": "application/json"},
    ],
    ids=lambda headers: next(iter(headers)),
)
def test_hostile_headers_get_no_server_error(app, db_session, world, headers):
    pages = [
        ("anonymous", "GET", "/"),
        ("anonymous", "GET", f"/media/{world.media}"),
        ("anonymous", "POST", "/login"),
        ("learner", "GET", "/me"),
        ("focal_a", "GET", f"/reports/org/{world.org_a}"),
    ]
    for role, method, url in pages:
        client = client_as(app, world, role)
        response = client.open(url, method=method, headers=headers, data="{}" if method == "POST" else None)
        response.close()
        assert response.status_code < 500, f"{method} {url} with {headers}: {response.status_code}"


def test_names_that_are_formulas_are_exported_as_text(app, db_session, world):
    formula = '=HYPERLINK("https://evil.example","Click")'
    client_as(app, world, "learner").post(
        "/account",
        data={"name": formula, "branch": str(world.branch_a), "person_kind": "staff", "locale": "en"},
    )
    focal = client_as(app, world, "focal_a")
    period = {"date_from": "2000-01-01"}
    csv_text = focal.get(f"/reports/org/{world.org_a}/export.csv", query_string=period).get_data(as_text=True)
    assert "'" + formula.replace('"', '""') in csv_text
    assert f",{formula}" not in csv_text
    workbook = focal.get(f"/reports/org/{world.org_a}/export.xlsx", query_string=period).get_data()
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        sheets = [
            archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/")
        ]
        strings = (
            archive.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in archive.namelist()
            else ""
        )
    assert "HYPERLINK" in strings + "".join(sheets)
    assert not any("<f>" in sheet for sheet in sheets), "a cell of the export is a formula"


CSV_COLUMNS = ("name", "email", "branch", "staff_or_volunteer", "language")


@pytest.mark.parametrize("column", CSV_COLUMNS)
def test_no_invitation_file_cell_gives_a_server_error(app, db_session, world, column):
    """Every hostile value but NUL, which has its own test below."""
    valid = {"name": "New Volunteer", "email": "new@example.org", "branch": "", "staff_or_volunteer": "staff"}
    problems = []
    for value in [value for value in HOSTILE if value != NUL]:
        cells = {**valid, "language": "en", column: value}
        buffer = io.StringIO()
        csv.writer(buffer).writerows([CSV_COLUMNS, [cells[name] for name in CSV_COLUMNS]])
        rows = buffer.getvalue()
        status = _send(
            app,
            db_session,
            world,
            "focal_a",
            "POST",
            f"/reports/org/{world.org_a}/invitations",
            {"file": (io.BytesIO(rows.encode()), "people.csv")},
        )
        if status >= 500:
            problems.append(f"{value[:30]!r} → {status}")
    assert not problems, f"{column}: " + "; ".join(problems)


@pytest.mark.parametrize("column", CSV_COLUMNS)
def test_a_nul_byte_in_an_invitation_file_is_refused_cleanly(app, db_session, world, column):
    """PostgreSQL cannot store a NUL in text: the file is refused with the line named, nothing kept."""
    good = {"name": "Good Person", "email": "good@example.org", "branch": "", "staff_or_volunteer": "staff"}
    good["language"] = "en"
    nul = {**good, "email": "nul@example.org", column: f"Nul{NUL}Byte"}
    buffer = io.StringIO()
    csv.writer(buffer).writerows([CSV_COLUMNS, *([row[name] for name in CSV_COLUMNS] for row in (good, nul))])
    response = client_as(app, world, "focal_a").post(
        f"/reports/org/{world.org_a}/invitations",
        data={"file": (io.BytesIO(buffer.getvalue().encode()), "people.csv")},
    )
    page = response.get_data(as_text=True)
    invited = db_session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.email.in_(["good@example.org", "nul@example.org"]))
    )
    assert response.status_code == 422
    assert "Line 3: This line contains a NUL character" in page
    assert "\x00" not in page
    assert invited == 0


@pytest.mark.parametrize("where", ["file name", "field name"])
def test_a_nul_byte_in_an_upload_name_is_answered_with_400(app, db_session, world, where):
    """The contents of a file are checked by what reads it (above); its names like any form field."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([CSV_COLUMNS, ["Good Person", "good@example.org", "", "staff", "en"]])
    field, filename = ("file", f"people{NUL}.csv") if where == "file name" else (f"fi{NUL}le", "people.csv")
    status = _send(
        app,
        db_session,
        world,
        "focal_a",
        "POST",
        f"/reports/org/{world.org_a}/invitations",
        {field: (io.BytesIO(buffer.getvalue().encode()), filename)},
    )
    assert status == 400
