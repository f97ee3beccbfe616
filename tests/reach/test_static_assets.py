"""Fingerprinted CSS and JavaScript are cached for a year without revalidation; the same files
asked for without a fingerprint are revalidated, so a stale copy is never used."""

from __future__ import annotations

import re


def _asset_urls(client) -> list[str]:
    page = client.get("/").get_data(as_text=True)
    return re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]{12})"', page)


def test_fingerprinted_static_files_are_cached_for_a_year_without_revalidation(client):
    urls = _asset_urls(client)
    assert any("/css/main.css" in url for url in urls)
    for url in urls:
        with client.get(url) as response:
            assert response.status_code == 200
        cache_control = response.headers["Cache-Control"]
        assert "max-age=31536000" in cache_control and "immutable" in cache_control, cache_control
        assert "no-cache" not in cache_control
        assert "Expires" not in response.headers


def test_static_files_without_fingerprint_are_revalidated(client):
    with client.get("/static/css/main.css") as response:
        assert response.status_code == 200
    assert "no-cache" in response.headers["Cache-Control"]
    assert "immutable" not in response.headers["Cache-Control"]


def test_the_fingerprint_changes_with_the_file(app):
    with app.test_request_context():
        css = app.jinja_env.globals["asset_url"]("css/main.css")
        js = app.jinja_env.globals["asset_url"]("js/player.js")
    assert css.split("v=")[1] != js.split("v=")[1]
