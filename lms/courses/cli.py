"""`flask courses ...` commands: validate, load, list, retire, restore, translation-template, json-schema."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from lms import db
from lms.config import PROJECT_ROOT
from lms.courses import schema, services
from lms.courses.json_schema import course_json_schema_text
from lms.courses.problems import join_path
from lms.courses.validation import CourseCheck, check_course, discover, translation_template


# AppGroup runs each command inside an application context (also under the test CLI runner).
@click.group("courses", cls=AppGroup, help="Check, publish and manage courses.")
def courses() -> None:
    pass


def _check_all(paths: tuple[str, ...]) -> tuple[list[CourseCheck], list[str]]:
    """Check every course and print every problem, in path and position order."""
    found = discover(list(paths))
    checks: list[CourseCheck] = []
    failures: list[str] = []
    for folder, shown in found.folders:
        try:
            checks.append(check_course(folder, shown))
        except Exception as error:  # the promise is no traceback, whatever the files hold
            current_app.logger.exception("checking %s failed", folder)
            failures.append(
                _(
                    "%(path)s: error: the checker failed (%(error)s); please report this",
                    path=shown,
                    error=error,
                )
            )
    located = [
        ((join_path(check.shown_as, p.file), p.line, p.column), p.format(check.shown_as))
        for check in checks
        for p in check.problems.sorted()
    ]
    for _place, line in sorted(located, key=lambda item: item[0]):
        click.echo(line)
    for message in [*found.messages, *failures]:
        click.echo(message)
    return checks, [*found.messages, *failures]


@courses.command("validate")
@click.argument("paths", nargs=-1, required=True)
def validate(paths: tuple[str, ...]) -> None:
    """Check courses (a course folder, or a folder of course folders) and report every problem."""
    checks, failures = _check_all(paths)
    for check in checks:
        click.echo(check.summary())
    errors = sum(len(check.errors) for check in checks) + len(failures)
    warnings = sum(len(check.warnings) for check in checks)
    click.echo(
        _(
            "%(courses)d course(s) checked: %(errors)d error(s), %(warnings)d warning(s).",
            courses=len(checks),
            errors=errors,
            warnings=warnings,
        )
    )
    if errors:
        raise SystemExit(1)


@courses.command("load")
@click.argument("paths", nargs=-1, required=True)
def load(paths: tuple[str, ...]) -> None:
    """Validate, then publish each course as a new version unless its content is unchanged."""
    checks, failures = _check_all(paths)
    if failures or not checks or any(check.errors for check in checks):
        click.echo(_("Nothing was loaded: correct the errors above first."), err=True)
        raise SystemExit(1)
    session = db.session
    bar = (
        click.progressbar(
            checks, label=_("Loading courses"), item_show_func=lambda c: c.course_id if c else ""
        )
        if len(checks) > 1
        else nullcontext(checks)
    )
    try:
        with bar as items:
            results = [services.publish_course(session, check) for check in items]
        session.commit()
    except SQLAlchemyError as error:
        session.rollback()
        current_app.logger.exception("loading courses failed")
        click.echo(
            _("Nothing was loaded: the database refused the change (%(error)s).", error=error.orig or error),
            err=True,
        )
        raise SystemExit(1) from None
    for result in results:
        if result.status == "created":
            click.echo(
                _(
                    "%(id)s: loaded as version %(number)d (%(hash)s).",
                    id=result.course_id,
                    number=result.version_number,
                    hash=result.content_hash[:12],
                )
            )
        else:
            click.echo(
                _(
                    "%(id)s: unchanged, same content as version %(number)d.",
                    id=result.course_id,
                    number=result.version_number,
                )
            )


@courses.command("list")
def list_courses() -> None:
    """List loaded courses: id, title, languages, versions, estimated minutes, status."""
    rows = services.course_rows(db.session)
    if not rows:
        click.echo(_("No course is loaded yet: use flask courses load PATH."))
        return
    table = [
        (_("ID"), _("TITLE"), _("LANGUAGES"), _("VERSIONS"), _("MINUTES"), _("STATUS")),
        *(
            (
                row.course_id,
                row.title,
                ",".join(row.languages),
                str(row.versions),
                " ".join(f"{lang}:{n}" for lang, n in row.estimated_minutes.items()),
                _("retired") if row.retired else _("active"),
            )
            for row in rows
        ),
    ]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


@courses.command("retire")
@click.argument("course_id")
def retire(course_id: str) -> None:
    """Hide a course from the catalogue; every version and record is kept."""
    try:
        services.retire_course(db.session, course_id)
    except services.CourseNotFound:
        raise click.ClickException(_("No loaded course has the id %(id)s.", id=course_id)) from None
    db.session.commit()
    click.echo(_("%(id)s is retired: hidden from the catalogue, its records kept.", id=course_id))


@courses.command("restore")
@click.argument("course_id")
def restore(course_id: str) -> None:
    """Show a retired course in the catalogue again."""
    try:
        services.restore_course(db.session, course_id)
    except services.CourseNotFound:
        raise click.ClickException(_("No loaded course has the id %(id)s.", id=course_id)) from None
    db.session.commit()
    click.echo(_("%(id)s is active again.", id=course_id))


@courses.command("translation-template")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--lang", "language", required=True, type=click.Choice(schema.COURSE_LANGUAGES))
@click.option("--write", is_flag=True, help="Write the overlay file beside PATH instead of printing it.")
def translation_template_command(path: Path, language: str, write: bool) -> None:
    """Print a translation overlay of PATH (course.yaml or a module file) for translators.

    Every key comes with its source text as a comment and the current source_hash; existing
    translations are kept, and those whose source text changed are marked CHANGED.
    """
    template = translation_template(path, language)
    for message in template.messages:
        click.echo(message, err=True)
    if template.text is None or template.overlay_path is None:
        raise SystemExit(1)
    if write:
        template.overlay_path.write_text(template.text, encoding="utf-8")
        click.echo(_("Wrote %(path)s.", path=template.overlay_path), err=True)
    else:
        click.echo(template.text, nl=False)


@courses.command("json-schema")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=PROJECT_ROOT / "docs" / "course.schema.json",
    show_default=True,
    help="Where to write the JSON Schema.",
)
def json_schema(output: Path) -> None:
    """Write the JSON Schema of the course files, generated from the format's models."""
    output.write_text(course_json_schema_text(), encoding="utf-8")
    click.echo(_("Wrote %(path)s.", path=output))
