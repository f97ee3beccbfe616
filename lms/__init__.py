"""The PSS learning platform: application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from lms import db, request_log, security
from lms.auth import cli as auth_cli
from lms.auth import views as auth_views
from lms.auth.services import load_user_from_session_id
from lms.certificates import views as certificates_views
from lms.config import LOCALES, PROJECT_ROOT, build_config
from lms.core import views as core_views
from lms.courses import cli as courses_cli
from lms.courses import views as courses_views
from lms.extensions import babel, compress, csrf, limiter, login_manager, migrate
from lms.i18n import LANGUAGE_NAMES, select_locale, text_direction
from lms.learning import views as learning_views
from lms.orgs import cli as orgs_cli
from lms.orgs import views as orgs_views
from lms.reports import views as reports_views
from lms.static_assets import init_app as init_static_assets

BLUEPRINTS = (
    core_views.bp,
    auth_views.bp,
    orgs_views.bp,
    courses_views.bp,
    learning_views.bp,
    certificates_views.bp,
    reports_views.bp,
)
CLI_GROUPS = (auth_cli.users, orgs_cli.orgs, courses_cli.courses)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; `config` overrides defaults and ``LMS_*`` environment variables."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(build_config(Path(app.instance_path), config))
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    if app.config["PROXY_COUNT"]:
        # Behind a proxy every client would share its address, and so its rate limits.
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    database = db.init_app(app)
    migrate.init_app(app, db=None, directory=str(PROJECT_ROOT / "migrations"))
    app.extensions["migrate"].db = database
    csrf.init_app(app)
    compress.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.localize_callback = str
    login_manager.user_loader(load_user_from_session_id)
    security.init_app(app)
    request_log.init_app(app)
    init_static_assets(app)

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for group in CLI_GROUPS:
        app.cli.add_command(group)

    app.register_error_handler(HTTPException, core_views.handle_http_error)
    app.register_error_handler(core_views.CSRFError, core_views.handle_csrf_error)
    app.register_error_handler(OperationalError, core_views.handle_database_down)
    app.register_error_handler(Exception, core_views.handle_unexpected)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        locale = str(get_locale() or app.config["DEFAULT_LOCALE"])
        return {
            "current_locale": locale,
            "text_direction": text_direction(locale),
            "locales": LOCALES,
            "language_names": LANGUAGE_NAMES,
            "has_endpoint": lambda endpoint: endpoint in app.view_functions,
        }

    return app
