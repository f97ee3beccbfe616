"""The application shell: factory, configuration, headers, error pages, schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import request
from sqlalchemy.orm import Session

from lms import create_app
from lms.config import build_config
from lms.errors import ConfigError
from lms.models import Base


def test_home_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"<h1>" in response.data
    assert b'lang="en"' in response.data


def test_security_headers_forbid_inline_script(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_unknown_page_gets_translated_404(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert b'lang="fr"' in response.data


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_fingerprinted_static_files_are_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    href = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert "?v=" in href
    response = client.get(href)
    response.close()
    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 3600


def test_language_switcher_rejects_unknown_language(client):
    assert client.get("/language/xx").status_code == 404


def test_language_switcher_keeps_choice_and_refuses_foreign_next(client):
    response = client.get("/language/ar?next=https://evil.example/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert b'dir="rtl"' in client.get("/").data


def test_unknown_environment_setting_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_DATABSE_URL", "sqlite://")
    with pytest.raises(ConfigError, match="LMS_DATABSE_URL"):
        build_config(tmp_path)


def test_malformed_number_setting_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_MAIL_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="LMS_MAIL_PORT"):
        build_config(tmp_path)


def test_default_database_is_sqlite_under_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_DATABASE_URL", raising=False)
    config = build_config(tmp_path)
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'lms.sqlite3'}"
    assert (tmp_path / "secret_key").exists()


def test_cookies_are_secure_when_served_over_https(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            "BASE_URL": "https://pss.example.org",
            "SECRET_KEY": "x",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_migrated_schema_equals_the_models(db_session: Session):
    context = MigrationContext.configure(
        db_session.connection(), opts={"compare_type": True, "compare_server_default": True}
    )
    assert compare_metadata(context, Base.metadata) == []


def test_html_is_compressed_for_clients_that_accept_gzip(client):
    plain = client.get("/privacy")
    zipped = client.get("/privacy", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert len(zipped.data) < len(plain.data) / 2


def test_client_address_comes_from_the_trusted_proxy_only_when_configured(tmp_path):
    def seen_address(proxy_count: int) -> str:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path}/p{proxy_count}.db",
                "SECRET_KEY": "x",
                "PROXY_COUNT": proxy_count,
            }
        )

        @app.get("/whoami")
        def whoami() -> str:
            return request.remote_addr or ""

        return (
            app.test_client()
            .get("/whoami", headers={"X-Forwarded-For": "203.0.113.7"})
            .get_data(as_text=True)
        )

    assert seen_address(0) == "127.0.0.1"
    assert seen_address(1) == "203.0.113.7"
