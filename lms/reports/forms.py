"""Report filters (GET forms: no CSRF token), the people search and the invitation upload."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, SearchField, SelectChoice, SelectField
from wtforms.validators import Length, Optional, ValidationError

from lms.orgs.forms import REGION_LABELS
from lms.reports.queries import Period, ReportFilters, default_period

EARLIEST_DATE = date(2000, 1, 1)
# Five years of months still draw as a readable chart.
LONGEST_PERIOD = timedelta(days=5 * 366)
KIND_LABELS = {"staff": _l("Staff"), "volunteer": _l("Volunteers")}
SORT_COLUMNS = ("name", "region", "registered", "covered", "coverage", "headcount", "completions", "trend")


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


class _PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    course = SelectField(
        _l("Course"), choices=[SelectChoice("", _l("All courses"))], default="", validate_choice=True
    )
    kind = SelectField(
        _l("Staff or volunteers"),
        choices=[
            SelectChoice("", _l("Staff and volunteers")),
            *(SelectChoice(k, v) for k, v in KIND_LABELS.items()),
        ],
        default="",
        validate_choice=True,
    )
    date_from = DateField(_l("From"), [Optional()], format="%Y-%m-%d")
    date_to = DateField(_l("To"), [Optional()], format="%Y-%m-%d")

    def set_courses(self, courses: list[tuple[int, str]]) -> None:
        self.course.choices = [
            SelectChoice("", _l("All courses")),
            *(SelectChoice(str(cid), title) for cid, title in courses),
        ]

    def validate_date_from(self, field: DateField) -> None:
        if field.data and field.data < EARLIEST_DATE:
            raise ValidationError(_l("Choose a date from 2000 onwards."))

    def check(self, default: Period) -> bool:
        """Validate, then work out the period: in order, at most five years; else the default stays."""
        self.chosen_period = default
        if not self.validate():
            return False
        end = self.date_to.data or default.end
        start = self.date_from.data or default_period(end).start
        if start > end:
            self.date_to.errors.append(_l("The end of the period must be on or after its start."))
            return False
        if end - start > LONGEST_PERIOD:
            self.date_to.errors.append(_l("Choose a period of at most five years."))
            return False
        self.chosen_period = Period(start, end)
        return True


class ReportFilterForm(_PeriodForm):
    """Filters of one Society's report and of its exports."""

    branch = SelectField(
        _l("Branch"), choices=[SelectChoice("", _l("All branches"))], default="", validate_choice=True
    )

    def set_branches(self, branches: list[tuple[int, str]]) -> None:
        self.branch.choices = [
            SelectChoice("", _l("All branches")),
            *(SelectChoice(str(bid), name) for bid, name in branches),
        ]

    def filters(self) -> ReportFilters:
        """The filters to apply (after `check`); the defaults if the form is invalid (errors shown)."""
        if self.errors:
            return ReportFilters(self.chosen_period)
        return ReportFilters(
            period=self.chosen_period,
            course_id=_int_or_none(self.course.data),
            branch_id=_int_or_none(self.branch.data),
            person_kind=self.kind.data or None,
        )


class MovementFilterForm(_PeriodForm):
    """Filters and sort order of the Movement view and of its exports."""

    region = SelectField(
        _l("IFRC region"),
        choices=[
            SelectChoice("", _l("All regions")),
            *(SelectChoice(k, v) for k, v in REGION_LABELS.items()),
        ],
        default="",
        validate_choice=True,
    )
    sort = SelectField(
        _l("Sort by"),
        choices=[SelectChoice(column, column) for column in SORT_COLUMNS],
        default="name",
        validate_choice=False,
    )
    order = SelectField(
        _l("Order"),
        choices=[SelectChoice("asc", _l("Ascending")), SelectChoice("desc", _l("Descending"))],
        default="asc",
        validate_choice=False,
    )

    def filters(self) -> ReportFilters:
        """The filters to apply (after `check`); the defaults if the form is invalid (errors shown)."""
        if self.errors:
            return ReportFilters(self.chosen_period)
        return ReportFilters(
            period=self.chosen_period,
            course_id=_int_or_none(self.course.data),
            person_kind=self.kind.data or None,
            region=self.region.data or None,
        )

    def sort_key(self) -> tuple[str, bool]:
        """(column, descending); unknown values fall back to the name, ascending."""
        column = self.sort.data if self.sort.data in SORT_COLUMNS else "name"
        return column, self.order.data == "desc"


class PeopleSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Name or e-mail address"), [Optional(), Length(max=200)])


class InvitationUploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        [
            FileRequired(message=_l("Choose a CSV file to upload.")),
            FileAllowed(["csv", "txt"], message=_l("Upload a .csv file.")),
        ],
    )
