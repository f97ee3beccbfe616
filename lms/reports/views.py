"""Report pages and exports: a Society's report, its people and invitations; the Movement view.

Every page and export asks `services.report_scope` first (403 for learners and authors) and
`services.organisation_in_scope` for a Society named in the URL (403 for another Society's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import _, format_date, format_decimal, format_percent, get_locale, ngettext
from flask_login import current_user, login_required

from lms import db
from lms.auth.models import User
from lms.db import utcnow
from lms.errors import NotFound, PermissionDenied
from lms.orgs.forms import REGION_LABELS
from lms.orgs.models import Branch, Organisation
from lms.reports import exports, invitations, queries, services
from lms.reports.forms import (
    KIND_LABELS,
    InvitationUploadForm,
    MovementFilterForm,
    PeopleSearchForm,
    ReportFilterForm,
)
from lms.reports.queries import SMALL_CELL, CourseNames, Scope, default_period

bp = Blueprint("reports", __name__)

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jsonl": "application/x-ndjson; charset=utf-8",
}


def _locale() -> str:
    return str(get_locale() or current_app.config["DEFAULT_LOCALE"])


def _actor() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _scope() -> Scope:
    try:
        return services.report_scope(_actor())
    except PermissionDenied:
        abort(403)


def _organisation(scope: Scope, code: str) -> Organisation:
    try:
        return services.organisation_in_scope(db.session, scope, code)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


def _movement_scope() -> Scope:
    scope = _scope()
    try:
        services.require_movement(scope)
    except PermissionDenied:
        abort(403)
    return scope


def _page_number() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _download(body: Any, fmt: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- Formatting in the reader's language (templates of this blueprint only) --------------------


def _number(value: float | None) -> str:
    return "—" if value is None else format_decimal(value)


def _percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%")


def _minutes(minutes: float | None) -> str:
    if minutes is None:
        return "—"
    return _("%(minutes)s min", minutes=format_decimal(minutes))


def _shown(count: int) -> str:
    return exports.SUPPRESSED if count < SMALL_CELL else format_decimal(count)


def _shown_percent(part: int, whole: int | None) -> str:
    return exports.SUPPRESSED if part < SMALL_CELL else _percent(part / whole if whole else None)


def _change(value: float | None) -> str:
    return "—" if value is None else format_percent(value / 100, "+#,##0.0%;-#,##0.0%")


def _month(first: date) -> str:
    return format_date(first, "MMM y")


def _day(moment: date | datetime) -> str:
    return format_date(moment, "medium")


@bp.context_processor
def _formatting() -> dict[str, Any]:
    return {
        "number": _number,
        "percent": _percent,
        "change": _change,
        "minutes": _minutes,
        "shown": _shown,
        "shown_percent": _shown_percent,
        "month_label": _month,
        "short_month": lambda first: format_date(first, "MMM"),
        "day": _day,
        "kind_labels": KIND_LABELS,
        "region_labels": REGION_LABELS,
        "small_cell": SMALL_CELL,
    }


# --- Index ------------------------------------------------------------------------------------


@bp.get("/reports")
@login_required
def index() -> Any:
    scope = _scope()
    if scope is None:
        return _movement_page(scope)
    organisations = services.organisations_in_scope(db.session, scope)
    if len(organisations) == 1:
        return redirect(url_for("reports.society", code=organisations[0].code))
    return render_template("reports/index.html", organisations=organisations, locale=_locale())


# --- One Society ------------------------------------------------------------------------------


@dataclass
class _Society:
    scope: Scope  # narrowed to the one organisation
    organisation: Organisation
    branches: list[Branch]
    names: CourseNames
    form: ReportFilterForm


def _society(code: str) -> _Society:
    organisation = _organisation(_scope(), code)
    branches = services.organisation_branches(db.session, organisation.id)
    names = queries.course_names(db.session, _locale())
    form = ReportFilterForm(formdata=request.args)
    form.set_courses(names.courses())
    form.set_branches([(branch.id, branch.name) for branch in branches])
    form.check(default_period(utcnow().date()))
    return _Society(frozenset({organisation.id}), organisation, branches, names, form)


def _filter_arguments(form: Any) -> dict[str, str]:
    """The filters as query parameters, for export links and pagination."""
    return {name: value for name, value in request.args.items() if name in form and value}


@bp.get("/reports/org/<code>")
@login_required
def society(code: str) -> str:
    context = _society(code)
    filters = context.form.filters()
    report = queries.society_report(
        db.session, context.scope, filters, context.branches, context.names, _locale()
    )
    _show_period(context.form, filters.period)
    return render_template(
        "reports/society.html",
        organisation=context.organisation,
        form=context.form,
        report=report,
        arguments=_filter_arguments(context.form),
        locale=_locale(),
        is_admin=_actor().is_admin,
    )


def _show_period(form: Any, period: queries.Period) -> None:
    """Fill the date fields with the period used, so the form says what the page shows."""
    if not form.errors:
        form.date_from.data, form.date_to.data = period.start, period.end


@bp.get("/reports/org/<code>/export.<fmt>")
@login_required
def society_export(code: str, fmt: str) -> Response:
    if fmt not in MIMETYPES:
        abort(404)
    context = _society(code)
    filters = context.form.filters()
    period = filters.period
    filename = f"{context.organisation.code}-completions-{period.start}-{period.end}.{fmt}"
    if fmt == "jsonl":
        lines = exports.xapi_lines(
            db.session,
            context.scope,
            filters,
            {context.organisation.id: context.organisation},
            current_app.config["BASE_URL"],
        )
        return _download(stream_with_context(lines), fmt, filename)
    completions = exports.completions_table(db.session, context.scope, filters, context.names)
    if fmt == "csv":
        return _download(stream_with_context(exports.csv_stream(completions)), fmt, filename)
    report = queries.society_report(
        db.session, context.scope, filters, context.branches, context.names, _locale()
    )
    kinds = {kind: str(label) for kind, label in KIND_LABELS.items()}
    workbook = exports.xlsx_file([exports.society_summary_table(report, kinds), completions])
    return _download(exports.stream_file(workbook), fmt, filename)


@bp.get("/reports/org/<code>/people")
@login_required
def people(code: str) -> str:
    organisation = _organisation(_scope(), code)
    form = PeopleSearchForm(formdata=request.args)
    search = form.q.data if form.validate() and form.q.data else ""
    names = queries.course_names(db.session, _locale())
    page = queries.people_page(db.session, frozenset({organisation.id}), search, _page_number(), names)
    return render_template(
        "reports/people.html",
        organisation=organisation,
        form=form,
        page=page,
        search=search,
        locale=_locale(),
    )


@bp.route("/reports/org/<code>/invitations", methods=["GET", "POST"])
@login_required
def invitations_upload(code: str) -> Any:
    organisation = _organisation(_scope(), code)
    form = InvitationUploadForm()
    problems: list[invitations.Problem] = []
    status = 200
    if form.validate_on_submit():
        try:
            invitees = invitations.read_invitation_file(db.session, organisation, form.file.data.read())
        except invitations.InvitationFileRejected as rejected:
            problems, status = rejected.problems, 422
        else:
            created = invitations.create_invitations(
                db.session, _actor(), organisation, invitees, current_app.config["INVITATION_MAX_AGE"]
            )
            db.session.commit()
            not_sent = invitations.send_invitations(
                current_app._get_current_object(),  # type: ignore[attr-defined]
                organisation,
                _actor(),
                created,
            )
            _flash_sent(len(created), not_sent)
            return redirect(url_for("reports.invitations_upload", code=organisation.code))
    elif form.errors:
        status = 422
    page = invitations.invitations_page(db.session, organisation.id, _page_number())
    return (
        render_template(
            "reports/invitations.html",
            organisation=organisation,
            form=form,
            problems=problems,
            page=page,
            columns=invitations.COLUMNS,
            max_rows=invitations.MAX_ROWS,
            now=utcnow(),
            locale=_locale(),
        ),
        status,
    )


def _flash_sent(created: int, not_sent: list[Any]) -> None:
    flash(
        ngettext("%(num)d invitation created.", "%(num)d invitations created.", created),
        "success",
    )
    if not_sent:
        flash(
            _(
                "The invitation e-mail could not be sent to: %(emails)s. "
                "Upload a file with these people again later to send them a new invitation.",
                emails=", ".join(invitation.email for invitation in not_sent),
            ),
            "error",
        )


# --- The Movement -----------------------------------------------------------------------------


def _movement_form(names: CourseNames) -> MovementFilterForm:
    form = MovementFilterForm(formdata=request.args)
    form.set_courses(names.courses())
    form.check(default_period(utcnow().date()))
    return form


def _movement_page(scope: Scope) -> str:
    names = queries.course_names(db.session, _locale())
    form = _movement_form(names)
    filters = form.filters()
    report = queries.movement_report(db.session, scope, filters, _locale())
    column, descending = form.sort_key()
    societies = queries.sorted_societies(report.societies, column, descending)
    _show_period(form, filters.period)
    return render_template(
        "reports/movement.html",
        form=form,
        report=report,
        societies=societies,
        sort_column=column,
        descending=descending,
        arguments=_filter_arguments(form),
        trend=exports.trend,
        locale=_locale(),
    )


@bp.get("/reports/movement.<fmt>")
@login_required
def movement_export(fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    scope = _movement_scope()
    names = queries.course_names(db.session, _locale())
    form = _movement_form(names)
    filters = form.filters()
    report = queries.movement_report(db.session, scope, filters, _locale())
    column, descending = form.sort_key()
    societies = queries.sorted_societies(report.societies, column, descending)
    regions = {region: str(label) for region, label in REGION_LABELS.items()}
    table = exports.movement_table(report, regions, societies)
    filename = f"movement-{filters.period.start}-{filters.period.end}.{fmt}"
    if fmt == "csv":
        return _download(exports.csv_stream(table), fmt, filename)
    return _download(exports.stream_file(exports.xlsx_file([table])), fmt, filename)
