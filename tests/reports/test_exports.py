"""Every row of every export against hand-computed values; exports stream; no person across Societies."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, datetime
from typing import NamedTuple

from lms.learning.services import XAPI_STATEMENT_NAMESPACE
from tests.factories import UserFactory
from tests.reports.conftest import PERIOD_ARGS, admin, focal_point_of, login
from tests.reports.xlsx import read_workbook, serial

HEADER = [
    "Certificate code",
    "Name",
    "E-mail address",
    "Organisation",
    "Branch",
    "Staff or volunteer",
    "Course",
    "Course title",
    "Version",
    "Language",
    "Score (%)",
    "Time spent (minutes)",
    "Started (UTC)",
    "Completed (UTC)",
]


class Expected(NamedTuple):
    code: str
    name: str
    email: str
    branch: str
    kind: str
    course: str
    title: str
    language: str
    score: int
    minutes: float
    started: datetime
    completed: datetime


ALPHA_COMPLETIONS = [
    Expected(
        "CERT0001U1-PSS",
        "Amal One",
        "u1@a.example",
        "North",
        "staff",
        "pss-basics",
        "pss-basics [en]",
        "en",
        100,
        30.0,
        datetime(2026, 1, 15, 10),
        datetime(2026, 2, 10, 10),
    ),
    Expected(
        "CERT0002U2-PSS",
        "Bruno Two",
        "u2@a.example",
        "North",
        "volunteer",
        "pss-basics",
        "pss-basics [en]",
        "fr",
        90,
        40.0,
        datetime(2026, 3, 1, 10),
        datetime(2026, 3, 5, 10),
    ),
    Expected(
        "CERT0003U2-CARE",
        "Bruno Two",
        "u2@a.example",
        "North",
        "volunteer",
        "self-care",
        "self-care [en]",
        "en",
        80,
        10.0,
        datetime(2026, 2, 20, 10),
        datetime(2026, 3, 20, 10),
    ),
    Expected(
        "CERT0004U4-CARE",
        "Dana Four",
        "u4@a.example",
        "South",
        "volunteer",
        "self-care",
        "self-care [en]",
        "ar",
        85,
        20.0,
        datetime(2026, 4, 1, 10),
        datetime(2026, 4, 10, 10),
    ),
    Expected(
        "CERT0006GONE-PSS",
        "",
        "",
        "North",
        "volunteer",
        "pss-basics",
        "pss-basics [en]",
        "en",
        100,
        50.0,
        datetime(2026, 5, 1, 10),
        datetime(2026, 5, 5, 10),
    ),
]


def csv_rows(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_society_csv_has_exactly_the_filtered_completions(client, population):
    login(client, focal_point_of(population.a))
    response = client.get("/reports/org/AAA/export.csv", query_string=PERIOD_ARGS)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert 'filename="AAA-completions-2026-01-01-2026-06-30.csv"' in response.headers["Content-Disposition"]
    expected = [
        [
            code,
            name,
            email,
            "AAA",
            branch,
            kind,
            course,
            title,
            "1.0",
            language,
            str(score),
            str(minutes),
            f"{started:%Y-%m-%d %H:%M:%S}",
            f"{completed:%Y-%m-%d %H:%M:%S}",
        ]
        for code, name, email, branch, kind, course, title, language, score, minutes, started, completed in (
            ALPHA_COMPLETIONS
        )
    ]
    assert csv_rows(response) == [HEADER, *expected]


def test_society_csv_follows_course_branch_and_kind_filters(client, population):
    login(client, focal_point_of(population.a))
    query = {
        **PERIOD_ARGS,
        "course": population.courses["care"].course_id,
        "branch": population.branches["south"].id,
        "kind": "volunteer",
    }
    rows = csv_rows(client.get("/reports/org/AAA/export.csv", query_string=query))
    assert [row[0] for row in rows[1:]] == ["CERT0004U4-CARE"]


def test_csv_cells_that_look_like_formulas_are_written_as_text(client, population):
    population.people["u1"].name = '=HYPERLINK("http://evil.example")'
    login(client, focal_point_of(population.a))
    rows = csv_rows(client.get("/reports/org/AAA/export.csv", query_string=PERIOD_ARGS))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example")'


def test_society_xlsx_has_the_summary_and_every_completion(client, population):
    login(client, focal_point_of(population.a))
    response = client.get("/reports/org/AAA/export.xlsx", query_string=PERIOD_ARGS)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheets = read_workbook(response.get_data())
    assert list(sheets) == ["Summary", "Completions"]
    assert sheets["Completions"] == [
        HEADER,
        *[
            [
                r.code,
                *([r.name, r.email] if r.name else [None, None]),
                "AAA",
                r.branch,
                r.kind,
                r.course,
                r.title,
                "1.0",
                r.language,
                r.score,
                r.minutes,
                serial(r.started),
                serial(r.completed),
            ]
            for r in ALPHA_COMPLETIONS
        ],
    ]
    assert sheets["Summary"] == [
        ["Figure", "Value", ""],
        ["Period", serial(date(2026, 1, 1)), serial(date(2026, 6, 30))],
        ["Registered staff and volunteers", 5],
        ["Covered: completed a basic PSS course", 3],
        ["Coverage of registered people (%)", 60.0],
        ["Declared headcount", 20, serial(date(2026, 3, 1))],
        ["Coverage of the declared headcount (%)", 15.0],
        ["People who started a course", 4],
        ["Courses started", 5],
        ["Of these, completed", 4],
        ["Completion rate (%)", 80.0],
        ["Completions", 5],
        ["Median time to complete (minutes)", 30.0],
        [],
        [
            "Course",
            "Started",
            "Of these, completed",
            "Completion rate (%)",
            "Completions",
            "Median time to complete (minutes)",
        ],
        ["pss-basics [en]", 3, 2, 66.7, 3, 40.0],
        ["self-care [en]", 2, 2, 100.0, 2, 15.0],
        [],
        ["Branch", "Registered", "Covered", "Coverage (%)", "Completions"],
        ["North", 2, 2, 100.0, 4],
        ["South", 2, 0, 0.0, 1],
        ["No branch", 1, 1, 100.0, 0],
        [],
        ["Staff or volunteer", "Registered", "Covered", "Coverage (%)", "Completions"],
        ["Staff", 2, 2, 100.0, 1],
        ["Volunteers", 3, 1, 33.3, 4],
        [],
        ["Language", "Completions"],
        ["en", 3],
        ["ar", 1],
        ["fr", 1],
        [],
        ["Month", "Completions"],
        ["2026-01", 0],
        ["2026-02", 1],
        ["2026-03", 2],
        ["2026-04", 1],
        ["2026-05", 1],
        ["2026-06", 0],
        [],
        ["Course", "Version", "Question", "First tries", "Right at first try", "Pass rate (%)"],
        ["pss-basics [en]", "1.0", "Which helps most?", 3, 2, 66.7],
        ["pss-basics [en]", "1.0", "Which are signs of stress?", 2, 1, 50.0],
    ]


def test_society_xapi_export_is_one_statement_per_completion(client, population):
    login(client, focal_point_of(population.a))
    response = client.get("/reports/org/AAA/export.jsonl", query_string=PERIOD_ARGS)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "application/x-ndjson"
    statements = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [s["id"] for s in statements] == [
        str(uuid.uuid5(XAPI_STATEMENT_NAMESPACE, row.code)) for row in ALPHA_COMPLETIONS
    ]
    for statement, row in zip(statements, ALPHA_COMPLETIONS, strict=True):
        assert statement["version"] == "1.0.3"
        assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
        assert statement["object"]["id"] == f"http://localhost/courses/{row.course}"
        assert statement["result"]["score"]["raw"] == row.score
        assert statement["result"]["duration"] == f"PT{int(row.minutes)}M"
        assert statement["context"]["language"] == row.language
        assert statement["timestamp"] == f"{row.completed:%Y-%m-%dT%H:%M:%S}+00:00"
        if row.email:
            assert statement["actor"]["mbox"] == f"mailto:{row.email}"
            assert statement["actor"]["name"] == row.name
        else:
            assert "mbox" not in statement["actor"] and "name" not in statement["actor"]


MOVEMENT_HEADER = [
    "Code",
    "Organisation",
    "IFRC region",
    "Registered",
    "Covered",
    "Coverage (%)",
    "Declared headcount",
    "Headcount as of",
    "Coverage of the declared headcount (%)",
    "Completions",
    "Completions in the previous period",
    "Trend (%)",
]


def test_movement_csv_is_aggregates_with_small_cells_suppressed(client, population):
    login(client, admin())
    response = client.get("/reports/movement.csv", query_string=PERIOD_ARGS)
    assert response.status_code == 200
    assert 'filename="movement-2026-01-01-2026-06-30.csv"' in response.headers["Content-Disposition"]
    assert csv_rows(response) == [
        MOVEMENT_HEADER,
        ["AAA", "Alpha Red Cross", "Europe", "5", "<5", "<5", "20", "2026-03-01", "<5", "5", "<5", ""],
        ["BBB", "Beta Red Crescent", "Africa", "<5", "<5", "<5", "", "", "", "<5", "<5", ""],
        ["ZZZ", "Zeta HQ", "Asia Pacific", "<5", "<5", "<5", "", "", "", "<5", "<5", ""],
    ]


def test_movement_export_names_no_one(client, population):
    login(client, admin())
    for fmt in ("csv", "xlsx"):
        body = client.get(f"/reports/movement.{fmt}", query_string=PERIOD_ARGS).get_data()
        for person in population.people.values():
            assert person.email.encode() not in body
            assert person.name.encode() not in body


def test_movement_xlsx_is_sorted_and_filtered_like_the_page(client, population):
    for index in range(6):
        UserFactory(organisation=population.b, name=f"Extra {index}")
    login(client, admin())
    query = {**PERIOD_ARGS, "sort": "registered", "order": "desc", "region": ""}
    sheets = read_workbook(client.get("/reports/movement.xlsx", query_string=query).get_data())
    assert sheets == {
        "Movement": [
            MOVEMENT_HEADER,
            ["BBB", "Beta Red Crescent", "Africa", 8, "<5", "<5", None, None, None, "<5", "<5"],
            ["AAA", "Alpha Red Cross", "Europe", 5, "<5", "<5", 20, serial(date(2026, 3, 1)), "<5", 5, "<5"],
            ["ZZZ", "Zeta HQ", "Asia Pacific", "<5", "<5", "<5", None, None, None, "<5", "<5"],
        ]
    }
    africa = read_workbook(
        client.get("/reports/movement.xlsx", query_string={**PERIOD_ARGS, "region": "Africa"}).get_data()
    )
    assert [row[0] for row in africa["Movement"][1:]] == ["BBB"]
