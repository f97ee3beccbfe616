"""`flask users ...` commands: administrators and roles."""

from __future__ import annotations

from contextlib import AbstractContextManager

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import _, force_locale

from lms import db
from lms.auth import services
from lms.auth.models import ROLES
from lms.errors import LmsError
from lms.orgs.models import Organisation


def _explain(error: LmsError) -> str:
    messages = {
        services.UnknownUser: _("No account has the e-mail address %(email)s.", email=error),
        services.UnknownOrganisation: _(
            "No organisation has the code %(code)s. Has `flask orgs sync` been run?", code=error
        ),
        services.UnknownRole: _(
            "Unknown role %(role)s; the roles are: %(roles)s.", role=error, roles=", ".join(ROLES)
        ),
        services.RoleNeedsOrganisation: _("A focal point needs an organisation: add --org CODE."),
        services.RoleTakesNoOrganisation: _(
            "The %(role)s role is Movement-wide: leave out --org.", role=error
        ),
        services.RoleNotHeld: _("This person does not hold the %(role)s role there.", role=error),
        services.LastAdministrator: _(
            "This is the only administrator: grant the admin role to someone else first."
        ),
        services.EmailTaken: _("An account already uses the e-mail address %(email)s.", email=error),
        services.PasswordTooShort: _(
            "The password needs at least %(count)s characters.", count=services.MIN_PASSWORD_LENGTH
        ),
        services.PasswordIsIdentity: _("The password must not be the e-mail address or the name."),
    }
    return messages[type(error)]


def _default_language() -> AbstractContextManager[None]:
    # No request to choose a language from: messages use the platform's default language.
    return force_locale(current_app.config["DEFAULT_LOCALE"])


def _fail(error: LmsError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(_explain(error))


# AppGroup runs each command inside an application context (also under the test CLI runner).
@click.group("users", cls=AppGroup, help="Manage user accounts and roles.")
def users() -> None:
    pass


@users.command("create-admin")
@click.argument("email")
@click.option("--name", help="Full name (default: the part of the e-mail address before the @).")
@click.option("--org", "org_code", default="IFRC", show_default=True, help="Code of their organisation.")
@click.option("--password", help="Password of a new account; asked for (hidden) when left out.")
def create_admin(email: str, name: str | None, org_code: str, password: str | None) -> None:
    """Create an administrator account, or make an existing account administrator."""
    with _default_language():
        try:
            user = services.find_user_by_email(db.session, email)
            if user is None:
                organisation = services.organisation_by_code(db.session, org_code)
                if password is None:
                    password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
                user = services.create_account(
                    db.session,
                    email=email,
                    name=name or email.split("@")[0],
                    password=password,
                    organisation=organisation,
                    locale=current_app.config["DEFAULT_LOCALE"],
                )
                click.echo(_("Created the account of %(email)s.", email=user.email))
            granted = services.grant_role(db.session, user, "admin", None, actor=None)
        except LmsError as error:
            raise _fail(error) from None
        db.session.commit()
        if granted:
            click.echo(_("%(email)s is now an administrator.", email=user.email))
        else:
            click.echo(_("%(email)s was already an administrator.", email=user.email))


def _role_name(role: str, organisation: Organisation | None) -> str:
    return f"{role} ({organisation.code})" if organisation else role


@users.command("grant")
@click.argument("email")
@click.argument("role")
@click.option("--org", "org_code", help="Organisation code (required for focal_point).")
def grant(email: str, role: str, org_code: str | None) -> None:
    """Give ROLE (focal_point, author or admin) to the account of EMAIL."""
    with _default_language():
        try:
            user = services.user_by_email(db.session, email)
            organisation = services.organisation_by_code(db.session, org_code) if org_code else None
            granted = services.grant_role(db.session, user, role, organisation, actor=None)
        except LmsError as error:
            raise _fail(error) from None
        db.session.commit()
        role_name = _role_name(role, organisation)
        if granted:
            click.echo(_("%(email)s now has the role %(role)s.", email=user.email, role=role_name))
        else:
            click.echo(_("%(email)s already had the role %(role)s.", email=user.email, role=role_name))


@users.command("revoke")
@click.argument("email")
@click.argument("role")
@click.option("--org", "org_code", help="Organisation code (required for focal_point).")
def revoke(email: str, role: str, org_code: str | None) -> None:
    """Take ROLE away from the account of EMAIL."""
    with _default_language():
        try:
            user = services.user_by_email(db.session, email)
            organisation = services.organisation_by_code(db.session, org_code) if org_code else None
            services.revoke_role(db.session, user, role, organisation, actor=None)
        except LmsError as error:
            raise _fail(error) from None
        db.session.commit()
        role_name = _role_name(role, organisation)
        click.echo(_("%(email)s no longer has the role %(role)s.", email=user.email, role=role_name))
