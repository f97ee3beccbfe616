"""Every figure of the Society report against values computed by hand from the population.

Alpha (AAA), period 2026-01-01 to 2026-06-30:
registered u1 u2 u3 u4 u5 (u1, u5 staff); covered (a basic-pss completion by 2026-06-30) u1 u2 u5;
completions in the period: u1 pss (Feb, 30 min), u2 pss (Mar, 40), u2 care (Mar, 10),
u4 care (Apr, 20), a deleted person's pss (May, 50); enrolments started in the period:
u1 pss, u2 pss, u2 care, u3 pss (open), u4 care.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from lms.learning.models import Answer
from lms.learning.services import submit_knowledge_check
from lms.reports.queries import (
    ReportFilters,
    course_names,
    first_try_pass_rates,
    median,
    society_report,
)
from lms.reports.services import organisation_branches
from tests.reports.conftest import PERIOD, at


def report_of(population, filters, organisation=None):
    organisation = organisation or population.a
    session = population.session
    return society_report(
        session,
        frozenset({organisation.id}),
        filters,
        organisation_branches(session, organisation.id),
        course_names(session, "en"),
        "en",
    )


def test_registered_coverage_and_headcount(population, filters):
    report = report_of(population, filters)
    assert report.totals.registered == 5
    assert report.totals.covered == 3
    assert report.totals.coverage == 3 / 5
    assert (report.headcount.staff, report.headcount.volunteers, report.headcount.as_of) == (
        8,
        12,
        date(2026, 3, 1),
    )
    assert report.coverage_of_headcount == 3 / 20


def test_started_completed_rate_and_median(population, filters):
    report = report_of(population, filters)
    assert report.people_started == 4
    assert (report.started, report.started_completed) == (5, 4)
    assert report.completion_rate == 4 / 5
    assert report.totals.completions == 5
    assert report.median_minutes == 30


def test_per_course_figures(population, filters):
    rows = {row.title: row for row in report_of(population, filters).by_course}
    pss, care = rows["pss-basics [en]"], rows["self-care [en]"]
    assert (pss.started, pss.started_completed, pss.completions, pss.median_minutes) == (3, 2, 3, 40)
    assert pss.completion_rate == 2 / 3
    assert (care.started, care.started_completed, care.completions, care.median_minutes) == (2, 2, 2, 15)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(population, filters):
    care_only = ReportFilters(PERIOD, course_id=population.courses["care"].course_id)
    assert report_of(population, care_only).median_minutes == (10 + 20) / 2


def test_breakdown_by_branch_and_staff_or_volunteer(population, filters):
    report = report_of(population, filters)
    branches = {name: (c.registered, c.covered, c.completions) for _id, name, c in report.by_branch}
    assert branches == {"North": (2, 2, 4), "South": (2, 0, 1), None: (1, 1, 0)}
    kinds = {kind: (c.registered, c.covered, c.completions) for kind, c in report.by_kind.items()}
    assert kinds == {"staff": (2, 2, 1), "volunteer": (3, 1, 4)}


def test_breakdown_by_language_and_month(population, filters):
    report = report_of(population, filters)
    assert report.by_language == [("en", 3), ("ar", 1), ("fr", 1)]
    assert report.by_month == [
        (date(2026, 1, 1), 0),
        (date(2026, 2, 1), 1),
        (date(2026, 3, 1), 2),
        (date(2026, 4, 1), 1),
        (date(2026, 5, 1), 1),
        (date(2026, 6, 1), 0),
    ]


def test_first_try_pass_rate_per_question_ignores_retries_scenarios_and_other_societies(population, filters):
    session = population.session
    rows = first_try_pass_rates(
        session, frozenset({population.a.id}), filters, course_names(session, "en"), "en"
    )
    assert [(r.course_title, r.prompt, r.first_tries, r.first_try_correct) for r in rows] == [
        ("pss-basics [en]", "Which helps most?", 3, 2),
        ("pss-basics [en]", "Which are signs of stress?", 2, 1),
    ]


def test_first_tries_count_where_the_person_was_when_answering(population):
    """An answer keeps the organisation, branch and staff/volunteer status of its moment, as a
    completion does: u3 (South, volunteer) answers the care check, then moves to North as staff."""
    session, a = population.session, population.a
    north, south = population.branches["north"], population.branches["south"]
    u3, care = population.people["u3"], population.courses["care"]
    enrolment = population.enrol("u3-care", "u3", "care", at(2026, 4, 5))
    selections = {"q-listen": ["listen"], "q-signs": ["sleep"]}
    submit_knowledge_check(
        session, u3, enrolment, "lesson-two", "check-one", selections, "u3-care-first-try", at(2026, 4, 6)
    )
    stored = session.execute(
        select(
            Answer.course_id,
            Answer.course_version_id,
            Answer.organisation_id,
            Answer.branch_id,
            Answer.person_kind,
        ).where(Answer.enrolment_id == enrolment.id)
    ).all()
    assert set(stored) == {(care.course_id, care.id, a.id, south.id, "volunteer")}
    assert len(stored) == 2

    u3.branch_id, u3.person_kind = north.id, "staff"
    session.flush()
    names = course_names(session, "en")

    def first_tries(filters):
        rows = first_try_pass_rates(session, frozenset({a.id}), filters, names, "en")
        return [(r.course_title, r.prompt, r.first_tries, r.first_try_correct) for r in rows]

    assert first_tries(ReportFilters(PERIOD, branch_id=south.id)) == [
        ("pss-basics [en]", "Which helps most?", 1, 1),
        ("self-care [en]", "Which helps most?", 1, 1),
        ("self-care [en]", "Which are signs of stress?", 1, 0),
    ]
    assert first_tries(ReportFilters(PERIOD, branch_id=north.id, person_kind="staff")) == [
        ("pss-basics [en]", "Which helps most?", 1, 1),
        ("pss-basics [en]", "Which are signs of stress?", 1, 0),
    ]


def test_filters_narrow_every_figure(population):
    north_staff = ReportFilters(PERIOD, branch_id=population.branches["north"].id, person_kind="staff")
    report = report_of(population, north_staff)
    assert (report.totals.registered, report.totals.covered, report.totals.completions) == (1, 1, 1)
    assert report.people_started == 1
    assert [(r.prompt, r.first_tries) for r in report.questions] == [
        ("Which helps most?", 1),
        ("Which are signs of stress?", 1),
    ]


def test_coverage_counts_completions_up_to_the_end_of_the_period(population):
    before_any = ReportFilters(type(PERIOD)(date(2025, 1, 1), date(2025, 11, 30)))
    assert report_of(population, before_any).totals.covered == 0
    until_december = ReportFilters(type(PERIOD)(date(2025, 1, 1), date(2025, 12, 31)))
    assert report_of(population, until_december).totals.covered == 1


def test_society_without_headcount_says_not_declared(population, filters):
    report = report_of(population, filters, population.b)
    assert report.headcount is None
    assert report.coverage_of_headcount is None
    assert (report.totals.registered, report.totals.covered, report.totals.completions) == (2, 1, 1)


def test_median_counts_whole_minutes():
    assert median([]) is None
    assert median([(30, 1)]) == 30
    assert median([(10, 1), (20, 1), (50, 2)]) == 35
    assert median([(50, 1), (10, 3), (20, 1)]) == 10


def test_coverage_of_the_headcount_follows_the_staff_or_volunteer_filter(population):
    staff = report_of(population, ReportFilters(PERIOD, person_kind="staff"))
    assert (staff.totals.covered, staff.compared_headcount, staff.coverage_of_headcount) == (2, 8, 2 / 8)
    volunteers = report_of(population, ReportFilters(PERIOD, person_kind="volunteer"))
    assert (volunteers.compared_headcount, volunteers.coverage_of_headcount) == (12, 1 / 12)


def test_coverage_of_the_headcount_is_not_computed_for_one_branch(population):
    north = report_of(population, ReportFilters(PERIOD, branch_id=population.branches["north"].id))
    assert north.headcount.total == 20
    assert north.compared_headcount is None and north.coverage_of_headcount is None
