"""`flask orgs ...` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import _, force_locale

from lms import db
from lms.config import PROJECT_ROOT
from lms.errors import LmsError
from lms.orgs.services import parse_national_societies_csv, sync_organisations

DEFAULT_FILE = PROJECT_ROOT / "data" / "national_societies.csv"


# AppGroup runs each command inside an application context (also under the test CLI runner).
@click.group("orgs", cls=AppGroup, help="Manage the organisations of the Movement.")
def orgs() -> None:
    pass


@orgs.command("sync")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=DEFAULT_FILE,
    show_default=True,
    help="CSV of National Societies (see data/README.md for its columns).",
)
def sync(path: Path) -> None:
    """Add or update the National Societies of PATH, the IFRC and the ICRC (safe to run again).

    Nothing is written unless the whole file is valid; the sync never deletes an organisation
    and never re-activates one an administrator marked inactive.
    """
    # No request here to choose a language from: messages use the platform's default language.
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise click.ClickException(
                _("%(path)s: not UTF-8 text (byte %(byte)d).", path=path, byte=error.start)
            ) from None
        try:
            result = sync_organisations(db.session, parse_national_societies_csv(text))
        except LmsError as error:
            db.session.rollback()
            raise click.ClickException(_("%(path)s: %(error)s", path=path, error=error)) from None
        db.session.commit()
        click.echo(result.summary())
        if result.not_in_list:
            click.echo(_("Kept, though not in the list: %(codes)s", codes=", ".join(result.not_in_list)))
