"""Report pages issue the same number of SQL queries whatever the size of the data, each planned
for the values it is run with."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from lms.db import get_db
from lms.reports.queries import course_names, movement_report, society_report
from lms.reports.services import organisation_branches
from tests.factories import BranchFactory, CourseFactory, CourseVersionFactory, UserFactory
from tests.reports.conftest import PERIOD_ARGS, admin, at, login

PAGES = [
    "/reports",
    "/reports/org/AAA",
    "/reports/org/AAA/people",
    "/reports/org/AAA/invitations",
]


@contextlib.contextmanager
def counting(app):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
            statements.append(statement)

    with app.app_context():
        engine = get_db().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def queries_per_page(app, client) -> dict[str, int]:
    counts = {}
    for url in PAGES:
        with counting(app) as statements:
            response = client.get(url, query_string=PERIOD_ARGS)
        assert response.status_code == 200, url
        counts[url] = len(statements)
    return counts


def grow(population, people: int) -> None:
    """More people, branches, courses, completions, enrolments and answers in both Societies."""
    extra_course = CourseVersionFactory(course=CourseFactory(slug="extra-course"), tag_names=("basic-pss",))
    population.courses["extra"] = extra_course
    for index in range(people):
        organisation = population.a if index % 3 else population.b
        branch = BranchFactory(organisation=organisation, name=f"Extra branch {index}")
        population.branches[f"extra{index}"] = branch
        key = f"x{index}"
        population.people[key] = UserFactory(organisation=organisation, branch=branch, person_kind="staff")
        started = at(2026, 1 + index % 6, 1 + index % 27)
        course = "extra" if index % 2 else "care"
        population.enrol(f"{key}-c", key, course, started)
        population.answer(f"{key}-c", "q-listen", 1, index % 4 == 0, started)
        if index % 5:
            population.complete(
                f"{key}-c",
                key,
                course,
                organisation,
                f"extra{index}",
                "staff",
                started,
                started + timedelta(days=2),
                900 + index,
            )


def test_report_pages_issue_a_bounded_number_of_queries(app, client, population):
    administrator = admin()
    login(client, administrator)
    small = queries_per_page(app, client)
    grow(population, 120)
    login(client, administrator)
    large = queries_per_page(app, client)
    assert small == large
    # The lower bound shows the counter sees the pages' queries (the user and their roles are
    # one query, then the page's own); the upper one, that a page is a few queries, not many.
    assert min(small.values()) >= 4 and max(small.values()) <= 25, small


# The plan cache of prepared statements is PostgreSQL's: the test runs there only.
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_report_queries_keep_plans_made_for_their_values_on_postgresql(population, filters):
    """psycopg prepares a statement run five times on a connection; PostgreSQL would then plan
    it once for any values (for a large Society, serially). The reports ask for custom plans."""
    session = population.session
    assert session.get_bind().dialect.name == "postgresql"
    for _ in range(12):
        names = course_names(session, "en")
        branches = organisation_branches(session, population.a.id)
        society_report(session, frozenset({population.a.id}), filters, branches, names, "en")
        movement_report(session, None, filters, "en")
    plans = session.execute(
        text(
            "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) "
            # Without parameters, the one plan there is counts as generic.
            "FROM pg_prepared_statements WHERE statement LIKE 'SELECT%' AND cardinality(parameter_types) > 0"
        )
    ).one()
    assert plans[0] == 0
    assert plans[1] > 0
