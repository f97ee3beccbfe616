"""Configuration: one table of defaults, overridden by ``LMS_*`` environment variables."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lms.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Every setting the application reads, with its default. An environment variable
# ``LMS_<NAME>`` overrides the default; a value of the wrong shape is refused at start.
DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "",  # empty: SQLite file under instance/
    "SECRET_KEY": "",  # empty: generated once and kept in instance/secret_key
    "BASE_URL": "http://127.0.0.1:5000",
    "DEFAULT_LOCALE": "en",
    "MAIL_SERVER": "",  # empty: messages are written to the log instead of sent
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_SENDER": "PSS Learning <no-reply@localhost>",
    "RATELIMIT_STORAGE_URL": "memory://",
    "LOGIN_LIMIT_PER_ACCOUNT": "10 per 15 minutes",
    "LOGIN_LIMIT_PER_IP": "30 per 15 minutes",
    "REGISTER_LIMIT_PER_IP": "20 per hour",
    "RESET_LIMIT_PER_IP": "10 per hour",
    "PASSWORD_RESET_MAX_AGE": 3600,
    "INVITATION_MAX_AGE": 14 * 24 * 3600,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    "PROXY_COUNT": 0,
    "COURSES_DIR": str(PROJECT_ROOT / "courses"),
    "LOG_LEVEL": "INFO",
}

LOCALES = ("en", "fr", "es", "ar")
RTL_LOCALES = frozenset({"ar"})


def _coerce(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"LMS_{name} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"LMS_{name} must be a whole number, not {raw!r}") from None
    return raw


def _secret_key(instance_path: Path) -> str:
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(os.urandom(32).hex())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def build_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, ``LMS_*`` environment variables and explicit overrides.

    Unknown ``LMS_*`` variables and unknown override keys are errors, so a typo
    in a deployment does not silently fall back to a default.
    """
    values = dict(DEFAULTS)
    for env_name, raw in os.environ.items():
        if not env_name.startswith("LMS_") or env_name.startswith("LMS_TEST_"):
            continue
        name = env_name[4:]
        if name not in DEFAULTS:
            raise ConfigError(f"Unknown setting {env_name}; known: {', '.join(sorted(DEFAULTS))}")
        values[name] = _coerce(name, raw, DEFAULTS[name])
    flask_keys = {"TESTING", "WTF_CSRF_ENABLED", "SERVER_NAME", "SESSION_COOKIE_SECURE"}
    for name, value in (overrides or {}).items():
        if name not in DEFAULTS and name not in flask_keys:
            raise ConfigError(f"Unknown setting {name}")
        values[name] = value
    if not values["DATABASE_URL"]:
        instance_path.mkdir(parents=True, exist_ok=True)
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'lms.sqlite3'}"
    if not values["SECRET_KEY"]:
        values["SECRET_KEY"] = _secret_key(instance_path)
    if values["DEFAULT_LOCALE"] not in LOCALES:
        raise ConfigError(f"LMS_DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")
    values["RATELIMIT_STORAGE_URI"] = values["RATELIMIT_STORAGE_URL"]
    values["BABEL_DEFAULT_LOCALE"] = values["DEFAULT_LOCALE"]
    values["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_ROOT / "lms" / "translations")
    values["SESSION_COOKIE_HTTPONLY"] = True
    values["SESSION_COOKIE_SAMESITE"] = "Lax"
    values["REMEMBER_COOKIE_HTTPONLY"] = True
    values["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    secure = values.get("SESSION_COOKIE_SECURE", values["BASE_URL"].startswith("https://"))
    values["SESSION_COOKIE_SECURE"] = secure
    values["REMEMBER_COOKIE_SECURE"] = secure
    values["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
    values["WTF_CSRF_TIME_LIMIT"] = None
    # Text responses are compressed: volunteers pay for every byte on slow mobile connections.
    values["COMPRESS_MIMETYPES"] = [
        "text/html",
        "text/css",
        "text/csv",
        "text/plain",
        "application/javascript",
        "text/javascript",
        "application/json",
        "application/x-ndjson",
        "image/svg+xml",
    ]
    return values


def describe() -> str:
    """The settings table as text, for ``flask config`` and the README."""
    return "\n".join(f"LMS_{k}={json.dumps(v)}" for k, v in DEFAULTS.items())
