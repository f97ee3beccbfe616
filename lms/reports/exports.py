"""Exports of what a report's filters show: CSV, XLSX and xAPI statements (JSON Lines).

Every export streams: rows are read from the database in batches and written out as they
come, so a large Society's export never sits whole in memory. The XLSX workbook is written
by XlsxWriter in constant-memory mode to a temporary file, which is then streamed.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

import xlsxwriter
from flask_babel import _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.learning.models import Completion
from lms.learning.services import completion_statement
from lms.orgs.models import Organisation
from lms.reports.queries import (
    SMALL_CELL,
    CourseNames,
    MovementReport,
    ReportFilters,
    Scope,
    SocietyReport,
    SocietyRow,
    completion_export_rows,
    completion_ids,
)

CHUNK_ROWS = 500
FILE_CHUNK = 64 * 1024
SUPPRESSED = f"<{SMALL_CELL}"
# A cell starting with one of these is a formula to a spreadsheet: written as text instead.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    """One exported table: a sheet in XLSX, the whole file in CSV."""

    title: str
    header: list[str]
    rows: Iterable[list[Any]]


def suppress(count: int) -> int | str:
    """A count as shown across Societies: below 5 it becomes "<5"."""
    return count if count >= SMALL_CELL else SUPPRESSED


def suppressed_percent(part: int, whole: int | None) -> float | str | None:
    """part/whole as a percentage (one decimal), "<5" when fewer than 5 people are counted."""
    if part < SMALL_CELL:
        return SUPPRESSED
    return round(100 * part / whole, 1) if whole else None


def percent(part: int, whole: int | None) -> float | None:
    """part/whole as a percentage with one decimal; None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def _minutes(seconds: float | None) -> float | None:
    return round(seconds / 60, 1) if seconds is not None else None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# --- CSV --------------------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _utc(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_stream(table: Table) -> Iterator[str]:
    """The table as CSV text, a few hundred rows at a time (with a BOM so spreadsheets read UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(table.header)
    for count, row in enumerate(table.rows, start=1):
        writer.writerow([_csv_cell(value) for value in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- XLSX -------------------------------------------------------------------------------------


def xlsx_file(tables: list[Table]) -> IO[bytes]:
    """Write the tables, one sheet each, to an anonymous temporary file, rewound for reading."""
    # Closed by stream_file once sent; anonymous, so the file disappears with the handle.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        _write_workbook(handle, tables)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


def _write_workbook(handle: IO[bytes], tables: list[Table]) -> None:
    workbook = xlsxwriter.Workbook(handle, {"constant_memory": True})
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for table in tables:
        sheet = workbook.add_worksheet(table.title[:31])
        for column, name in enumerate(table.header):
            sheet.write_string(0, column, name, bold)
        for row_number, row in enumerate(table.rows, start=1):
            for column, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(row_number, column, value)
                elif isinstance(value, int | float):
                    sheet.write_number(row_number, column, value)
                elif isinstance(value, datetime):
                    sheet.write_datetime(row_number, column, _utc(value), when)
                elif isinstance(value, date):
                    sheet.write_datetime(
                        row_number, column, datetime.combine(value, datetime.min.time()), day
                    )
                else:
                    # Always text, never a formula, whatever the cell starts with.
                    sheet.write_string(row_number, column, str(value))
    workbook.close()


def stream_file(handle: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes in chunks; closes (and so deletes) it at the end."""
    try:
        while chunk := handle.read(FILE_CHUNK):
            yield chunk
    finally:
        handle.close()


# --- xAPI -------------------------------------------------------------------------------------


def xapi_lines(
    session: Session,
    scope: Scope,
    filters: ReportFilters,
    organisations: dict[int, Organisation],
    base_url: str,
) -> Iterator[str]:
    """One xAPI 1.0.3 statement per completion the filters select, one JSON document per line."""
    for batch in completion_ids(session, scope, filters):
        completions = session.scalars(
            select(Completion)
            .where(Completion.id.in_(batch))
            .options(
                selectinload(Completion.user),
                selectinload(Completion.course),
                selectinload(Completion.course_version),
            )
            .order_by(Completion.completed_at, Completion.id)
        )
        yield "".join(
            json.dumps(
                completion_statement(completion, base_url, organisations.get(completion.organisation_id)),
                ensure_ascii=False,
                separators=(",", ":"),
            )
            + "\n"
            for completion in completions
        )


# --- The Society report -----------------------------------------------------------------------


def completions_table(session: Session, scope: Scope, filters: ReportFilters, names: CourseNames) -> Table:
    """Every completion the filters select, one per row (people of the Society: never across Societies)."""
    header = [
        _("Certificate code"),
        _("Name"),
        _("E-mail address"),
        _("Organisation"),
        _("Branch"),
        _("Staff or volunteer"),
        _("Course"),
        _("Course title"),
        _("Version"),
        _("Language"),
        _("Score (%)"),
        _("Time spent (minutes)"),
        _("Started (UTC)"),
        _("Completed (UTC)"),
    ]

    def rows() -> Iterator[list[Any]]:
        for row in completion_export_rows(session, scope, filters):
            present = row.deleted_at is None and row.email is not None
            yield [
                row.certificate_code,
                row.person_name if present else None,
                row.email if present else None,
                row.code,
                row.branch_name,
                row.person_kind,
                row.slug,
                names.version_titles.get(row.course_version_id, row.slug),
                row.label,
                row.language,
                row.score,
                _minutes(row.time_spent_seconds),
                row.started_at,
                row.completed_at,
            ]

    return Table(_("Completions"), header, rows())


def society_summary_table(report: SocietyReport, kind_labels: dict[str, str]) -> Table:
    """The figures of the report page, section after section, as one sheet."""
    totals = report.totals
    headcount = report.headcount
    rows: list[list[Any]] = [
        [_("Period"), report.filters.period.start, report.filters.period.end],
        [_("Registered staff and volunteers"), totals.registered],
        [_("Covered: completed a basic PSS course"), totals.covered],
        [_("Coverage of registered people (%)"), percent(totals.covered, totals.registered)],
        [
            _("Declared headcount"),
            headcount.total if headcount else None,
            headcount.as_of if headcount else None,
        ],
        [
            _("Coverage of the declared headcount (%)"),
            percent(totals.covered, report.compared_headcount),
        ],
        [_("People who started a course"), report.people_started],
        [_("Courses started"), report.started],
        [_("Of these, completed"), report.started_completed],
        [_("Completion rate (%)"), percent(report.started_completed, report.started)],
        [_("Completions"), totals.completions],
        [_("Median time to complete (minutes)"), report.median_minutes],
        [],
        [
            _("Course"),
            _("Started"),
            _("Of these, completed"),
            _("Completion rate (%)"),
            _("Completions"),
            _("Median time to complete (minutes)"),
        ],
    ]
    rows += [
        [
            row.title,
            row.started,
            row.started_completed,
            percent(row.started_completed, row.started),
            row.completions,
            row.median_minutes,
        ]
        for row in report.by_course
    ]
    rows += [[], [_("Branch"), _("Registered"), _("Covered"), _("Coverage (%)"), _("Completions")]]
    rows += [
        [name or _("No branch"), c.registered, c.covered, percent(c.covered, c.registered), c.completions]
        for _branch_id, name, c in report.by_branch
    ]
    rows += [
        [],
        [_("Staff or volunteer"), _("Registered"), _("Covered"), _("Coverage (%)"), _("Completions")],
    ]
    rows += [
        [
            kind_labels.get(kind, kind),
            c.registered,
            c.covered,
            percent(c.covered, c.registered),
            c.completions,
        ]
        for kind, c in report.by_kind.items()
    ]
    rows += [[], [_("Language"), _("Completions")], *([language, n] for language, n in report.by_language)]
    rows += [
        [],
        [_("Month"), _("Completions")],
        *([month.strftime("%Y-%m"), n] for month, n in report.by_month),
    ]
    rows += [
        [],
        [
            _("Course"),
            _("Version"),
            _("Question"),
            _("First tries"),
            _("Right at first try"),
            _("Pass rate (%)"),
        ],
    ]
    rows += [
        [
            q.course_title,
            q.version_label,
            q.prompt,
            q.first_tries,
            q.first_try_correct,
            percent(q.first_try_correct, q.first_tries),
        ]
        for q in report.questions
    ]
    return Table(_("Summary"), [_("Figure"), _("Value"), ""], rows)


# --- The Movement view ------------------------------------------------------------------------


def trend(row: SocietyRow) -> float | None:
    """Change of completions against the previous period (%); none when either side is below 5."""
    if row.completions < SMALL_CELL or row.previous_completions < SMALL_CELL:
        return None
    return round(100 * (row.completions - row.previous_completions) / row.previous_completions, 1)


def movement_table(report: MovementReport, region_labels: dict[str, str], rows: list[SocietyRow]) -> Table:
    """One row per Society: aggregates only, every count below 5 shown as "<5"."""
    header = [
        _("Code"),
        _("Organisation"),
        _("IFRC region"),
        _("Registered"),
        _("Covered"),
        _("Coverage (%)"),
        _("Declared headcount"),
        _("Headcount as of"),
        _("Coverage of the declared headcount (%)"),
        _("Completions"),
        _("Completions in the previous period"),
        _("Trend (%)"),
    ]
    body = [
        [
            row.code,
            row.name,
            region_labels.get(row.region or "", row.region or ""),
            suppress(row.registered),
            suppress(row.covered),
            suppressed_percent(row.covered, row.registered),
            suppress(row.compared_headcount) if row.headcount else None,
            row.headcount.as_of if row.headcount else None,
            suppressed_percent(row.covered, row.compared_headcount) if row.headcount else None,
            suppress(row.completions),
            suppress(row.previous_completions),
            trend(row),
        ]
        for row in rows
    ]
    return Table(_("Movement"), header, body)
