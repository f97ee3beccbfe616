"""Read-only report queries: every figure of the Society report and the Movement view.

Every query takes its organisations from `scoped()`, the one place a report is narrowed to
what the acting person may see. Aggregates are computed in SQL (GROUP BY, window functions)
with a fixed number of queries per page, whatever the size of the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, Select, String, and_, case, func, literal_column, or_, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from lms.auth.models import User
from lms.config import LOCALES
from lms.courses.models import Course, CourseVersion, CourseVersionTag
from lms.learning.models import Answer, Completion, Enrolment
from lms.orgs.models import Branch, Organisation
from lms.orgs.services import current_headcounts

BASIC_PSS_TAG = "basic-pss"
# Below this, a count in a cross-Society view is shown as "<5" so no one can be singled out.
SMALL_CELL = 5
PEOPLE_PAGE_SIZE = 50

# None: the whole Movement (administrators); otherwise the organisation ids one may see.
Scope = frozenset[int] | None
S = TypeVar("S", bound=Select[Any])


def scoped(stmt: S, organisation_column: ColumnElement[int], scope: Scope) -> S:
    """Narrow `stmt` to the organisations of `scope`; every report query goes through here."""
    if scope is None:
        return stmt
    return stmt.where(organisation_column.in_(sorted(scope)))


def _plan_for_these_values(session: Session) -> None:
    """On PostgreSQL, plan each report query for the Society and period it is run with.

    psycopg prepares a statement once a connection has run it five times, and PostgreSQL then
    settles on a generic plan, estimated without the values: for a large Society it came out
    serial, or a loop over the people, and the Society report took half as long again. Lasts
    until the end of the transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


class month_start(FunctionElement[Any]):
    """The month of a UTC timestamp, to group by: cheap for every row, named by `month_of` once per group."""

    name = "month_start"
    inherit_cache = True


@compiles(month_start)
def _month_start_sqlite(element: month_start, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_start, "postgresql")
def _month_start_postgresql(element: month_start, compiler: Any, **kw: Any) -> str:
    return f"date_trunc('month', ({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC')"


class month_of(FunctionElement[str]):
    """The 'YYYY-MM' name of a `month_start`, on SQLite and PostgreSQL."""

    type = String()
    name = "month_of"
    inherit_cache = True


@compiles(month_of)
def _month_of_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(month_of, "postgresql")
def _month_of_postgresql(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    def previous(self) -> Period:
        """The period of the same length just before this one (for trends)."""
        length = (self.end - self.start).days + 1
        return Period(self.start - timedelta(days=length), self.start - timedelta(days=1))

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        months, current = [], self.start.replace(day=1)
        while current <= self.end:
            months.append(current)
            current = (current + timedelta(days=32)).replace(day=1)
        return months


def default_period(today: date) -> Period:
    """The last 12 months: from the first day of the month 11 months ago to today."""
    month_index = today.year * 12 + today.month - 1 - 11
    return Period(date(month_index // 12, month_index % 12 + 1, 1), today)


@dataclass(frozen=True)
class ReportFilters:
    period: Period
    course_id: int | None = None
    branch_id: int | None = None
    person_kind: str | None = None
    region: str | None = None


def _in_period(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start_at, column < period.end_at)


def _completion_filters(filters: ReportFilters, period: Period | None = None) -> list[ColumnElement[bool]]:
    conditions = [_in_period(Completion.completed_at, period or filters.period)]
    if filters.course_id is not None:
        conditions.append(Completion.course_id == filters.course_id)
    if filters.branch_id is not None:
        conditions.append(Completion.branch_id == filters.branch_id)
    if filters.person_kind is not None:
        conditions.append(Completion.person_kind == filters.person_kind)
    return conditions


def _answer_filters(filters: ReportFilters) -> list[ColumnElement[bool]]:
    conditions = [_in_period(Answer.answered_at, filters.period)]
    if filters.course_id is not None:
        conditions.append(Answer.course_id == filters.course_id)
    if filters.branch_id is not None:
        conditions.append(Answer.branch_id == filters.branch_id)
    if filters.person_kind is not None:
        conditions.append(Answer.person_kind == filters.person_kind)
    return conditions


def _user_filters(filters: ReportFilters) -> list[ColumnElement[bool]]:
    conditions = [User.deleted_at.is_(None)]
    if filters.branch_id is not None:
        conditions.append(User.branch_id == filters.branch_id)
    if filters.person_kind is not None:
        conditions.append(User.person_kind == filters.person_kind)
    return conditions


def _enrolment_filters(filters: ReportFilters) -> list[ColumnElement[bool]]:
    conditions = [_in_period(Enrolment.started_at, filters.period)]
    if filters.course_id is not None:
        conditions.append(Enrolment.course_id == filters.course_id)
    if filters.branch_id is not None:
        conditions.append(User.branch_id == filters.branch_id)
    if filters.person_kind is not None:
        conditions.append(User.person_kind == filters.person_kind)
    return conditions


def ratio(part: int, whole: int | None) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


# --- Course names -----------------------------------------------------------------------------


@dataclass
class CourseNames:
    """Titles of every course and version in one language, read in one query."""

    version_titles: dict[int, str] = field(default_factory=dict)
    version_labels: dict[int, str] = field(default_factory=dict)
    course_titles: dict[int, str] = field(default_factory=dict)
    course_slugs: dict[int, str] = field(default_factory=dict)

    def courses(self) -> list[tuple[int, str]]:
        return sorted(self.course_titles.items(), key=lambda item: item[1].casefold())


def course_names(session: Session, locale: str) -> CourseNames:
    """Titles in `locale`, or in the first other language the version has."""
    languages = [locale, *[code for code in LOCALES if code != locale]]
    title = func.coalesce(
        *[CourseVersion.content[("localized", language, "title")].as_string() for language in languages]
    )
    rows = session.execute(
        select(CourseVersion.id, CourseVersion.course_id, CourseVersion.label, Course.slug, title)
        .join(Course, Course.id == CourseVersion.course_id)
        .order_by(CourseVersion.course_id, CourseVersion.number)
    )
    names = CourseNames()
    for version_id, course_id, label, slug, version_title in rows:
        names.version_titles[version_id] = version_title or slug
        names.version_labels[version_id] = label
        # Ordered by number: the latest version names the course.
        names.course_titles[course_id] = version_title or slug
        names.course_slugs[course_id] = slug
    return names


# --- Shared pieces of both views --------------------------------------------------------------


@dataclass(frozen=True)
class DeclaredHeadcount:
    staff: int
    volunteers: int
    as_of: date

    @property
    def total(self) -> int:
        return self.staff + self.volunteers

    def part(self, person_kind: str | None) -> int:
        """The declared staff, volunteers, or both (None)."""
        return {"staff": self.staff, "volunteer": self.volunteers}.get(person_kind or "", self.total)


def declared_headcounts(session: Session, scope: Scope) -> dict[int, DeclaredHeadcount]:
    """The headcount in force of each organisation of `scope` (one query)."""
    declared = current_headcounts(session, None if scope is None else sorted(scope))
    return {org_id: DeclaredHeadcount(h.staff, h.volunteers, h.as_of) for org_id, h in declared.items()}


def _registered_and_covered(
    session: Session, scope: Scope, filters: ReportFilters, *group_by: Any
) -> dict[tuple[Any, ...], list[int]]:
    """{group: [registered, covered]} for the given User columns.

    Covered: a registered person with a completion of a `basic-pss` course version recorded
    for their organisation before the end of the period. An EXISTS filter, which databases run
    as a semi-join; `IN (subquery)` in the select list made PostgreSQL re-run the subquery for
    every person once it no longer fit in memory.
    """
    registered = scoped(
        select(*group_by, func.count()).where(*_user_filters(filters)).group_by(*group_by),
        User.organisation_id,
        scope,
    )
    has_completed_basic_pss = (
        select(Completion.id)
        .join(
            CourseVersionTag,
            and_(
                CourseVersionTag.course_version_id == Completion.course_version_id,
                CourseVersionTag.tag == BASIC_PSS_TAG,
            ),
        )
        .where(
            Completion.user_id == User.id,
            Completion.organisation_id == User.organisation_id,
            Completion.completed_at < filters.period.end_at,
        )
        .exists()
    )
    covered = registered.where(has_completed_basic_pss)
    counts: dict[tuple[Any, ...], list[int]] = {}
    for *key, count in session.execute(registered):
        counts[tuple(key)] = [count, 0]
    for *key, count in session.execute(covered):
        counts.setdefault(tuple(key), [0, 0])[1] = count
    return counts


# --- Society report ---------------------------------------------------------------------------


@dataclass
class Counts:
    registered: int = 0
    covered: int = 0
    completions: int = 0

    @property
    def coverage(self) -> float | None:
        return ratio(self.covered, self.registered)


@dataclass
class CourseRow:
    course_id: int
    title: str
    started: int = 0
    started_completed: int = 0
    completions: int = 0
    median_minutes: float | None = None

    @property
    def completion_rate(self) -> float | None:
        return ratio(self.started_completed, self.started)


@dataclass
class QuestionRow:
    course_title: str
    version_label: str
    block_id: str
    question_id: str
    prompt: str
    first_tries: int
    first_try_correct: int

    @property
    def pass_rate(self) -> float | None:
        return ratio(self.first_try_correct, self.first_tries)


@dataclass
class SocietyReport:
    filters: ReportFilters
    totals: Counts
    headcount: DeclaredHeadcount | None
    people_started: int
    started: int
    started_completed: int
    median_minutes: float | None
    by_course: list[CourseRow]
    by_branch: list[tuple[int | None, str | None, Counts]]
    by_kind: dict[str, Counts]
    by_language: list[tuple[str, int]]
    by_month: list[tuple[date, int]]
    questions: list[QuestionRow]

    @property
    def completion_rate(self) -> float | None:
        return ratio(self.started_completed, self.started)

    @property
    def compared_headcount(self) -> int | None:
        """The declared number the covered people are compared with: none for one branch
        (headcounts are declared for the whole organisation), else staff, volunteers or both."""
        if self.headcount is None or self.filters.branch_id is not None:
            return None
        return self.headcount.part(self.filters.person_kind)

    @property
    def coverage_of_headcount(self) -> float | None:
        return ratio(self.totals.covered, self.compared_headcount)


def median(histogram: Iterable[tuple[int, int]]) -> float | None:
    """The median of values given as (value, how many times) pairs; None for no values."""
    pairs = sorted(histogram)
    total = sum(count for _, count in pairs)
    if not total:
        return None
    # The middle value, or the mean of the middle two (1-based positions).
    wanted, found, seen = [(total + 1) // 2, (total + 2) // 2], [], 0
    for value, count in pairs:
        seen += count
        while wanted and wanted[0] <= seen:
            found.append(value)
            wanted.pop(0)
    return sum(found) / len(found)


def _minutes_histogram(
    session: Session, scope: Scope, filters: ReportFilters
) -> dict[int, list[tuple[int, int]]]:
    """Completions in the period per course and whole minute spent: counts and medians in one pass.

    Grouping on SQLite and PostgreSQL alike, where a percentile function exists on only one.
    """
    minute = (Completion.time_spent_seconds // literal_column("60")).label("minute")
    stmt = scoped(
        select(Completion.course_id, minute, func.count())
        .where(*_completion_filters(filters))
        .group_by(Completion.course_id, minute),
        Completion.organisation_id,
        scope,
    )
    histograms: dict[int, list[tuple[int, int]]] = {}
    for course_id, minutes, count in session.execute(stmt):
        histograms.setdefault(course_id, []).append((minutes, count))
    return histograms


def society_report(
    session: Session,
    scope: Scope,
    filters: ReportFilters,
    branches: Iterable[Branch],
    names: CourseNames,
    locale: str,
) -> SocietyReport:
    """Every figure of the Society report for the organisations in `scope` (a bounded set of queries)."""
    _plan_for_these_values(session)
    # Registered and covered people by branch and staff/volunteer (current account details).
    totals, by_kind = Counts(), {kind: Counts() for kind in ("staff", "volunteer")}
    by_branch: dict[int | None, Counts] = {}
    people = _registered_and_covered(session, scope, filters, User.branch_id, User.person_kind)
    for (branch_id, kind), (registered, covered) in people.items():
        for counts in (totals, by_kind.setdefault(kind, Counts()), by_branch.setdefault(branch_id, Counts())):
            counts.registered += registered
            counts.covered += covered

    # Completions in the period by branch and staff/volunteer (as recorded at completion).
    completions_by = scoped(
        select(Completion.branch_id, Completion.person_kind, func.count())
        .where(*_completion_filters(filters))
        .group_by(Completion.branch_id, Completion.person_kind),
        Completion.organisation_id,
        scope,
    )
    for branch_id, kind, count in session.execute(completions_by):
        totals.completions += count
        by_kind.setdefault(kind, Counts()).completions += count
        by_branch.setdefault(branch_id, Counts()).completions += count

    # Completions in the period by language and month, in one pass (few rows: languages x months).
    month = month_start(Completion.completed_at)
    by_language_and_month = scoped(
        select(Completion.language, month_of(month), func.count())
        .where(*_completion_filters(filters))
        .group_by(Completion.language, month),
        Completion.organisation_id,
        scope,
    )
    languages: dict[str, int] = {}
    monthly: dict[str, int] = {}
    for language, month_key, count in session.execute(by_language_and_month):
        languages[language] = languages.get(language, 0) + count
        monthly[month_key] = monthly.get(month_key, 0) + count
    by_language = sorted(languages.items(), key=lambda item: (-item[1], item[0]))
    by_month = [(first, monthly.get(first.strftime("%Y-%m"), 0)) for first in filters.period.months()]

    # Per course: enrolments started in the period (and how many of those are completed), and
    # completions in the period with their median time.
    courses: dict[int, CourseRow] = {}

    def course_row(course_id: int) -> CourseRow:
        return courses.setdefault(course_id, CourseRow(course_id, names.course_titles.get(course_id, "?")))

    # The first enrolment of each person counts them once among the people who started.
    first_of_person = case(
        (func.row_number().over(partition_by=Enrolment.user_id, order_by=Enrolment.id) == 1, 1), else_=0
    )
    started = scoped(
        select(Enrolment.course_id, Enrolment.completed_at, first_of_person.label("first"))
        .join(User, User.id == Enrolment.user_id)
        .where(*_enrolment_filters(filters)),
        User.organisation_id,
        scope,
    ).subquery()
    people_started = 0
    for course_id, count, completed, people in session.execute(
        select(
            started.c.course_id, func.count(), func.count(started.c.completed_at), func.sum(started.c.first)
        ).group_by(started.c.course_id)
    ):
        row = course_row(course_id)
        row.started, row.started_completed = count, completed
        people_started += int(people)
    all_minutes: list[tuple[int, int]] = []
    for course_id, histogram in _minutes_histogram(session, scope, filters).items():
        row = course_row(course_id)
        row.completions = sum(count for _, count in histogram)
        row.median_minutes = median(histogram)
        all_minutes += histogram

    headcounts = declared_headcounts(session, scope)
    branch_names = {branch.id: branch.name for branch in branches}
    branch_rows = [
        (branch_id, branch_names.get(branch_id) if branch_id is not None else None, counts)
        for branch_id, counts in by_branch.items()
    ]
    branch_rows.sort(key=lambda item: (item[1] is None, (item[1] or "").casefold()))
    course_rows = sorted(courses.values(), key=lambda row: row.title.casefold())
    return SocietyReport(
        filters=filters,
        totals=totals,
        headcount=_sum_headcounts(headcounts.values()),
        people_started=people_started,
        started=sum(row.started for row in course_rows),
        started_completed=sum(row.started_completed for row in course_rows),
        median_minutes=median(all_minutes),
        by_course=course_rows,
        by_branch=branch_rows,
        by_kind=by_kind,
        by_language=by_language,
        by_month=by_month,
        questions=first_try_pass_rates(session, scope, filters, names, locale),
    )


def _sum_headcounts(headcounts: Iterable[DeclaredHeadcount]) -> DeclaredHeadcount | None:
    """One organisation's headcount, or the sum of several dated by the oldest declaration."""
    headcounts = list(headcounts)
    if not headcounts:
        return None
    return DeclaredHeadcount(
        staff=sum(h.staff for h in headcounts),
        volunteers=sum(h.volunteers for h in headcounts),
        as_of=min(h.as_of for h in headcounts),
    )


def _knowledge_check_prompts(content: dict[str, Any], locale: str) -> Iterator[tuple[str, str, str]]:
    """(block id, question id, prompt) of every knowledge-check question, in course order."""
    localized = content.get("localized", {})
    text = localized.get(locale) or localized.get(content.get("source_language", "en")) or {}
    for module in text.get("modules", []):
        for lesson in module.get("lessons", []):
            for block in lesson.get("blocks", []):
                if block.get("type") == "knowledge_check":
                    for question in block.get("questions", []):
                        yield block["id"], question["id"], question.get("prompt", "")


def first_try_pass_rates(
    session: Session, scope: Scope, filters: ReportFilters, names: CourseNames, locale: str
) -> list[QuestionRow]:
    """For each knowledge-check question: first attempts in the period and how many were right.

    Organisation, branch and staff/volunteer are those copied onto the answer when it was given
    (as for completions), so the answer table alone is read, through its first-try index.
    """
    stmt = scoped(
        select(
            Answer.course_version_id,
            Answer.block_id,
            Answer.question_id,
            func.count(),
            func.coalesce(func.sum(case((Answer.correct, 1), else_=0)), 0),
        )
        # A literal 1, not a parameter: SQLite then sees that the partial first-try index applies.
        .where(Answer.attempt == literal_column("1"), *_answer_filters(filters))
        .group_by(Answer.course_version_id, Answer.block_id, Answer.question_id),
        Answer.organisation_id,
        scope,
    )
    counts = {
        (version, block, question): (n, right) for version, block, question, n, right in session.execute(stmt)
    }
    if not counts:
        return []
    version_ids = sorted({version for version, _, _ in counts})
    contents = session.execute(
        select(CourseVersion.id, CourseVersion.content).where(CourseVersion.id.in_(version_ids))
    )
    rows = []
    for version_id, content in sorted(
        contents, key=lambda item: (names.version_titles.get(item[0], "").casefold(), item[0])
    ):
        # Only knowledge-check questions: scenario choices are also answers but have no right one.
        for block_id, question_id, prompt in _knowledge_check_prompts(content, locale):
            n, right = counts.get((version_id, block_id, question_id), (0, 0))
            if n:
                rows.append(
                    QuestionRow(
                        course_title=names.version_titles.get(version_id, "?"),
                        version_label=names.version_labels.get(version_id, ""),
                        block_id=block_id,
                        question_id=question_id,
                        prompt=prompt,
                        first_tries=n,
                        first_try_correct=int(right),
                    )
                )
    return rows


# --- Movement view ----------------------------------------------------------------------------


@dataclass
class SocietyRow:
    organisation_id: int
    code: str
    name: str
    region: str | None
    registered: int = 0
    covered: int = 0
    completions: int = 0
    previous_completions: int = 0
    headcount: DeclaredHeadcount | None = None
    # Staff or volunteers only, when the view is filtered so.
    person_kind: str | None = None

    @property
    def coverage(self) -> float | None:
        return ratio(self.covered, self.registered)

    @property
    def compared_headcount(self) -> int | None:
        return self.headcount.part(self.person_kind) if self.headcount else None

    @property
    def coverage_of_headcount(self) -> float | None:
        return ratio(self.covered, self.compared_headcount)


@dataclass
class MovementReport:
    filters: ReportFilters
    societies: list[SocietyRow]
    regions: list[tuple[str | None, SocietyRow]]
    total: SocietyRow


def movement_report(session: Session, scope: Scope, filters: ReportFilters, locale: str) -> MovementReport:
    """Registered, coverage, completions this period and the previous one, per organisation."""
    _plan_for_these_values(session)
    organisations = session.execute(
        scoped(
            select(Organisation.id, Organisation.code, Organisation.region, Organisation.name_en)
            .add_columns(getattr(Organisation, f"name_{locale}", Organisation.name_en))
            .where(Organisation.active.is_(True))
            .where(*([Organisation.region == filters.region] if filters.region else [])),
            Organisation.id,
            scope,
        )
    )
    kind = filters.person_kind
    rows = {
        org_id: SocietyRow(org_id, code, localized or name_en, region, person_kind=kind)
        for org_id, code, region, name_en, localized in organisations
    }
    # The whole Movement needs no list of ids (rows of inactive organisations are skipped below);
    # a region, or a narrower scope, does.
    narrowed: Scope = scope if filters.region is None else frozenset(rows)
    # Only the organisations listed; no other filter on people than staff/volunteer.
    people_filters = ReportFilters(filters.period, person_kind=filters.person_kind)
    people = _registered_and_covered(session, narrowed, people_filters, User.organisation_id)
    for (org_id,), (registered, covered) in people.items():
        if org_id in rows:
            rows[org_id].registered, rows[org_id].covered = registered, covered

    previous = filters.period.previous()
    in_current = case((Completion.completed_at >= filters.period.start_at, 1), else_=0)
    in_previous = case((Completion.completed_at < filters.period.start_at, 1), else_=0)
    both_periods = Period(previous.start, filters.period.end)
    completions = scoped(
        select(Completion.organisation_id, func.sum(in_current), func.sum(in_previous))
        .where(*_completion_filters(filters, both_periods))
        .group_by(Completion.organisation_id),
        Completion.organisation_id,
        narrowed,
    )
    for org_id, current, before in session.execute(completions):
        if org_id in rows:
            rows[org_id].completions, rows[org_id].previous_completions = int(current), int(before)
    for org_id, headcount in declared_headcounts(session, narrowed).items():
        if org_id in rows:
            rows[org_id].headcount = headcount

    societies = sorted(rows.values(), key=lambda row: row.name.casefold())
    regions: dict[str | None, SocietyRow] = {}
    for row in societies:
        region = regions.setdefault(
            row.region, SocietyRow(0, "", row.region or "", row.region, person_kind=kind)
        )
        _add_into(region, row)
    total = SocietyRow(0, "", "", None, person_kind=kind)
    for row in societies:
        _add_into(total, row)
    region_rows = sorted(regions.items(), key=lambda item: (item[0] is None, item[0] or ""))
    return MovementReport(filters, societies, region_rows, total)


def _count_key(count: int) -> int:
    # Counts shown as "<5" must sort as equals, or the order would tell them apart.
    return count if count >= SMALL_CELL else 0


def _percent_key(part: int, whole: int | None) -> float:
    return part / whole if whole and part >= SMALL_CELL else -1.0


def _trend_key(row: SocietyRow) -> float:
    if row.completions < SMALL_CELL or row.previous_completions < SMALL_CELL:
        return float("-inf")
    return (row.completions - row.previous_completions) / row.previous_completions


SORT_KEYS = {
    "name": lambda row: 0,
    "region": lambda row: row.region or "~",
    "registered": lambda row: _count_key(row.registered),
    "covered": lambda row: _count_key(row.covered),
    "coverage": lambda row: _percent_key(row.covered, row.registered),
    "headcount": lambda row: _count_key(row.compared_headcount) if row.headcount else -1,
    "completions": lambda row: _count_key(row.completions),
    "trend": _trend_key,
}


def sorted_societies(rows: list[SocietyRow], column: str, descending: bool) -> list[SocietyRow]:
    """The rows ordered by a column of the Movement view (as shown, suppressed), then by name."""
    key = SORT_KEYS.get(column, SORT_KEYS["name"])
    by_name = sorted(rows, key=lambda row: row.name.casefold(), reverse=descending and column == "name")
    return sorted(by_name, key=key, reverse=descending)


def _add_into(total: SocietyRow, row: SocietyRow) -> None:
    total.registered += row.registered
    total.covered += row.covered
    total.completions += row.completions
    total.previous_completions += row.previous_completions
    if row.headcount:
        base = total.headcount
        total.headcount = _sum_headcounts([row.headcount, *([base] if base else [])])


# --- People list ------------------------------------------------------------------------------


@dataclass
class PersonCourse:
    version_id: int
    title: str
    started_at: datetime
    at: datetime  # completed at, or last activity for a course in progress
    score: int | None = None


@dataclass
class PersonRow:
    user_id: int
    name: str
    email: str | None
    branch: str | None
    person_kind: str
    completed: list[PersonCourse] = field(default_factory=list)
    in_progress: list[PersonCourse] = field(default_factory=list)


@dataclass
class PeoplePage:
    people: list[PersonRow]
    total: int
    page: int
    pages: int


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def people_page(
    session: Session,
    scope: Scope,
    search: str,
    page: int,
    names: CourseNames,
    per_page: int = PEOPLE_PAGE_SIZE,
) -> PeoplePage:
    """One page of the people of `scope`, with their completions and courses in progress (4 queries)."""
    people = scoped(select(User.id).where(User.deleted_at.is_(None)), User.organisation_id, scope)
    if search.strip():
        pattern = _like_pattern(search.strip())
        people = people.where(
            or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"))
        )
    total = session.scalar(select(func.count()).select_from(people.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = session.execute(
        people.with_only_columns(User.id, User.name, User.email, Branch.name, User.person_kind)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .order_by(User.name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    persons = {uid: PersonRow(uid, name, email, branch, kind) for uid, name, email, branch, kind in rows}
    if persons:
        ids = sorted(persons)
        completions = session.execute(
            select(
                Completion.user_id,
                Completion.course_version_id,
                Completion.started_at,
                Completion.completed_at,
                Completion.score,
            )
            .where(Completion.user_id.in_(ids))
            .order_by(Completion.completed_at)
        )
        for user_id, version_id, started_at, completed_at, score in completions:
            persons[user_id].completed.append(
                PersonCourse(
                    version_id, names.version_titles.get(version_id, "?"), started_at, completed_at, score
                )
            )
        in_progress = session.execute(
            select(
                Enrolment.user_id,
                Enrolment.course_version_id,
                Enrolment.started_at,
                Enrolment.last_activity_at,
            )
            .where(Enrolment.user_id.in_(ids), Enrolment.completed_at.is_(None))
            .order_by(Enrolment.last_activity_at.desc())
        )
        for user_id, version_id, started_at, last_activity_at in in_progress:
            persons[user_id].in_progress.append(
                PersonCourse(
                    version_id, names.version_titles.get(version_id, "?"), started_at, last_activity_at
                )
            )
    return PeoplePage(list(persons.values()), total, page, pages)


# --- Rows for exports -------------------------------------------------------------------------


EXPORT_BATCH = 1000


def completion_export_rows(session: Session, scope: Scope, filters: ReportFilters) -> Iterator[Row[Any]]:
    """Every completion the filters select, oldest first, read in batches (never all at once)."""
    stmt = scoped(
        select(
            Completion.id,
            Completion.certificate_code,
            User.name.label("person_name"),
            User.email,
            User.deleted_at,
            Organisation.code,
            Branch.name.label("branch_name"),
            Completion.person_kind,
            Completion.course_id,
            Completion.course_version_id,
            Course.slug,
            CourseVersion.label,
            Completion.language,
            Completion.score,
            Completion.time_spent_seconds,
            Completion.started_at,
            Completion.completed_at,
        )
        .join(Organisation, Organisation.id == Completion.organisation_id)
        .join(Course, Course.id == Completion.course_id)
        .join(CourseVersion, CourseVersion.id == Completion.course_version_id)
        .outerjoin(User, User.id == Completion.user_id)
        .outerjoin(Branch, Branch.id == Completion.branch_id)
        .where(*_completion_filters(filters))
        .order_by(Completion.completed_at, Completion.id),
        Completion.organisation_id,
        scope,
    )
    yield from session.execute(stmt, execution_options={"yield_per": EXPORT_BATCH})


def completion_ids(session: Session, scope: Scope, filters: ReportFilters) -> Iterator[list[int]]:
    """Ids of the completions the filters select, in batches (the xAPI export loads each batch)."""
    stmt = scoped(
        select(Completion.id)
        .where(*_completion_filters(filters))
        .order_by(Completion.completed_at, Completion.id),
        Completion.organisation_id,
        scope,
    )
    result = session.execute(stmt, execution_options={"yield_per": EXPORT_BATCH})
    for partition in result.scalars().partitions():
        yield list(partition)
