"""Alembic environment for both `flask db ...` and plain `alembic -c migrations/alembic.ini ...`.

Under `flask db` the running application gives the database; under plain Alembic an
application is built from the `LMS_*` environment, so both reach the same database.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app, has_app_context

from lms import create_app
from lms.db import get_db
from lms.models import Base

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def _engine():
    if has_app_context():
        return get_db().engine
    app = create_app()
    with app.app_context():
        return get_db().engine


def run_migrations_offline() -> None:
    url = current_app.config["DATABASE_URL"] if has_app_context() else create_app().config["DATABASE_URL"]
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with _engine().connect() as connection:
        _run(connection)


def _render_item(type_: str, obj, autogen_context):
    # Our UTCDateTime is a DateTime(timezone=True) in the database; revisions must not import app code.
    if type_ == "type" and obj.__class__.__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
