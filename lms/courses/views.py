"""Media files of courses, and the authors' pages: loaded courses and a preview of any lesson."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms import db
from lms.courses import services
from lms.courses.models import CourseMedia
from lms.i18n import text_direction

bp = Blueprint("courses", __name__)

ONE_YEAR = 365 * 24 * 3600
_SHA256 = re.compile(r"[0-9a-f]{64}")
# An SVG opened on its own must not run anything, even if one slipped past the validator.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@bp.get("/media/<sha256>")
def media(sha256: str) -> Response:
    if not _SHA256.fullmatch(sha256):
        abort(404)
    item = db.session.get(CourseMedia, sha256)
    if item is None:
        abort(404)
    response = Response(item.data, content_type=item.content_type)
    response.set_etag(sha256)
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    if item.content_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return response.make_conditional(request, accept_ranges=True, complete_length=item.size)


def _authors_only() -> None:
    if not current_user.is_author:
        abort(403)


@bp.get("/authoring")
@login_required
def authoring_index() -> str:
    _authors_only()
    return render_template("courses/authoring_index.html", courses=services.authoring_overview(db.session))


@bp.get("/authoring/<slug>/v<int:number>")
@login_required
def authoring_version(slug: str, number: int) -> Response:
    _authors_only()
    version = services.version_by_number(db.session, slug, number) or abort(404)
    return redirect(
        url_for(
            "courses.authoring_preview",
            slug=slug,
            number=number,
            lang=version.source_language,
            lesson_id=services.first_lesson_id(version),
        )
    )


@bp.get("/authoring/<slug>/v<int:number>/<lang>/<lesson_id>")
@login_required
def authoring_preview(slug: str, number: int, lang: str, lesson_id: str) -> str:
    _authors_only()
    version = services.version_by_number(db.session, slug, number) or abort(404)
    preview = services.lesson_preview(version, lang, lesson_id) or abort(404)
    return render_template(
        "courses/authoring_preview.html",
        version=version,
        slug=slug,
        lang=lang,
        direction=text_direction(lang),
        preview=preview,
    )
