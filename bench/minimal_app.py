"""The smallest Flask app serving a page of a given size: the yardstick of bench/http_bench.py.

    gunicorn bench.minimal_app:app      GET /page/<size> answers an HTML page of exactly <size> bytes.

Served with the same gunicorn settings as the real app, it shows what the server, Flask and
the network cost on their own, so the real pages' figures can be read as a fraction of it.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, Response, abort

MAX_SIZE = 4 * 1024 * 1024
HEAD = b'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Page</title></head><body><p>'
TAIL = b"</p></body></html>\n"

app = Flask(__name__)


@lru_cache(maxsize=16)
def page_of(size: int) -> bytes:
    """An HTML page of exactly `size` bytes (at least the bare page)."""
    return HEAD + b"x" * max(size - len(HEAD) - len(TAIL), 0) + TAIL


@app.get("/page/<int:size>")
def page(size: int) -> Response:
    if size > MAX_SIZE:
        abort(404)
    return Response(page_of(size), mimetype="text/html")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
