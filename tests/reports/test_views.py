"""The report pages through the test client: figures, charts and their tables, filters, people."""

from __future__ import annotations

import html
import re

from tests.factories import OrganisationFactory, UserFactory
from tests.reports.conftest import PERIOD_ARGS, admin, focal_point_of, login


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def figure(page: str, label: str) -> str:
    return re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", page).group(1)


def test_society_page_shows_every_key_figure(client, population):
    login(client, focal_point_of(population.a))
    page = text(client.get("/reports/org/AAA", query_string=PERIOD_ARGS))
    assert figure(page, "Registered staff and volunteers") == "5"
    assert figure(page, "Basic PSS coverage of registered people") == "60.0%"
    assert figure(page, "Basic PSS coverage of the declared headcount") == "15.0%"
    assert figure(page, "People who started a course in the period") == "4"
    assert figure(page, "Completions in the period") == "5"
    assert figure(page, "Completion rate") == "80.0%"
    assert figure(page, "Median time to complete") == "30 min"
    assert "Registered: 2 staff and 3 volunteers." in page
    assert "Declared headcount: 8 staff and 12 volunteers (20), as of Mar 1, 2026." in page
    assert 'href="/orgs/AAA#headcount"' in page
    assert "3 of 5 registered people (60.0%) have completed a basic PSS course." in page
    assert (
        '<tr><th scope="row">pss-basics [en]</th><td class="num">3</td><td class="num">2</td>'
        '<td class="num">66.7%</td><td class="num">3</td><td class="num">40 min</td></tr>'
    ) in page
    assert (
        '<th scope="row">Which helps most?</th><td class="num">3</td>'
        '<td class="num">2</td><td class="num">66.7%</td>'
    ) in page
    assert '<tr><th scope="row">Mar 2026</th><td class="num">2</td></tr>' in page


def test_society_without_a_headcount_says_not_declared(client, population):
    login(client, focal_point_of(population.b))
    page = text(client.get("/reports/org/BBB", query_string=PERIOD_ARGS))
    assert figure(page, "Basic PSS coverage of the declared headcount") == "not declared"
    assert "No headcount has been declared" in page


def test_charts_are_inline_svg_with_a_table_beside_and_no_inline_style(client, population):
    login(client, focal_point_of(population.a))
    page = client.get("/reports/org/AAA", query_string=PERIOD_ARGS).get_data(as_text=True)
    assert page.count('<svg class="chart" role="img"') == 2
    assert '<title id="coverage-chart-title">' in page and '<title id="months-chart-title">' in page
    assert "<figcaption>" in page
    assert "<caption>Coverage and completions by branch</caption>" in page
    assert "<caption>Completions by month</caption>" in page
    assert "style=" not in page and "<script" not in page


def bar_x(page: str, chart: str, index: int) -> float:
    svg = page.split(f'aria-labelledby="{chart}-title"')[1].split("</svg>")[0]
    return float(re.findall(r'<rect class="chart-bar" x="([0-9.]+)"', svg)[index])


def test_charts_mirror_in_arabic(client, population):
    reader = focal_point_of(population.a, name="Arabic Reader")
    reader.locale = "ar"
    english = focal_point_of(population.a, name="English Reader")
    login(client, reader)
    page = client.get("/reports/org/AAA", query_string=PERIOD_ARGS).get_data(as_text=True)
    assert 'dir="rtl"' in page
    # Coverage: the 60% bar (138 wide) ends at the right edge of the track instead of starting at its left.
    assert bar_x(page, "coverage-chart", 0) == 480 - 178 - 138
    # Months: January is the rightmost column.
    assert bar_x(page, "months-chart", 0) > bar_x(page, "months-chart", 5)
    assert 'direction="rtl"' in page

    login(client, english)
    page = client.get("/reports/org/AAA", query_string=PERIOD_ARGS).get_data(as_text=True)
    assert bar_x(page, "coverage-chart", 0) == 178
    assert bar_x(page, "months-chart", 0) < bar_x(page, "months-chart", 5)


def test_invalid_filters_are_explained_and_the_default_period_shown(client, population):
    login(client, focal_point_of(population.a))
    response = client.get(
        "/reports/org/AAA", query_string={"date_from": "2026-06-01", "date_to": "2026-01-01"}
    )
    page = text(response)
    assert response.status_code == 200
    assert "The end of the period must be on or after its start." in page
    assert 'aria-invalid="true"' in page
    response = client.get("/reports/org/AAA", query_string={"course": "99999", "branch": "nope"})
    page = text(response)
    assert "Course: Not a valid choice." in page and "Branch: Not a valid choice." in page


def test_filters_apply_to_the_page(client, population):
    login(client, focal_point_of(population.a))
    query = {**PERIOD_ARGS, "branch": population.branches["south"].id}
    page = text(client.get("/reports/org/AAA", query_string=query))
    assert figure(page, "Registered staff and volunteers") == "2"
    assert figure(page, "Completions in the period") == "1"
    assert "export.csv?date_from=2026-01-01&date_to=2026-06-30&branch=" in page


def test_people_list_shows_completions_and_courses_in_progress(client, population):
    login(client, focal_point_of(population.a))
    page = text(client.get("/reports/org/AAA/people", query_string={"q": "BRUNO"}))
    assert "1 person matches “BRUNO”." in page
    assert "Bruno Two" in page and "u2@a.example" in page
    assert "pss-basics [en] on Mar 5, 2026 (score 90%)" in page
    assert "self-care [en] on Mar 20, 2026 (score 80%)" in page
    assert "Amal One" not in page
    page = text(client.get("/reports/org/AAA/people", query_string={"q": "u3@a"}))
    assert "Chen Three" in page and "pss-basics [en], last active Apr 2, 2026" in page
    assert "0 people match" in text(client.get("/reports/org/AAA/people", query_string={"q": "%"}))


def test_people_list_is_paginated(client, population):
    for index in range(55):
        UserFactory(organisation=population.a, name=f"Zed {index:02d}")
    login(client, focal_point_of(population.a))
    first = text(client.get("/reports/org/AAA/people"))
    assert "60 registered people." in first and "Page 1 of 2" in first
    assert "Amal One" in first and "Zed 54" not in first
    second = text(client.get("/reports/org/AAA/people", query_string={"page": 2}))
    assert "Zed 54" in second and "Amal One" not in second
    assert "Page 2 of 2" in text(client.get("/reports/org/AAA/people", query_string={"page": 99}))


def test_movement_page_sorts_filters_and_suppresses(client, population):
    login(client, admin())
    page = client.get(
        "/reports", query_string={**PERIOD_ARGS, "sort": "registered", "order": "desc"}
    ).get_data(as_text=True)
    rows = re.findall(r'<a href="/reports/org/([A-Z]+)">', page)
    assert rows == ["AAA", "BBB", "ZZZ"]
    assert 'aria-sort="descending"' in page
    assert "&lt;5" in page and "<5" not in page.replace("&lt;5", "")
    for person in population.people.values():
        assert person.email not in page and person.name not in page
    africa = client.get("/reports", query_string={**PERIOD_ARGS, "region": "Africa"}).get_data(as_text=True)
    assert re.findall(r'<a href="/reports/org/([A-Z]+)">', africa) == ["BBB"]


def test_society_with_no_one_yet_renders_without_figures(client, population):
    empty = OrganisationFactory(code="EMP", name_en="Empty Red Cross")
    login(client, focal_point_of(empty))
    response = client.get("/reports/org/EMP")
    page = text(response)
    assert response.status_code == 200
    assert figure(page, "Registered staff and volunteers") == "0"
    assert figure(page, "Basic PSS coverage of registered people") == "—"
    assert figure(page, "Median time to complete") == "—"
    assert "No course was started or completed in this period." in page
    assert client.get("/reports/org/EMP/export.csv").get_data(as_text=True).count("\n") == 1


def test_unknown_export_format_is_not_found(client, population):
    login(client, admin())
    assert client.get("/reports/org/AAA/export.pdf").status_code == 404
    assert client.get("/reports/movement.jsonl").status_code == 404
