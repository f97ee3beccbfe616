"""The Movement view: per-Society aggregates, regions, trend, sorting and small-cell suppression.

Period 2026-01-01 to 2026-06-30; the previous period is the 181 days before (2025-07-04 to
2025-12-31). Alpha: 5 registered, 3 covered, 5 completions (1 before), headcount 20.
Beta: 2 registered, 1 covered, 1 completion (0 before), no headcount.
"""

from __future__ import annotations

from datetime import date

from lms.reports.exports import suppress, suppressed_percent, trend
from lms.reports.queries import Period, ReportFilters, SocietyRow, movement_report, sorted_societies
from tests.reports.conftest import PERIOD


def rows_by_code(report):
    return {row.code: row for row in report.societies}


def test_previous_period_has_the_same_length_just_before():
    assert PERIOD.previous() == Period(date(2025, 7, 4), date(2025, 12, 31))


def test_every_society_with_registered_coverage_completions_and_trend(population, filters):
    report = movement_report(population.session, None, filters, "en")
    rows = rows_by_code(report)
    a, b = rows["AAA"], rows["BBB"]
    assert (a.registered, a.covered, a.completions, a.previous_completions) == (5, 3, 5, 1)
    assert (a.headcount.total, a.headcount.as_of) == (20, date(2026, 3, 1))
    assert (b.registered, b.covered, b.completions, b.previous_completions, b.headcount) == (2, 1, 1, 0, None)
    assert report.total.registered == sum(row.registered for row in report.societies)
    assert report.total.completions == sum(row.completions for row in report.societies)


def test_regions_add_up_their_societies(population, filters):
    report = movement_report(population.session, None, filters, "en")
    regions = {region: (row.registered, row.covered, row.completions) for region, row in report.regions}
    assert regions["Europe"] == (5, 3, 5)
    assert regions["Africa"] == (2, 1, 1)


def test_region_and_staff_filters(population):
    africa = movement_report(population.session, None, ReportFilters(PERIOD, region="Africa"), "en")
    assert [row.code for row in africa.societies] == ["BBB"]
    staff = rows_by_code(
        movement_report(population.session, None, ReportFilters(PERIOD, person_kind="staff"), "en")
    )
    assert (staff["AAA"].registered, staff["AAA"].covered, staff["AAA"].completions) == (2, 2, 1)
    assert staff["AAA"].previous_completions == 1


def test_course_filter_applies_to_completions(population):
    care = ReportFilters(PERIOD, course_id=population.courses["care"].course_id)
    a = rows_by_code(movement_report(population.session, None, care, "en"))["AAA"]
    assert (a.completions, a.previous_completions) == (2, 0)


def test_counts_below_five_are_suppressed():
    assert [suppress(n) for n in (0, 1, 4, 5, 12)] == ["<5", "<5", "<5", 5, 12]
    assert suppressed_percent(3, 100) == "<5"
    assert suppressed_percent(5, 20) == 25.0


def test_trend_is_shown_only_when_both_periods_have_five():
    assert trend(SocietyRow(1, "X", "X", None, completions=12, previous_completions=8)) == 50.0
    assert trend(SocietyRow(1, "X", "X", None, completions=12, previous_completions=4)) is None
    assert trend(SocietyRow(1, "X", "X", None, completions=3, previous_completions=8)) is None


def test_sorting_treats_suppressed_counts_as_equal():
    rows = [
        SocietyRow(1, "C", "Charlie", "Europe", registered=3),
        SocietyRow(2, "A", "Alpha", "Africa", registered=40),
        SocietyRow(3, "B", "Bravo", "Europe", registered=1),
        SocietyRow(4, "D", "Delta", "Americas", registered=7),
    ]
    assert [r.name for r in sorted_societies(rows, "registered", True)] == [
        "Alpha",
        "Delta",
        "Bravo",
        "Charlie",
    ]
    assert [r.name for r in sorted_societies(rows, "registered", False)] == [
        "Bravo",
        "Charlie",
        "Delta",
        "Alpha",
    ]
    assert [r.name for r in sorted_societies(rows, "name", True)] == ["Delta", "Charlie", "Bravo", "Alpha"]
    assert [r.name for r in sorted_societies(rows, "region", False)] == ["Alpha", "Delta", "Bravo", "Charlie"]
    assert [r.name for r in sorted_societies(rows, "no-such-column", False)] == [
        "Alpha",
        "Bravo",
        "Charlie",
        "Delta",
    ]


def test_headcount_compared_follows_the_staff_or_volunteer_filter(population):
    staff = rows_by_code(
        movement_report(population.session, None, ReportFilters(PERIOD, person_kind="staff"), "en")
    )
    assert (staff["AAA"].compared_headcount, staff["AAA"].coverage_of_headcount) == (8, 2 / 8)
