"""Time the Society report (largest Society) and the Movement view against hand-written SQL.

    LMS_DATABASE_URL=... .venv/bin/python bench/report_bench.py [--repeat 5] [--detail]

Each report is timed through the query functions the pages use (lms/reports/queries.py), and
the same aggregates are timed as raw SQL, one query per aggregate, on the same connection.
Both use the default period of the pages (the last 12 months) and run alternately. Prints
the median of the repetitions, the ratio, and whether the targets (at most 1.5x raw SQL;
under 1 s on PostgreSQL) are met.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lms import create_app
from lms.auth.models import User
from lms.db import get_db, utcnow
from lms.orgs.models import Organisation
from lms.reports.queries import (
    ReportFilters,
    course_names,
    default_period,
    movement_report,
    society_report,
)
from lms.reports.services import organisation_branches

MAX_RATIO = 1.5
MAX_SECONDS_POSTGRES = 1.0


def month_sql(postgres: bool, column: str) -> tuple[str, str]:
    """(the month to group by, its 'YYYY-MM' name) of a timestamp column."""
    if postgres:
        start = f"date_trunc('month', ({column}) AT TIME ZONE 'UTC')"
        return start, f"to_char({start}, 'YYYY-MM')"
    return f"strftime('%Y-%m', {column})", f"strftime('%Y-%m', {column})"


def title_sql(postgres: bool, language: str) -> str:
    if postgres:
        return f"cv.content #>> '{{localized,{language},title}}'"
    return f"json_extract(cv.content, '$.localized.{language}.title')"


def course_titles_sql(postgres: bool) -> str:
    titles = ", ".join(title_sql(postgres, language) for language in ("en", "fr", "es", "ar"))
    return (
        f"SELECT cv.id, cv.course_id, cv.label, c.slug, coalesce({titles}) FROM course_version cv "
        "JOIN course c ON c.id = cv.course_id ORDER BY cv.course_id, cv.number"
    )


COVERED = """EXISTS (
    SELECT c.id FROM completion c
    JOIN course_version_tag t ON t.course_version_id = c.course_version_id AND t.tag = 'basic-pss'
    WHERE c.user_id = u.id AND c.organisation_id = u.organisation_id AND c.completed_at < :end)"""
IN_PERIOD = "completed_at >= :start AND completed_at < :end"
HEADCOUNTS = """
    SELECT h.organisation_id, h.staff, h.volunteers, h.as_of FROM headcount h
    JOIN (SELECT id, row_number() OVER (
              PARTITION BY organisation_id ORDER BY as_of DESC, declared_at DESC, id DESC) AS rank
          FROM headcount WHERE organisation_id IN ({orgs})) r ON r.id = h.id
    WHERE r.rank = 1"""


def society_sql(postgres: bool) -> list[tuple[str, str]]:
    """(name, SQL) of every aggregate of the Society report; :org is the Society's id."""
    month_start, month_name = month_sql(postgres, "completed_at")
    return [
        ("branches", "SELECT id, name FROM branch WHERE organisation_id = :org ORDER BY name"),
        ("course titles", course_titles_sql(postgres)),
        (
            "registered",
            """SELECT u.branch_id, u.person_kind, count(*) FROM "user" u
               WHERE u.deleted_at IS NULL AND u.organisation_id = :org GROUP BY u.branch_id, u.person_kind""",
        ),
        (
            "covered",
            f"""SELECT u.branch_id, u.person_kind, count(*) FROM "user" u
                WHERE u.deleted_at IS NULL AND u.organisation_id = :org AND {COVERED}
                GROUP BY u.branch_id, u.person_kind""",
        ),
        (
            "completions by branch and kind",
            f"""SELECT branch_id, person_kind, count(*) FROM completion
                WHERE organisation_id = :org AND {IN_PERIOD} GROUP BY branch_id, person_kind""",
        ),
        (
            "completions by language and month",
            f"""SELECT language, {month_name}, count(*) FROM completion
                WHERE organisation_id = :org AND {IN_PERIOD} GROUP BY language, {month_start}""",
        ),
        (
            "enrolments by course, people started",
            """SELECT course_id, count(*), count(completed_at), sum(first) FROM (
                   SELECT e.course_id, e.completed_at,
                          CASE WHEN row_number() OVER (PARTITION BY e.user_id ORDER BY e.id) = 1
                               THEN 1 ELSE 0 END AS first
                   FROM enrolment e JOIN "user" u ON u.id = e.user_id
                   WHERE e.started_at >= :start AND e.started_at < :end AND u.organisation_id = :org) s
               GROUP BY course_id""",
        ),
        (
            "completions and median minutes by course",
            f"""SELECT course_id, time_spent_seconds / 60, count(*) FROM completion
                WHERE organisation_id = :org AND {IN_PERIOD} GROUP BY course_id, time_spent_seconds / 60""",
        ),
        ("headcount", HEADCOUNTS.format(orgs=":org")),
        (
            "first tries per question",
            """SELECT course_version_id, block_id, question_id, count(*),
                      coalesce(sum(CASE WHEN correct THEN 1 ELSE 0 END), 0)
               FROM answer
               WHERE attempt = 1 AND answered_at >= :start AND answered_at < :end AND organisation_id = :org
               GROUP BY course_version_id, block_id, question_id""",
        ),
        # The versions answered (every version, in practice), for their question prompts.
        ("question prompts", "SELECT id, content FROM course_version"),
    ]


def movement_sql(postgres: bool) -> list[tuple[str, str]]:
    """(name, SQL) of every aggregate of the Movement view (all regions)."""
    return [
        ("course titles", course_titles_sql(postgres)),
        ("organisations", "SELECT id, code, region, name_en FROM organisation WHERE active"),
        (
            "registered",
            """SELECT u.organisation_id, count(*) FROM "user" u
               WHERE u.deleted_at IS NULL GROUP BY u.organisation_id""",
        ),
        (
            "covered",
            f"""SELECT u.organisation_id, count(*) FROM "user" u
                WHERE u.deleted_at IS NULL AND {COVERED} GROUP BY u.organisation_id""",
        ),
        (
            "completions this period and the previous",
            """SELECT organisation_id, sum(CASE WHEN completed_at >= :start THEN 1 ELSE 0 END),
                       sum(CASE WHEN completed_at < :start THEN 1 ELSE 0 END)
                FROM completion
                WHERE completed_at >= :previous AND completed_at < :end GROUP BY organisation_id""",
        ),
        ("headcounts", HEADCOUNTS.replace("WHERE organisation_id IN ({orgs})", "")),
    ]


def timed_pair(
    repeat: int, first: Callable[[], Any], second: Callable[[], Any]
) -> tuple[list[float], list[float]]:
    """Seconds of each run of each, run alternately `repeat` times after one warm-up of each.

    Alternating keeps a change in the machine's load from favouring one side.
    """
    first()
    second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for run, spent in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            run()
            spent.append(time.perf_counter() - started)
    return times


def run_raw(session: Session, queries: list[tuple[str, str]], params: dict[str, Any]) -> dict[str, float]:
    spent = {}
    for name, sql in queries:
        started = time.perf_counter()
        session.execute(text(sql), {k: v for k, v in params.items() if f":{k}" in sql}).all()
        spent[name] = time.perf_counter() - started
    return spent


def bind_time(postgres: bool, moment: datetime) -> Any:
    # On SQLite, timestamps are stored as text in SQLAlchemy's format, naive UTC.
    return moment if postgres else moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def report_line(name: str, orm_runs: list[float], raw_runs: list[float], postgres: bool) -> bool:
    """Print medians (and fastest runs, less disturbed by other work on the machine)."""
    orm, raw = statistics.median(orm_runs), statistics.median(raw_runs)
    ratio = orm / raw if raw else float("inf")
    ok = ratio <= MAX_RATIO and (not postgres or orm < MAX_SECONDS_POSTGRES)
    click.echo(
        f"{name:<15} query functions {orm * 1000:7.1f} ms (fastest {min(orm_runs) * 1000:7.1f})   "
        f"raw SQL {raw * 1000:7.1f} ms (fastest {min(raw_runs) * 1000:7.1f})   "
        f"ratio {ratio:4.2f}   {'OK' if ok else 'TARGET MISSED'}"
    )
    return ok


@click.command()
@click.option("--repeat", default=5, show_default=True, help="Timed repetitions (after one warm-up).")
@click.option("--detail", is_flag=True, help="Also print the time of each raw SQL aggregate.")
def main(repeat: int, detail: bool) -> None:
    """Benchmark the reports on the database named by LMS_DATABASE_URL."""
    app = create_app()
    with app.app_context():
        engine = get_db().engine
        postgres = engine.dialect.name == "postgresql"
        with Session(engine) as session:
            if postgres:
                # A plan gone wrong should fail the benchmark, not hold the machine for minutes.
                session.execute(text("SET statement_timeout = '120s'"))
            people = session.scalar(select(func.count()).select_from(User)) or 0
            largest = session.execute(
                select(User.organisation_id, func.count())
                .where(User.deleted_at.is_(None))
                .group_by(User.organisation_id)
                .order_by(func.count().desc())
                .limit(1)
            ).first()
            if largest is None:
                raise click.ClickException("No people in this database: run bench/seed.py first.")
            org_id, registered = largest
            organisation = session.get(Organisation, org_id)
            filters = ReportFilters(default_period(utcnow().date()))
            period = filters.period
            click.echo(
                f"{engine.dialect.name}, {people:,} people; largest Society {organisation.code} "
                f"({registered:,} registered); period {period.start} to {period.end}; "
                f"median of {repeat} runs."
            )
            params = {
                "org": org_id,
                "start": bind_time(postgres, period.start_at),
                "end": bind_time(postgres, period.end_at),
                "previous": bind_time(postgres, period.previous().start_at),
            }

            def society() -> None:
                names = course_names(session, "en")
                branches = organisation_branches(session, org_id)
                society_report(session, frozenset({org_id}), filters, branches, names, "en")

            def movement() -> None:
                course_names(session, "en")
                movement_report(session, None, filters, "en")

            society_queries = society_sql(postgres)
            movement_queries = movement_sql(postgres)
            results = [
                (
                    "Society report",
                    *timed_pair(repeat, society, lambda: run_raw(session, society_queries, params)),
                ),
                (
                    "Movement view",
                    *timed_pair(repeat, movement, lambda: run_raw(session, movement_queries, params)),
                ),
            ]
            ok = all([report_line(name, orm, raw, postgres) for name, orm, raw in results])
            click.echo(f"Load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.")
            if detail:
                for title, queries in (("Society", society_queries), ("Movement", movement_queries)):
                    for name, seconds in run_raw(session, queries, params).items():
                        click.echo(f"  {title:<9} {name:<42} {seconds * 1000:8.1f} ms")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
