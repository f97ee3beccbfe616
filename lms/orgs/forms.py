"""Forms of the organisations pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from lms.orgs.services import BRANCH_NAME_MAX, HEADCOUNT_MAX, SUPPORT_CONTACTS_MAX

# The regions (lms.orgs.models.REGIONS) as stored, in English from the IFRC's list, and as shown.
REGION_LABELS = {
    "Africa": _l("Africa"),
    "Americas": _l("Americas"),
    "Asia Pacific": _l("Asia Pacific"),
    "Europe": _l("Europe"),
    "Middle East and North Africa": _l("Middle East and North Africa"),
}


class OrganisationFilterForm(FlaskForm):
    """The filters of the organisations list (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name or code"), [Optional(), Length(max=100)])
    region = SelectField(
        _l("Region"),
        choices=[
            SelectChoice("", _l("All regions")),
            *(SelectChoice(region, label) for region, label in REGION_LABELS.items()),
        ],
        default="",
        validate_choice=True,
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Active and inactive")),
            SelectChoice("active", _l("Active")),
            SelectChoice("inactive", _l("Inactive")),
        ],
        default="",
    )


class ActiveForm(FlaskForm):
    """Mark something active (1) or inactive (0)."""

    active = HiddenField(validators=[InputRequired(), AnyOf(["0", "1"])])


class BranchForm(FlaskForm):
    name = StringField(
        _l("Branch name"),
        [
            InputRequired(message=_l("Enter the branch's name.")),
            Length(max=BRANCH_NAME_MAX, message=_l("A branch name must be at most %(max)d characters long.")),
        ],
    )


class HeadcountForm(FlaskForm):
    staff = IntegerField(
        _l("Staff"),
        [
            InputRequired(message=_l("Enter the number of staff (0 if none).")),
            NumberRange(
                min=0, max=HEADCOUNT_MAX, message=_l("Enter a whole number from %(min)s to %(max)s.")
            ),
        ],
    )
    volunteers = IntegerField(
        _l("Volunteers"),
        [
            InputRequired(message=_l("Enter the number of volunteers (0 if none).")),
            NumberRange(
                min=0, max=HEADCOUNT_MAX, message=_l("Enter a whole number from %(min)s to %(max)s.")
            ),
        ],
    )
    as_of = DateField(
        _l("As of"),
        [InputRequired(message=_l("Enter the date these numbers were true on."))],
        format="%Y-%m-%d",
    )


class SupportContactsForm(FlaskForm):
    contacts = TextAreaField(
        _l("Support contacts"),
        [
            Length(
                max=SUPPORT_CONTACTS_MAX,
                message=_l("Support contacts must be at most %(max)d characters long."),
            )
        ],
    )
