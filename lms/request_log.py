"""One structured (JSON) log line per request: method, path, status, duration, user."""

from __future__ import annotations

import json
import logging
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("lms.request")


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex

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
