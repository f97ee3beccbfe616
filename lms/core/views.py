"""Home page, language switcher, health check and error pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from lms import db
from lms.config import LOCALES
from lms.extensions import login_manager
from lms.security import is_safe_next

bp = Blueprint("core", __name__)


@bp.get("/")
def home() -> str:
    return render_template("core/home.html")


@bp.get("/privacy")
def privacy() -> str:
    return render_template("core/privacy.html")


@bp.get("/language/<code>")
def set_language(code: str) -> Response:
    if code not in LOCALES:
        abort(404)
    session["locale"] = code
    if current_user.is_authenticated and current_user.locale != code:
        current_user.locale = code
        db.session.commit()
    target = request.args.get("next")
    return redirect(target if is_safe_next(target) else url_for("core.home"))


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    try:
        db.session.execute(text("SELECT 1"))
    except OperationalError:
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


def _error_messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Please go back and try again.")),
        403: (_("Not allowed"), _("You do not have permission to see this page.")),
        404: (_("Page not found"), _("We could not find this page. Check the address or go back home.")),
        405: (_("Not allowed"), _("This action is not available here.")),
        413: (_("Too large"), _("What you sent is too large. Please send something smaller.")),
        429: (
            _("Too many attempts"),
            _("Too many attempts in a short time. Please wait a few minutes and try again."),
        ),
        500: (
            _("Something went wrong"),
            _("An error occurred on our side. Your saved work is safe. Please try again."),
        ),
        503: (
            _("Temporarily unavailable"),
            _("The service is briefly unavailable. Your saved work is safe. Please try again in a minute."),
        ),
    }


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    messages = _error_messages()
    title, message = messages.get(code, messages[500])
    return render_template("core/error.html", code=code, title=title, message=detail or message), code


def handle_http_error(error: HTTPException) -> tuple[str, int]:
    return render_error(error.code or 500)


def handle_csrf_error(_error: CSRFError) -> tuple[str, int]:
    return render_error(
        400, _("This form has expired or was sent from elsewhere. Please reload the page and try again.")
    )


def handle_database_down(error: OperationalError) -> tuple[str, int]:
    current_app.logger.error("database unreachable: %s", error)
    db.session.rollback()
    # The page must not ask the dead database who is logged in: render it as for a visitor.
    g._login_user = login_manager.anonymous_user()
    return render_error(503)


def handle_unexpected(error: Exception) -> tuple[str, int]:
    current_app.logger.exception("unhandled error", exc_info=error)
    return render_error(500)
