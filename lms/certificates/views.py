"""The certificate PDF (for its owner) and the public verification page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template
from flask_babel import _, format_date, get_locale
from flask_login import current_user, login_required

from lms import db
from lms.certificates import services
from lms.certificates.pdf import CertificateText, render_certificate
from lms.i18n import text_direction

bp = Blueprint("certificates", __name__)


def _locale() -> str:
    return str(get_locale() or current_app.config["DEFAULT_LOCALE"])


@bp.get("/certificates/<code>.pdf")
@login_required
def pdf(code: str) -> Response:
    try:
        completion = services.owned_certificate(db.session, current_user.id, code)
    except services.CertificateNotFound:
        abort(404)
    facts = services.certificate_facts(db.session, completion, _locale())
    details = " · ".join(
        [
            _("Version %(label)s", label=facts.version_label),
            _("About %(minutes)d minutes", minutes=facts.minutes),
            _("Completed on %(date)s", date=format_date(facts.completed_at, "long")),
        ]
    )
    document = render_certificate(
        CertificateText(
            platform=_("PSS Learning"),
            heading=_("Certificate of completion"),
            certifies=_("This certifies that"),
            name=facts.name,
            completed=_("has completed the course"),
            course_title=facts.course_title,
            details=details,
            organisation=_("Organisation: %(name)s", name=facts.organisation),
            verify_label=_("Check that this certificate is genuine at:"),
            verify_url=services.verification_url(current_app.config["BASE_URL"], facts.code),
            language=_locale(),
            right_to_left=text_direction(_locale()) == "rtl",
        )
    )
    response = Response(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{facts.course_slug}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/verify/<code>")
def verify(code: str) -> str | tuple[str, int]:
    try:
        completion = services.verifiable_certificate(db.session, code)
    except services.CertificateNotFound:
        return render_template("certificates/not_found.html"), 404
    facts = services.certificate_facts(db.session, completion, _locale())
    return render_template(
        "certificates/verify.html", facts=facts, content_dir=text_direction(facts.language)
    )
