"""One structured (JSON) log line per request: method, path, status, duration, user."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("lms.request")
# An id from a proxy or a client is kept only when it is short and plain: anything else (a line
# break forging a log line, a huge header) is replaced by a fresh id, as when there is none.
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def request_id(incoming: str | None) -> str:
    """The incoming X-Request-Id when it is 1–64 letters, digits or hyphens; else a new one."""
    if incoming is not None and REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request_id(request.headers.get("X-Request-Id"))

    @app.after_request
    def _log_request(response: Response) -> Response:
        started = g.get("request_started")
        if started is None or request.endpoint == "static":
            return response
        # current_user is read only when already loaded, so logging never queries the database.
        user = g.get("_login_user")
        entry = {
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "user": user.id if user is not None and getattr(user, "is_authenticated", False) else None,
            "bytes": response.calculate_content_length(),
        }
        log.info(json.dumps(entry, separators=(",", ":")))
        response.headers["X-Request-Id"] = entry["request_id"]
        return response
