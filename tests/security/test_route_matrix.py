"""Every route × method × role, with the answer each person must get.

The table below names every rule of `app.url_map` with GET and POST. A new route without a
row, or a row whose route is gone, fails `test_every_route_and_method_has_a_row`. Each row is
sent by anonymous, a learner of Society A, the focal points of Societies A and B, an author and
an administrator, with real URL arguments and, for POST, the body that would succeed for
someone allowed. `test_the_matrix_notices_a_removed_protection` removes protections one by one
and checks that the matrix fails.

Outcomes: a status code ("200", "403"…), "login" (302 to the login page), or "→/path" (302 to
that path; "→/path*" for a path that starts so).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from lms.auth.models import User
from lms.certificates import services as certificates_services
from lms.extensions import csrf
from tests.security.conftest import PASSWORD, ROLES, World, client_as, undone

NEW_PASSWORD = "a brand new passphrase"
Data = Callable[[World], dict[str, Any]]


def everyone(outcome: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


def members(outcome: str) -> dict[str, str]:
    """Anonymous is sent to log in; every logged-in person gets `outcome`."""
    return {**everyone(outcome), "anonymous": "login"}


def only(allowed: str, *roles: str, others: str = "403") -> dict[str, str]:
    """`roles` get `allowed`, other logged-in people `others`, anonymous is sent to log in."""
    return {**members(others), **dict.fromkeys(roles, allowed)}


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    url: str  # formatted with the world's values
    expected: dict[str, str]
    data: Data | None = None
    note: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.url}{' ' + self.note if self.note else ''}"


def _registration(world: World) -> dict[str, Any]:
    return {
        "name": "New Person",
        "email": "new.person@example.org",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "organisation": str(world.org_ids["a"]),
        "branch": "",
        "person_kind": "volunteer",
        "locale": "en",
        "consent": "y",
    }


def _invitation_file(_world: World) -> dict[str, Any]:
    rows = "name,email,branch,staff_or_volunteer,language\nNew Volunteer,invitee@example.org,,volunteer,en\n"
    return {"file": (io.BytesIO(rows.encode()), "people.csv")}


def _check_answers(world: World) -> dict[str, Any]:
    data: dict[str, Any] = {f"{world.check_block}-submission_id": "matrix-submission-0001"}
    for index, chosen in enumerate(world.check_answers.values()):
        data[f"{world.check_block}-q{index}"] = chosen
    return data


def _not_allowed(rule: str, url: str, method: str) -> Row:
    return Row(method, rule, url, everyone("405"))


ORG_A = "/orgs/{org_a}"
REPORT_A = "/reports/org/{org_a}"
LEARN = "/learn/{slug}"
COURSE = "/courses/{slug}"

ROWS: list[Row] = [
    # --- core ---
    Row("GET", "/", "/", everyone("200")),
    _not_allowed("/", "/", "POST"),
    Row("GET", "/privacy", "/privacy", everyone("200")),
    _not_allowed("/privacy", "/privacy", "POST"),
    Row("GET", "/language/<code>", "/language/fr?next=/courses", everyone("→/courses")),
    _not_allowed("/language/<code>", "/language/fr", "POST"),
    Row("GET", "/healthz", "/healthz", everyone("200")),
    _not_allowed("/healthz", "/healthz", "POST"),
    Row("GET", "/static/<path:filename>", "/static/css/main.css", everyone("200")),
    _not_allowed("/static/<path:filename>", "/static/css/main.css", "POST"),
    # --- accounts ---
    Row("GET", "/register", "/register", {**everyone("→/"), "anonymous": "200"}),
    Row("POST", "/register", "/register", everyone("→/"), _registration),
    Row("GET", "/login", "/login", {**everyone("→/"), "anonymous": "200"}),
    Row(
        "POST",
        "/login",
        "/login",
        everyone("→/"),
        lambda w: {"email": w.emails["learner"], "password": PASSWORD},
    ),
    _not_allowed("/logout", "/logout", "GET"),
    Row("POST", "/logout", "/logout", everyone("→/")),
    Row("GET", "/account", "/account", members("200")),
    Row(
        "POST",
        "/account",
        "/account",
        members("→/account"),
        lambda w: {"name": "Changed Name", "branch": "", "person_kind": "staff", "locale": "fr"},
    ),
    Row("GET", "/account/password", "/account/password", members("200")),
    Row(
        "POST",
        "/account/password",
        "/account/password",
        members("→/account"),
        lambda w: {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
    Row("GET", "/account/data", "/account/data", members("200")),
    _not_allowed("/account/data", "/account/data", "POST"),
    Row("GET", "/account/data.json", "/account/data.json", members("200")),
    _not_allowed("/account/data.json", "/account/data.json", "POST"),
    _not_allowed("/account/delete", "/account/delete", "GET"),
    Row(
        "POST",
        "/account/delete",
        "/account/delete",
        members("→/"),
        lambda w: {"password": PASSWORD, "confirm": "y"},
    ),
    Row("GET", "/reset", "/reset", everyone("200")),
    Row("POST", "/reset", "/reset", everyone("→/reset/sent"), lambda w: {"email": w.emails["learner"]}),
    Row("GET", "/reset/sent", "/reset/sent", everyone("200")),
    # POST falls through to /reset/<token> with the token "sent": an unknown link.
    Row("POST", "/reset/sent", "/reset/sent", everyone("400")),
    Row("GET", "/reset/<token>", "/reset/{reset_token}", everyone("200")),
    Row(
        "POST",
        "/reset/<token>",
        "/reset/{reset_token}",
        everyone("→/login"),
        lambda w: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
    # --- certificates ---
    Row(
        "GET",
        "/certificates/<code>.pdf",
        "/certificates/{certificate}.pdf",
        {**members("404"), "learner": "200"},
    ),
    _not_allowed("/certificates/<code>.pdf", "/certificates/{certificate}.pdf", "POST"),
    Row("GET", "/verify/<code>", "/verify/{certificate}", everyone("200")),
    _not_allowed("/verify/<code>", "/verify/{certificate}", "POST"),
    # --- courses: media and authoring ---
    Row("GET", "/media/<sha256>", "/media/{media}", everyone("200")),
    _not_allowed("/media/<sha256>", "/media/{media}", "POST"),
    Row("GET", "/authoring", "/authoring", only("200", "author", "admin")),
    _not_allowed("/authoring", "/authoring", "POST"),
    Row(
        "GET",
        "/authoring/<slug>/v<int:number>",
        "/authoring/{slug}/v{version}",
        only("→/authoring/{slug}/v{version}/en/{lesson}", "author", "admin"),
    ),
    _not_allowed("/authoring/<slug>/v<int:number>", "/authoring/{slug}/v{version}", "POST"),
    Row(
        "GET",
        "/authoring/<slug>/v<int:number>/<lang>/<lesson_id>",
        "/authoring/{slug}/v{version}/fr/{lesson}",
        only("200", "author", "admin"),
    ),
    _not_allowed(
        "/authoring/<slug>/v<int:number>/<lang>/<lesson_id>",
        "/authoring/{slug}/v{version}/en/{lesson}",
        "POST",
    ),
    # --- learning ---
    Row("GET", "/courses", "/courses", everyone("200")),
    _not_allowed("/courses", "/courses", "POST"),
    Row("GET", "/courses/<slug>", COURSE, everyone("200")),
    _not_allowed("/courses/<slug>", COURSE, "POST"),
    _not_allowed("/courses/<slug>/start", COURSE + "/start", "GET"),
    Row(
        "POST",
        "/courses/<slug>/start",
        COURSE + "/start",
        members("→/learn/{slug}/*"),
        lambda w: {"language": "en"},
    ),
    Row(
        "GET",
        "/learn/<slug>/<lesson_id>",
        LEARN + "/{lesson}",
        {**members("→/courses/{slug}"), "learner": "200"},
    ),
    _not_allowed("/learn/<slug>/<lesson_id>", LEARN + "/{lesson}", "POST"),
    _not_allowed(
        "/learn/<slug>/<lesson_id>/check/<block_id>", LEARN + "/{check_lesson}/check/{check_block}", "GET"
    ),
    Row(
        "POST",
        "/learn/<slug>/<lesson_id>/check/<block_id>",
        LEARN + "/{check_lesson}/check/{check_block}",
        {**members("→/courses/{slug}"), "learner": "→/learn/{slug}/{check_lesson}"},
        _check_answers,
    ),
    _not_allowed(
        "/learn/<slug>/<lesson_id>/scenario/<block_id>",
        LEARN + "/{scenario_lesson}/scenario/{scenario_block}",
        "GET",
    ),
    Row(
        "POST",
        "/learn/<slug>/<lesson_id>/scenario/<block_id>",
        LEARN + "/{scenario_lesson}/scenario/{scenario_block}",
        {**members("→/courses/{slug}"), "learner": "→/learn/{slug}/{scenario_lesson}"},
        lambda w: {
            f"{w.scenario_block}-choice": w.scenario_option,
            f"{w.scenario_block}-submission_id": "matrix-submission-0002",
        },
    ),
    _not_allowed(
        "/learn/<slug>/<lesson_id>/reflection/<block_id>",
        LEARN + "/{reflection_lesson}/reflection/{reflection_block}",
        "GET",
    ),
    Row(
        "POST",
        "/learn/<slug>/<lesson_id>/reflection/<block_id>",
        LEARN + "/{reflection_lesson}/reflection/{reflection_block}",
        {**members("→/courses/{slug}"), "learner": "→/learn/{slug}/{reflection_lesson}"},
        lambda w: {f"{w.reflection_block}-text": "A note of mine"},
    ),
    Row("GET", "/support", "/support?course={slug}", everyone("200")),
    _not_allowed("/support", "/support", "POST"),
    Row("GET", "/me", "/me", members("200")),
    _not_allowed("/me", "/me", "POST"),
    Row("GET", "/me/xapi", "/me/xapi", members("200")),
    _not_allowed("/me/xapi", "/me/xapi", "POST"),
    # --- organisations ---
    Row(
        "GET",
        "/orgs",
        "/orgs",
        {**only("200", "admin"), "focal_a": "→/orgs/{org_a}", "focal_b": "→/orgs/{org_b}"},
    ),
    _not_allowed("/orgs", "/orgs", "POST"),
    Row("GET", "/orgs/<code>", ORG_A, only("200", "focal_a", "admin")),
    _not_allowed("/orgs/<code>", ORG_A, "POST"),
    _not_allowed("/orgs/<code>/active", ORG_A + "/active", "GET"),
    Row(
        "POST",
        "/orgs/<code>/active",
        ORG_A + "/active",
        only("→/orgs/{org_a}", "admin"),
        lambda w: {"org-active": "0"},
    ),
    _not_allowed("/orgs/<code>/branches", ORG_A + "/branches", "GET"),
    Row(
        "POST",
        "/orgs/<code>/branches",
        ORG_A + "/branches",
        only("→/orgs/{org_a}", "focal_a", "admin"),
        lambda w: {"branch-name": "South A"},
    ),
    _not_allowed(
        "/orgs/<code>/branches/<int:branch_id>/rename", ORG_A + "/branches/{branch_a}/rename", "GET"
    ),
    Row(
        "POST",
        "/orgs/<code>/branches/<int:branch_id>/rename",
        ORG_A + "/branches/{branch_a}/rename",
        only("→/orgs/{org_a}", "focal_a", "admin"),
        lambda w: {f"branch-{w.branch_a}-name": "North A renamed"},
    ),
    _not_allowed(
        "/orgs/<code>/branches/<int:branch_id>/active", ORG_A + "/branches/{branch_a}/active", "GET"
    ),
    Row(
        "POST",
        "/orgs/<code>/branches/<int:branch_id>/active",
        ORG_A + "/branches/{branch_a}/active",
        only("→/orgs/{org_a}", "focal_a", "admin"),
        lambda w: {f"branch-{w.branch_a}-state-active": "0"},
    ),
    _not_allowed("/orgs/<code>/headcount", ORG_A + "/headcount", "GET"),
    Row(
        "POST",
        "/orgs/<code>/headcount",
        ORG_A + "/headcount",
        only("→/orgs/{org_a}", "focal_a", "admin"),
        lambda w: {"headcount-staff": "12", "headcount-volunteers": "340", "headcount-as_of": "2025-01-01"},
    ),
    _not_allowed("/orgs/<code>/support", ORG_A + "/support", "GET"),
    Row(
        "POST",
        "/orgs/<code>/support",
        ORG_A + "/support",
        only("→/orgs/{org_a}", "focal_a", "admin"),
        lambda w: {"support-contacts": "Helpline 0800 123 456"},
    ),
    Row("GET", "/orgs/settings", "/orgs/settings", only("200", "admin")),
    Row(
        "POST",
        "/orgs/settings",
        "/orgs/settings",
        only("→/orgs/settings", "admin"),
        lambda w: {"support-contacts": "IFRC helpline"},
    ),
    # --- reports ---
    Row(
        "GET",
        "/reports",
        "/reports",
        {**only("200", "admin"), "focal_a": "→/reports/org/{org_a}", "focal_b": "→/reports/org/{org_b}"},
    ),
    _not_allowed("/reports", "/reports", "POST"),
    Row("GET", "/reports/org/<code>", REPORT_A, only("200", "focal_a", "admin")),
    _not_allowed("/reports/org/<code>", REPORT_A, "POST"),
    Row(
        "GET",
        "/reports/org/<code>/export.<fmt>",
        REPORT_A + "/export.csv",
        only("200", "focal_a", "admin"),
    ),
    _not_allowed("/reports/org/<code>/export.<fmt>", REPORT_A + "/export.csv", "POST"),
    Row("GET", "/reports/org/<code>/people", REPORT_A + "/people", only("200", "focal_a", "admin")),
    _not_allowed("/reports/org/<code>/people", REPORT_A + "/people", "POST"),
    Row(
        "GET",
        "/reports/org/<code>/invitations",
        REPORT_A + "/invitations",
        only("200", "focal_a", "admin"),
    ),
    Row(
        "POST",
        "/reports/org/<code>/invitations",
        REPORT_A + "/invitations",
        only("→/reports/org/{org_a}/invitations", "focal_a", "admin"),
        _invitation_file,
    ),
    Row("GET", "/reports/movement.<fmt>", "/reports/movement.csv", only("200", "admin")),
    _not_allowed("/reports/movement.<fmt>", "/reports/movement.csv", "POST"),
]

# Further probes of the same routes: other formats, other Societies' things, things that do not exist.
PROBES: list[Row] = [
    Row(
        "GET", "/reports/org/<code>/export.<fmt>", REPORT_A + "/export.xlsx", only("200", "focal_a", "admin")
    ),
    Row(
        "GET", "/reports/org/<code>/export.<fmt>", REPORT_A + "/export.jsonl", only("200", "focal_a", "admin")
    ),
    Row("GET", "/reports/movement.<fmt>", "/reports/movement.xlsx", only("200", "admin")),
    Row("GET", "/reports/org/<code>", "/reports/org/{org_b}", only("200", "focal_b", "admin")),
    Row("GET", "/reports/org/<code>", "/reports/org/NOPE", only("404", "focal_a", "focal_b", "admin")),
    Row("GET", "/orgs/<code>", "/orgs/{org_b}", only("200", "focal_b", "admin")),
    Row("GET", "/orgs/<code>", "/orgs/NOPE", only("404", "focal_a", "focal_b", "admin")),
    Row(
        "POST",
        "/orgs/<code>/branches/<int:branch_id>/rename",
        ORG_A + "/branches/{branch_b}/rename",
        only("404", "focal_a", "admin"),
        lambda w: {f"branch-{w.branch_b}-name": "Taken over"},
        note="(a branch of B under A's code)",
    ),
    Row(
        "POST",
        "/orgs/<code>/branches/<int:branch_id>/active",
        "/orgs/{org_b}/branches/{branch_b}/active",
        only("→/orgs/{org_b}", "focal_b", "admin"),
        lambda w: {f"branch-{w.branch_b}-state-active": "0"},
    ),
    Row("GET", "/certificates/<code>.pdf", "/certificates/NOSUCHCODE.pdf", members("404")),
    Row("GET", "/verify/<code>", "/verify/NOSUCHCODE", everyone("404")),
    Row("GET", "/media/<sha256>", "/media/" + "0" * 64, everyone("404")),
    Row("GET", "/authoring/<slug>/v<int:number>", "/authoring/{slug}/v99", only("404", "author", "admin")),
    Row("GET", "/courses/<slug>", "/courses/no-such-course", everyone("404")),
    Row(
        "GET",
        "/learn/<slug>/<lesson_id>",
        LEARN + "/no-such-lesson",
        {**members("→/courses/{slug}"), "learner": "404"},
    ),
    Row("GET", "/reset/<token>", "/reset/not-a-real-token", everyone("400")),
    Row("GET", "/language/<code>", "/language/xx", everyone("404")),
]


def _values(world: World) -> dict[str, Any]:
    return asdict(world)


def outcome(response: TestResponse) -> str:
    """What a person got: the status code, "login", or "→" and the path redirected to."""
    if response.status_code in (301, 302, 303, 307, 308):
        location = urlsplit(response.headers["Location"])
        if location.path == "/login" and "next" in parse_qs(location.query):
            return "login"
        return "→" + location.path
    return str(response.status_code)


def _matches(got: str, expected: str) -> bool:
    if expected.endswith("*"):
        return got.startswith(expected[:-1])
    return got == expected


def mismatches(app: Flask, session: Any, world: World, row: Row, roles: tuple[str, ...] = ROLES) -> list[str]:
    """Each role whose answer differs from the row's, as 'role: expected X, got Y'; nothing is kept."""
    values = _values(world)
    url = row.url.format(**values)
    problems = []
    for role in roles:
        expected = row.expected[role].format(**values)
        with undone(app, session):
            client = client_as(app, world, role)
            data = row.data(world) if row.data else None
            response = client.open(url, method=row.method, data=data, headers=row.headers)
            got = outcome(response)
            policy = response.headers.get("Content-Security-Policy", "")
            response.close()
        if not _matches(got, expected):
            problems.append(f"{role}: expected {expected}, got {got}")
        if not _confined(policy):
            problems.append(f"{role}: no script-confining Content-Security-Policy ({policy!r})")
    return problems


def _confined(policy: str) -> bool:
    """The response's CSP allows scripts from the site's own files at most, never inline ones."""
    directives = dict(part.strip().partition(" ")[::2] for part in policy.split(";") if part.strip())
    scripts = directives.get("script-src", directives.get("default-src", ""))
    return scripts in ("'self'", "'none'") and "unsafe" not in policy.replace("style-src 'unsafe-inline'", "")


def _rules(app: Flask) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() for method in ("GET", "POST")}


def test_every_route_and_method_has_a_row(app):
    table = {(row.method, row.rule) for row in ROWS}
    missing = sorted(_rules(app) - table)
    assert not missing, f"routes without an expected status per role: {missing}"
    stale = sorted(table - _rules(app))
    assert not stale, f"rows for routes that no longer exist: {stale}"
    assert len(table) == len(ROWS), "a route and method has two rows"
    for row in ROWS + PROBES:
        assert set(row.expected) == set(ROLES), row.id


@pytest.mark.parametrize("row", ROWS + PROBES, ids=lambda row: row.id)
def test_each_role_gets_the_expected_answer(app, db_session, world, row):
    problems = mismatches(app, db_session, world, row)
    assert not problems, f"{row.id}: " + "; ".join(problems)


POST_ROWS = [row for row in ROWS if row.method == "POST"]


@pytest.mark.parametrize("row", POST_ROWS, ids=lambda row: row.id)
def test_every_post_without_a_csrf_token_is_refused(app, db_session, world, row, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    # A POST the route does not take stays 405; every other is refused before anything happens.
    refused = "405" if row.expected["anonymous"] == "405" else "400"
    problems = mismatches(
        app, db_session, world, Row(row.method, row.rule, row.url, everyone(refused), row.data)
    )
    assert not problems, f"{row.id} without a CSRF token: " + "; ".join(problems)


def test_fields_a_form_does_not_offer_change_nothing(app, db_session, world):
    client = client_as(app, world, "learner")
    response = client.post(
        "/account",
        data={
            "name": "Learner",
            "branch": "",
            "person_kind": "staff",
            "locale": "en",
            "organisation": str(world.org_ids["b"]),
            "organisation_id": str(world.org_ids["b"]),
            "email": "taken-over@example.org",
            "role": "admin",
            "session_token": "chosen",
        },
    )
    assert response.status_code == 302
    learner = db_session.get(User, world.users["learner"])
    assert learner.organisation_id == world.org_ids["a"]
    assert learner.email == world.emails["learner"]
    assert not learner.roles
    assert learner.session_token != "chosen"


# --- The matrix must notice when a protection goes -------------------------------------------------


def _row(method: str, rule: str) -> Row:
    return next(row for row in ROWS if row.method == method and row.rule == rule)


def _without_login_required(endpoint: str) -> Callable[[Flask, pytest.MonkeyPatch], None]:
    def remove(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(app.view_functions, endpoint, app.view_functions[endpoint].__wrapped__)

    return remove


def _patch(target: str, replacement: Any) -> Callable[[Flask, pytest.MonkeyPatch], None]:
    def replace(_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(target, replacement)

    return replace


def _any_certificate(session: Any, _user_id: int, code: str) -> Any:
    return certificates_services.verifiable_certificate(session, code)


MUTATIONS = {
    "login_required off My learning": (("GET", "/me"), _without_login_required("learning.my_learning")),
    "login_required off the Society report": (
        ("GET", "/reports/org/<code>"),
        _without_login_required("reports.society"),
    ),
    "login_required off adding a branch": (
        ("POST", "/orgs/<code>/branches"),
        _without_login_required("orgs.add_branch"),
    ),
    "authors-only check off": (
        ("GET", "/authoring"),
        _patch("lms.courses.views._authors_only", lambda: None),
    ),
    "organisation check off": (
        ("GET", "/orgs/<code>"),
        _patch("lms.orgs.views.can_manage_organisation", lambda user, organisation_id: True),
    ),
    "report scope off": (
        ("GET", "/reports/org/<code>"),
        _patch("lms.reports.services.report_scope", lambda user: None),
    ),
    "certificate owner check off": (
        ("GET", "/certificates/<code>.pdf"),
        _patch("lms.certificates.services.owned_certificate", _any_certificate),
    ),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_the_matrix_notices_a_removed_protection(app, db_session, world, monkeypatch, mutation):
    (method, rule), remove = MUTATIONS[mutation]
    row = _row(method, rule)
    assert not mismatches(app, db_session, world, row), "the row must pass before the protection goes"
    remove(app, monkeypatch)
    assert mismatches(app, db_session, world, row), f"the matrix did not notice: {mutation}"


def test_the_csrf_check_notices_an_exempted_form(app, db_session, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setattr(csrf, "_exempt_views", {"lms.orgs.views.add_branch"})
    row = _row("POST", "/orgs/<code>/branches")
    assert mismatches(app, db_session, world, Row(row.method, row.rule, row.url, everyone("400"), row.data))
