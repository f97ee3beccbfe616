"""Forms of accounts: register, log in, profile, change and reset the password, delete the account."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from lms.config import LOCALES
from lms.i18n import LANGUAGE_NAMES
from lms.orgs.models import Branch, Organisation

PERSON_KIND_CHOICES = [SelectChoice("staff", _l("Staff")), SelectChoice("volunteer", _l("Volunteer"))]
# Each language in its own name, marked with its language so screen readers pronounce it right.
LANGUAGE_CHOICES = [SelectChoice(code, LANGUAGE_NAMES[code], render_kw={"lang": code}) for code in LOCALES]


def optional_id(value: str | int | None) -> int | None:
    """Coerce a <select> value to an id; the empty option means none."""
    if value is None or value == "":
        return None
    return int(value)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email_field() -> EmailField:
    return EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Email(message=_l("Enter an e-mail address like name@example.org.")),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def _name_field() -> StringField:
    return StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Enter your name.")),
            Length(max=200, message=_l("A name has at most 200 characters.")),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "name"},
    )


def _new_password_fields(label: str) -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        label,
        validators=[InputRequired(message=_l("Enter a password."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            InputRequired(message=_l("Repeat the password.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def _branch_field() -> SelectField:
    # The service checks that the branch belongs to the organisation, which a form cannot.
    return SelectField(
        _l("Branch (optional)"),
        coerce=optional_id,
        validate_choice=False,
        invalid_value_message=_l("Choose a branch from the list."),
    )


def _person_kind_field() -> RadioField:
    return RadioField(
        _l("I am"),
        choices=PERSON_KIND_CHOICES,
        validators=[InputRequired(message=_l("Say whether you are staff or a volunteer."))],
        invalid_choice_message=_l("Say whether you are staff or a volunteer."),
    )


def _locale_field() -> SelectField:
    return SelectField(
        _l("Preferred language"),
        choices=LANGUAGE_CHOICES,
        validators=[InputRequired(message=_l("Choose a language."))],
        invalid_choice_message=_l("Choose a language from the list."),
    )


def _no_branch() -> SelectChoice:
    return SelectChoice("", _l("No branch, or not in the list"))


class RegisterForm(FlaskForm):
    name = _name_field()
    email = _email_field()
    password, confirm = _new_password_fields(_l("Password"))
    organisation = SelectField(
        _l("Organisation"),
        coerce=optional_id,
        validators=[InputRequired(message=_l("Choose your organisation."))],
        invalid_value_message=_l("Choose your organisation from the list."),
        invalid_choice_message=_l("Choose your organisation from the list."),
    )
    branch = _branch_field()
    person_kind = _person_kind_field()
    locale = _locale_field()
    consent = BooleanField(
        _l("I have read the privacy notice and agree that my data is stored and shown as it explains."),
        validators=[
            DataRequired(message=_l("You need to agree to the privacy notice to create an account."))
        ],
    )
    invite = HiddenField()
    submit = SubmitField(_l("Create my account"))

    def set_choices(
        self, organisations: Iterable[Organisation], branches: Iterable[Branch], locale: str
    ) -> None:
        """Organisations in the given order; branches grouped under their organisation's name."""
        organisations = list(organisations)
        names = {org.id: org.name(locale) for org in organisations}
        self.organisation.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(str(org.id), names[org.id]) for org in organisations
        ]
        position = {org.id: index for index, org in enumerate(organisations)}
        grouped = sorted(
            (b for b in branches if b.organisation_id in names), key=lambda b: position[b.organisation_id]
        )
        self.branch.choices = [_no_branch()] + [
            SelectChoice(str(b.id), b.name, optgroup=names[b.organisation_id]) for b in grouped
        ]


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[InputRequired(message=_l("Enter your e-mail address."))],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class ProfileForm(FlaskForm):
    name = _name_field()
    branch = _branch_field()
    person_kind = _person_kind_field()
    locale = _locale_field()
    submit = SubmitField(_l("Save"))

    def set_branches(self, branches: Iterable[Branch]) -> None:
        """The branches a person of this organisation may choose."""
        self.branch.choices = [_no_branch()] + [SelectChoice(str(b.id), b.name) for b in branches]


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = _new_password_fields(_l("New password"))
    submit = SubmitField(_l("Change my password"))


class ResetRequestForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields(_l("New password"))
    submit = SubmitField(_l("Set my new password"))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(message=_l("Enter your password to delete your account."))],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        _l("I understand that my account will be deleted and that this cannot be undone."),
        validators=[
            DataRequired(message=_l("Tick the box to confirm that you want to delete your account."))
        ],
    )
    submit = SubmitField(_l("Delete my account"))
