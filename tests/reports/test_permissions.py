"""Every report URL and export, walked as each kind of visitor: 403, or no foreign row."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from lms.auth.models import Invitation
from tests.factories import RoleGrantFactory, UserFactory
from tests.reports.conftest import PERIOD_ARGS, SECRET_REFLECTION, admin, focal_point_of, login

GOOD_FILE = "name,email,branch,staff_or_volunteer,language\nNew Person,new@x.example,,volunteer,en\n"


# Every URL of the reports blueprint, for an organisation code; the test below checks none is missing.
def report_requests(code: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/reports/org/{code}"),
        ("GET", f"/reports/org/{code}/export.csv"),
        ("GET", f"/reports/org/{code}/export.xlsx"),
        ("GET", f"/reports/org/{code}/export.jsonl"),
        ("GET", f"/reports/org/{code}/people"),
        ("GET", f"/reports/org/{code}/invitations"),
        ("POST", f"/reports/org/{code}/invitations"),
    ]


MOVEMENT_REQUESTS = [("GET", "/reports/movement.csv"), ("GET", "/reports/movement.xlsx")]


def send(client, method, url):
    if method == "POST":
        data = {"file": (io.BytesIO(GOOD_FILE.encode()), "people.csv")}
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.get(url, query_string=PERIOD_ARGS)


def invitation_count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Invitation))


def test_every_report_url_is_walked(app):
    adapter = app.url_map.bind("localhost")
    walked = {
        (adapter.match(url, method=method)[0], method)
        for method, url in [("GET", "/reports"), *report_requests("AAA"), *MOVEMENT_REQUESTS]
    }
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("reports.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert walked == routes


@pytest.mark.parametrize("who", ["anonymous", "learner", "author"])
def test_people_without_a_reporting_role_see_nothing(client, population, who):
    user = None
    if who == "learner":
        user = population.people["u1"]
    elif who == "author":
        user = RoleGrantFactory(role="author", user=UserFactory(organisation=population.a)).user
    login(client, user)
    for method, url in [("GET", "/reports"), *report_requests("AAA"), *MOVEMENT_REQUESTS]:
        response = send(client, method, url)
        if user is None:
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login"), url
        else:
            assert response.status_code == 403, url
    assert invitation_count(population.session) == 0


def test_focal_point_of_another_society_gets_403_for_every_url_of_this_one(client, population):
    login(client, focal_point_of(population.b))
    for method, url in report_requests("AAA") + MOVEMENT_REQUESTS:
        assert send(client, method, url).status_code == 403, url
    assert invitation_count(population.session) == 0


def test_focal_point_sees_no_foreign_row_on_any_page_or_export_of_their_society(client, population):
    login(client, focal_point_of(population.b))
    index = client.get("/reports")
    assert index.status_code == 302
    assert index.headers["Location"] == "/reports/org/BBB"
    foreign = [p for key, p in population.people.items() if key.startswith("u")]
    foreign_codes = [
        c.certificate_code for c in population.completions.values() if c.organisation_id == population.a.id
    ]
    for method, url in report_requests("BBB"):
        response = send(client, method, url)
        assert response.status_code in (200, 302), url
        body = response.get_data()
        for person in foreign:
            assert person.email.encode() not in body, url
            assert person.name.encode() not in body, url
        for code in foreign_codes:
            assert code.encode() not in body, url
        assert b"North" not in body and b"South" not in body, url
        assert SECRET_REFLECTION.encode() not in body, url


def test_unknown_society_is_404_for_those_who_may_see_reports(client, population):
    login(client, focal_point_of(population.b))
    assert client.get("/reports/org/NOPE").status_code == 404


def test_focal_point_of_the_society_and_administrator_see_everything_of_it(client, population):
    for user in (focal_point_of(population.a), admin()):
        login(client, user)
        for method, url in report_requests("AAA"):
            response = send(client, method, url)
            assert response.status_code in (200, 302), (url, response.status_code)
            assert SECRET_REFLECTION.encode() not in response.get_data(), url


def test_only_administrators_see_the_movement(client, population):
    login(client, focal_point_of(population.a))
    for method, url in MOVEMENT_REQUESTS:
        assert send(client, method, url).status_code == 403
    login(client, admin())
    assert client.get("/reports", query_string=PERIOD_ARGS).status_code == 200
    for method, url in MOVEMENT_REQUESTS:
        assert send(client, method, url).status_code == 200


def test_focal_point_of_several_societies_chooses_one(client, population):
    user = focal_point_of(population.a)
    RoleGrantFactory(user=user, role="focal_point", organisation=population.b)
    login(client, user)
    page = client.get("/reports").get_data(as_text=True)
    assert 'href="/reports/org/AAA"' in page and 'href="/reports/org/BBB"' in page
    assert client.get("/reports/movement.csv").status_code == 403
