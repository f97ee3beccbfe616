"""Security headers on every response (no caching of what logged-in people see), and the check
that `next` stays on this site."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import Flask, Response, abort, g, request, session
from werkzeug.datastructures import FileStorage, MultiDict

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' https:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Content-addressed files, the same for everyone: they keep their year of public caching.
SHARED_ENDPOINTS = frozenset({"static", "courses.media"})


def is_safe_next(target: str | None) -> bool:
    """True when `target` is a path on this site (no scheme, no other host, no `//` tricks)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    here = urlsplit(request.host_url)
    there = urlsplit(urljoin(request.host_url, target))
    return there.scheme == here.scheme and there.netloc == here.netloc


def _holds_nul(values: MultiDict[str, str]) -> bool:
    return any("\x00" in key or any("\x00" in value for value in items) for key, items in values.lists())


def _names_hold_nul(files: MultiDict[str, FileStorage]) -> bool:
    """A NUL in an upload's field or file name; what files hold is checked by who reads them."""
    return any("\x00" in key or "\x00" in (upload.filename or "") for key, upload in files.items(multi=True))


def _signed_in() -> bool:
    """Whether the request is a logged-in person's, without a query (so even when the database is away).

    The user is read only when the view already loaded it; otherwise a session that holds a
    login counts, even one that no longer leads to an active account.
    """
    user = g.get("_login_user")
    if user is not None:
        return bool(user.is_authenticated)
    return "_user_id" in session


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_bytes() -> None:
        # No one types a NUL, and PostgreSQL cannot store one in text: refuse it before any query.
        if (
            "\x00" in request.path
            or _holds_nul(request.args)
            or _holds_nul(request.form)
            or _names_hold_nul(request.files)
        ):
            abort(400)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint not in SHARED_ENDPOINTS and _signed_in():
            # Nothing shown to a logged-in person is kept by a shared cache, or by the browser
            # to be shown again with the back button after they log out.
            response.headers["Cache-Control"] = "private, no-store"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
