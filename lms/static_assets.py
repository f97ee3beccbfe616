"""Fingerprinted static URLs: `asset_url('css/main.css')` adds a content hash so files cache for a year."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, request, url_for

ONE_YEAR = 365 * 24 * 3600


def _fingerprints(static_folder: Path) -> dict[str, str]:
    return {
        path.relative_to(static_folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in static_folder.rglob("*")
        if path.is_file()
    }


def init_app(app: Flask) -> None:
    fingerprints = _fingerprints(Path(app.static_folder or "static"))

    def asset_url(filename: str) -> str:
        return url_for("static", filename=filename, v=fingerprints.get(filename, "0"))

    app.jinja_env.globals["asset_url"] = asset_url

    @app.after_request
    def _cache_static(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v"):
            # A fingerprinted URL never changes content: no revalidation, not even a 304.
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
            response.headers.pop("Expires", None)
        return response
