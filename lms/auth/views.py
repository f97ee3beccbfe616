"""Pages of accounts: register, log in and out, profile, change and reset the password, your data."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import _, force_locale, get_locale
from flask_login import COOKIE_NAME, current_user, login_required, login_user, logout_user
from wtforms import Field

from lms import db
from lms.auth import services
from lms.auth.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from lms.auth.models import Invitation, User
from lms.db import utcnow
from lms.errors import LmsError
from lms.extensions import limiter
from lms.mail import MailNotSent, send_mail
from lms.security import is_safe_next

bp = Blueprint("auth", __name__)


# --- rate limits: callables, so that the configuration is read at each request -------------


def _login_limit_per_ip() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _login_limit_per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _register_limit_per_ip() -> str:
    return current_app.config["REGISTER_LIMIT_PER_IP"]


def _reset_limit_per_ip() -> str:
    return current_app.config["RESET_LIMIT_PER_IP"]


def _submitted_account() -> str:
    # Hashed so that the limiter's storage (Redis) holds no e-mail addresses.
    email = services.normalise_email(request.form.get("email", ""))
    return f"account:{services.hash_token(email)}" if email else ""


def _no_account_submitted() -> bool:
    return not _submitted_account()


def _refused(response: Response) -> bool:
    # Only refused attempts count: someone who logs in at once is never slowed down.
    return response.status_code == 422


# --- helpers -------------------------------------------------------------------------------


def _me() -> User:
    return current_user._get_current_object()


def _next_or_home() -> str:
    target = request.args.get("next")
    return target if is_safe_next(target) else url_for("core.home")


def _locale() -> str:
    return str(get_locale() or current_app.config["DEFAULT_LOCALE"])


def _error_messages() -> dict[type[LmsError], str]:
    return {
        services.EmailTaken: _(
            "An account already uses this e-mail address. Log in, or reset your password if you forgot it."
        ),
        services.PasswordTooShort: _(
            "Use at least %(count)s characters.", count=services.MIN_PASSWORD_LENGTH
        ),
        services.PasswordIsIdentity: _("Your password must not be your e-mail address or your name."),
        services.OrganisationUnavailable: _("Choose your organisation from the list."),
        services.BranchNotInOrganisation: _("Choose a branch of your own organisation, or no branch."),
        services.WrongCurrentPassword: _("Your current password is not right."),
    }


def _show_error(field: Field, error: LmsError) -> None:
    field.errors.append(_error_messages()[type(error)])


def _form_page(template: str, form: Any, **context: Any) -> tuple[str, int]:
    """The form page; 422 when a submitted form is shown again with its errors."""
    status = 422 if form.is_submitted() else 200
    return render_template(template, form=form, **context), status


def _has_remember_cookie() -> bool:
    return bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)))


# --- registering ---------------------------------------------------------------------------


def _invitation_data(invitation: Invitation, token: str) -> dict[str, Any]:
    return {
        "name": invitation.name,
        "email": invitation.email,
        "organisation": invitation.organisation_id,
        "branch": invitation.branch_id,
        "person_kind": invitation.person_kind,
        "locale": invitation.locale,
        "invite": token,
    }


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit_per_ip, methods=["POST"])
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    locale = _locale()
    token = request.form.get("invite") if request.method == "POST" else request.args.get("invite")
    invitation = services.find_invitation(db.session, token) if token else None
    prefill = None
    if request.method == "GET":
        prefill = _invitation_data(invitation, token) if invitation else {"locale": locale}
    form = RegisterForm(data=prefill)
    form.set_choices(
        services.active_organisations(db.session, locale), services.active_branches(db.session), locale
    )
    if form.validate_on_submit():
        registration = services.Registration(
            name=form.name.data,
            email=form.email.data,
            password=form.password.data,
            organisation_id=form.organisation.data,
            branch_id=form.branch.data,
            person_kind=form.person_kind.data,
            locale=form.locale.data,
        )
        try:
            user = services.register(db.session, registration, invitation)
        except services.EmailTaken as error:
            _show_error(form.email, error)
        except services.OrganisationUnavailable as error:
            _show_error(form.organisation, error)
        except services.BranchNotInOrganisation as error:
            _show_error(form.branch, error)
        except (services.PasswordTooShort, services.PasswordIsIdentity) as error:
            _show_error(form.password, error)
        else:
            login_user(user)
            db.session.commit()
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "success")
            return redirect(url_for("core.home"))
    return _form_page(
        "auth/register.html",
        form,
        invitation_expired=bool(token) and invitation is None,
        min_length=services.MIN_PASSWORD_LENGTH,
    )


# --- logging in and out ----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit_per_ip, methods=["POST"], deduct_when=_refused)
@limiter.limit(
    _login_limit_per_account,
    key_func=_submitted_account,
    exempt_when=_no_account_submitted,
    methods=["POST"],
    deduct_when=_refused,
)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(_next_or_home())
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, form.email.data, form.password.data)
        except services.InvalidCredentials:
            form.form_errors.append(_("E-mail or password is incorrect."))
        else:
            login_user(user, remember=form.remember.data)
            db.session.commit()
            return redirect(_next_or_home())
    return _form_page("auth/login.html", form)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        # The cookies are signed, not stored: only a new token makes a copy of them useless.
        services.end_sessions(db.session, _me())
        db.session.commit()
    logout_user()
    flash(_("You have logged out."), "success")
    return redirect(url_for("core.home"))


# --- profile and password ------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    me = _me()
    prefill = None
    if request.method == "GET":
        prefill = {
            "name": me.name,
            "branch": me.branch_id,
            "person_kind": me.person_kind,
            "locale": me.locale,
        }
    form = ProfileForm(data=prefill)
    form.set_branches(services.branches_for_profile(db.session, me))
    if form.validate_on_submit():
        change = services.ProfileChange(
            name=form.name.data,
            branch_id=form.branch.data,
            person_kind=form.person_kind.data,
            locale=form.locale.data,
        )
        try:
            services.update_profile(db.session, me, change)
        except services.BranchNotInOrganisation as error:
            _show_error(form.branch, error)
        else:
            db.session.commit()
            with force_locale(me.locale):
                flash(_("Your profile has been saved."), "success")
            return redirect(url_for("auth.profile"))
    return _form_page("auth/profile.html", form, me=me, organisation_name=me.organisation.name(_locale()))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit_per_ip, methods=["POST"], deduct_when=_refused)
def change_password() -> Any:
    me = _me()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, me, form.current_password.data, form.password.data)
        except services.WrongCurrentPassword as error:
            _show_error(form.current_password, error)
        except (services.PasswordTooShort, services.PasswordIsIdentity) as error:
            _show_error(form.password, error)
        else:
            # The session token changed: log in again here, every other session has ended.
            login_user(me, remember=_has_remember_cookie())
            db.session.commit()
            flash(
                _("Your password has been changed. Wherever else you were logged in, you are logged out."),
                "success",
            )
            return redirect(url_for("auth.profile"))
    return _form_page("auth/change_password.html", form, min_length=services.MIN_PASSWORD_LENGTH)


# --- password reset --------------------------------------------------------------------------


def _reset_mail(user: User, token: str) -> tuple[str, str]:
    link = current_app.config["BASE_URL"].rstrip("/") + url_for("auth.reset_password", token=token)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    with force_locale(user.locale):
        subject = _("Reset your PSS Learning password")
        body = render_template("mail/password_reset.txt", name=user.name, link=link, minutes=minutes)
    return subject, body


def _send_after_response(app: Flask, to: str, subject: str, body: str) -> None:
    try:
        send_mail(app, to, subject, body)
    except MailNotSent:
        # Already logged by send_mail; the page gave no promise specific to this address.
        return


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_reset_limit_per_ip, methods=["POST"])
def reset_request() -> Any:
    form = ResetRequestForm()
    if form.validate_on_submit():
        found = services.request_password_reset(
            db.session, form.email.data, current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
        db.session.commit()
        response = make_response(redirect(url_for("auth.reset_sent")))
        if found is not None:
            user, token = found
            subject, body = _reset_mail(user, token)
            # Sent once the answer is out, so its timing does not tell whether the account exists.
            response.call_on_close(
                partial(_send_after_response, current_app._get_current_object(), user.email, subject, body)
            )
        return response
    return _form_page("auth/reset_request.html", form)


@bp.get("/reset/sent")
def reset_sent() -> str:
    return render_template("auth/reset_sent.html")


def _invalid_reset_link() -> tuple[str, int]:
    return render_template("auth/reset_invalid.html"), 400


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    try:
        services.user_for_reset_token(db.session, token)
    except services.InvalidResetToken:
        return _invalid_reset_link()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(db.session, token, form.password.data)
        except services.InvalidResetToken:
            return _invalid_reset_link()
        except (services.PasswordTooShort, services.PasswordIsIdentity) as error:
            _show_error(form.password, error)
        else:
            db.session.commit()
            flash(_("Your password has been changed. You can now log in with it."), "success")
            return redirect(url_for("auth.login"))
    return _form_page("auth/reset_password.html", form, min_length=services.MIN_PASSWORD_LENGTH)


# --- your data: download it, delete the account ------------------------------------------------


@bp.get("/account/data")
@login_required
def your_data() -> str:
    return render_template("auth/data.html", form=DeleteAccountForm())


@bp.get("/account/data.json")
@login_required
def download_data() -> Response:
    data = services.export_user_data(db.session, _me(), current_app.config["BASE_URL"])
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    filename = f"pss-learning-data-{utcnow().date().isoformat()}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/account/delete")
@login_required
@limiter.limit(_login_limit_per_ip, methods=["POST"], deduct_when=_refused)
def delete_account() -> Any:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(db.session, _me(), form.password.data)
        except services.WrongCurrentPassword:
            form.password.errors.append(_("This is not your password. Your account has not been deleted."))
        except services.LastAdministrator:
            form.password.errors.append(
                _(
                    "You are the only administrator: give the administrator role to someone else "
                    "before deleting your account. Your account has not been deleted."
                )
            )
        else:
            db.session.commit()
            logout_user()
            flash(_("Your account has been deleted. Thank you for learning with us."), "success")
            return redirect(url_for("core.home"))
    return _form_page("auth/data.html", form)
