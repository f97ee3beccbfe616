"""Organisations pages: the list, one organisation (branches, headcount, support contacts), settings."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import _, get_locale
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from lms import db
from lms.auth.models import User
from lms.auth.permissions import can_manage_organisation, visible_organisation_ids
from lms.config import LOCALES
from lms.i18n import LANGUAGE_NAMES
from lms.orgs import services
from lms.orgs.forms import (
    REGION_LABELS,
    ActiveForm,
    BranchForm,
    HeadcountForm,
    OrganisationFilterForm,
    SupportContactsForm,
)
from lms.orgs.models import Branch, Organisation

bp = Blueprint("orgs", __name__)

PER_PAGE = 50


def _locale() -> str:
    return str(get_locale() or "en")


def _actor() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _require_some_organisation() -> set[int] | None:
    """The organisations the user manages (None: all); 403 for anyone who manages none."""
    visible = visible_organisation_ids(_actor())
    if visible is not None and not visible:
        abort(403)
    return visible


def _organisation_or_404(code: str) -> Organisation:
    _require_some_organisation()
    organisation = services.get_organisation_by_code(db.session, code)
    if organisation is None:
        abort(404)
    return organisation


def _managed_organisation(code: str) -> Organisation:
    organisation = _organisation_or_404(code)
    if not can_manage_organisation(_actor(), organisation.id):
        abort(403)
    return organisation


def _branch_or_404(organisation: Organisation, branch_id: int) -> Branch:
    branch = services.get_branch(db.session, organisation, branch_id)
    if branch is None:
        abort(404)
    return branch


def _detail_url(organisation: Organisation, anchor: str | None = None) -> str:
    return url_for("orgs.detail", code=organisation.code, _anchor=anchor)


@bp.get("/orgs")
@login_required
def index() -> str | Response:
    visible = _require_some_organisation()
    if visible is not None and len(visible) == 1:
        only = db.session.get(Organisation, next(iter(visible)))
        if only is not None:
            return redirect(_detail_url(only))
    form = OrganisationFilterForm(formdata=request.args)
    form.validate()
    status = form.status.data if not form.status.errors else ""
    page = services.list_organisations(
        db.session,
        visible_ids=visible,
        locale=_locale(),
        region=form.region.data if not form.region.errors else None,
        active={"active": True, "inactive": False}.get(status or ""),
        search=form.q.data if not form.q.errors and form.q.data else "",
        page=request.args.get("page", default=1, type=int) or 1,
        per_page=PER_PAGE,
    )
    filters = {name: request.args.get(name) for name in ("q", "region", "status") if request.args.get(name)}
    return render_template(
        "orgs/index.html", form=form, page=page, filters=filters, region_labels=REGION_LABELS
    )


def _render_detail(
    organisation: Organisation,
    status: int = 200,
    *,
    branch_form: BranchForm | None = None,
    rename_form: BranchForm | None = None,
    rename_branch_id: int | None = None,
    headcount_form: HeadcountForm | None = None,
    contacts_form: SupportContactsForm | None = None,
) -> tuple[str, int]:
    locale = _locale()
    # Forms not being answered are built without the request's data, so they show their defaults.
    rename_forms = {
        branch.id: BranchForm(formdata=None, prefix=f"branch-{branch.id}", name=branch.name)
        for branch in organisation.branches
    }
    if rename_form is not None and rename_branch_id is not None:
        rename_forms[rename_branch_id] = rename_form
    page = render_template(
        "orgs/detail.html",
        organisation=organisation,
        other_names=[
            (code, LANGUAGE_NAMES[code], organisation.name(code)) for code in LOCALES if code != locale
        ],
        country=getattr(organisation, f"country_{locale}", None) or organisation.country_en,
        region_labels=REGION_LABELS,
        can_set_active=_actor().is_admin,
        active_form=ActiveForm(formdata=None, prefix="org"),
        branch_state_forms={
            branch.id: ActiveForm(formdata=None, prefix=f"branch-{branch.id}-state")
            for branch in organisation.branches
        },
        rename_forms=rename_forms,
        branch_people=services.branch_people_counts(db.session, organisation.id),
        branch_form=branch_form or BranchForm(formdata=None, prefix="branch"),
        current_headcount=services.current_headcount(db.session, organisation.id),
        history=services.headcount_history(db.session, organisation.id),
        headcount_form=headcount_form or HeadcountForm(formdata=None, prefix="headcount"),
        latest_date=services.latest_allowed_date(),
        contacts_form=contacts_form
        or SupportContactsForm(formdata=None, prefix="support", contacts=organisation.support_contacts),
        default_contacts=services.default_support_contacts(db.session),
    )
    return page, status


@bp.get("/orgs/<code>")
@login_required
def detail(code: str) -> tuple[str, int]:
    return _render_detail(_managed_organisation(code))


@bp.post("/orgs/<code>/active")
@login_required
def set_active(code: str) -> Response:
    organisation = _organisation_or_404(code)
    if not _actor().is_admin:
        abort(403)
    form = ActiveForm(prefix="org")
    if not form.validate():
        abort(400)
    active = form.active.data == "1"
    services.set_organisation_active(db.session, _actor(), organisation, active)
    db.session.commit()
    name = organisation.name(_locale())
    if active:
        flash(_("%(name)s is marked active.", name=name), "success")
    else:
        flash(_("%(name)s is marked inactive.", name=name), "success")
    return redirect(_detail_url(organisation))


@bp.post("/orgs/<code>/branches")
@login_required
def add_branch(code: str) -> tuple[str, int] | Response:
    organisation = _managed_organisation(code)
    form = BranchForm(prefix="branch")
    if form.validate():
        try:
            branch = services.create_branch(db.session, _actor(), organisation, form.name.data)
        except services.BranchNameError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Branch “%(name)s” added.", name=branch.name), "success")
            return redirect(_detail_url(organisation, "branches"))
    return _render_detail(organisation, 422, branch_form=form)


@bp.post("/orgs/<code>/branches/<int:branch_id>/rename")
@login_required
def rename_branch(code: str, branch_id: int) -> tuple[str, int] | Response:
    organisation = _managed_organisation(code)
    branch = _branch_or_404(organisation, branch_id)
    form = BranchForm(prefix=f"branch-{branch.id}")
    if form.validate():
        try:
            services.rename_branch(db.session, _actor(), branch, form.name.data)
        except services.BranchNameError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Branch renamed to “%(name)s”.", name=branch.name), "success")
            return redirect(_detail_url(organisation, "branches"))
    return _render_detail(organisation, 422, rename_form=form, rename_branch_id=branch.id)


@bp.post("/orgs/<code>/branches/<int:branch_id>/active")
@login_required
def set_branch_active(code: str, branch_id: int) -> Response:
    organisation = _managed_organisation(code)
    branch = _branch_or_404(organisation, branch_id)
    form = ActiveForm(prefix=f"branch-{branch.id}-state")
    if not form.validate():
        abort(400)
    services.set_branch_active(db.session, _actor(), branch, form.active.data == "1")
    db.session.commit()
    if branch.active:
        flash(_("Branch “%(name)s” is active again.", name=branch.name), "success")
    else:
        flash(
            _("Branch “%(name)s” is deactivated; its people keep their records.", name=branch.name), "success"
        )
    return redirect(_detail_url(organisation, "branches"))


@bp.post("/orgs/<code>/headcount")
@login_required
def declare_headcount(code: str) -> tuple[str, int] | Response:
    organisation = _managed_organisation(code)
    form = HeadcountForm(prefix="headcount")
    if form.validate():
        try:
            services.declare_headcount(
                db.session,
                _actor(),
                organisation,
                staff=form.staff.data,
                volunteers=form.volunteers.data,
                as_of=form.as_of.data,
            )
        except services.HeadcountError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Headcount declared."), "success")
            return redirect(_detail_url(organisation, "headcount"))
    return _render_detail(organisation, 422, headcount_form=form)


@bp.post("/orgs/<code>/support")
@login_required
def set_support_contacts(code: str) -> tuple[str, int] | Response:
    organisation = _managed_organisation(code)
    form = SupportContactsForm(prefix="support")
    if form.validate():
        try:
            services.set_support_contacts(db.session, _actor(), organisation, form.contacts.data)
        except services.SupportContactsTooLong as error:
            form.contacts.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Support contacts saved."), "success")
            return redirect(_detail_url(organisation, "support"))
    return _render_detail(organisation, 422, contacts_form=form)


@bp.route("/orgs/settings", methods=["GET", "POST"])
@login_required
def settings() -> tuple[str, int] | Response:
    if not _actor().is_admin:
        abort(403)
    form = SupportContactsForm(prefix="support", contacts=services.default_support_contacts(db.session))
    if form.validate_on_submit():
        try:
            services.set_default_support_contacts(db.session, _actor(), form.contacts.data)
        except services.SupportContactsTooLong as error:
            form.contacts.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Default support contacts saved."), "success")
            return redirect(url_for("orgs.settings"))
    status = 422 if form.errors else 200
    return render_template("orgs/settings.html", form=form), status
