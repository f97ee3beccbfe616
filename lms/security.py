"""Security headers on every response, and the check that `next` stays on this site."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import Flask, Response, abort, request
from werkzeug.datastructures import MultiDict

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


def is_safe_next(target: str | None) -> bool:
    """True when `target` is a path on this site (no scheme, no other host, no `//` tricks)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    here = urlsplit(request.host_url)
    there = urlsplit(urljoin(request.host_url, target))
    return there.scheme == here.scheme and there.netloc == here.netloc


def _holds_nul(values: MultiDict[str, str]) -> bool:
    return any("\x00" in key or any("\x00" in value for value in items) for key, items in values.lists())


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_bytes() -> None:
        # No one types a NUL, and PostgreSQL cannot store one in text: refuse it before any query.
        if "\x00" in request.path or _holds_nul(request.args) or _holds_nul(request.form):
            abort(400)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
