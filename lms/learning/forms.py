"""Forms of the catalogue and the player. The player's forms are built from the course's blocks."""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Form,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.config import LOCALES
from lms.learning.services import REFLECTION_MAX_LENGTH, SUBMISSION_ID_PATTERN

LENGTH_CHOICES = [
    SelectChoice("", _l("Any length")),
    SelectChoice("short", _l("Up to 40 minutes")),
    SelectChoice("long", _l("Over 40 minutes")),
]


class _OneOf:
    """Every selected value must be one of the field's choices."""

    def __init__(self, values: set[str] | None = None, message: str | None = None) -> None:
        self.values = values
        self.message = message

    def __call__(self, form: Form, field: Any) -> None:
        allowed = self.values if self.values is not None else {choice.value for choice in field.choices}
        values = field.data if isinstance(field.data, list) else [field.data]
        # Nothing chosen is for InputRequired (or Optional) to judge, not this check.
        if not {value for value in values if value} <= allowed:
            raise ValidationError(self.message or _l("Choose among the options shown."))


class CatalogueFilterForm(FlaskForm):
    """The catalogue's GET filters (no CSRF token: they change nothing)."""

    class Meta:
        csrf = False

    language = SelectField(_l("Language"), validate_choice=False, validators=[_OneOf()])
    tag = SelectField(_l("Topic"), validate_choice=False, validators=[_OneOf()])
    length = SelectField(_l("Length"), choices=LENGTH_CHOICES, validate_choice=False, validators=[_OneOf()])

    def __init__(self, formdata: Any, tags: list[str], language_names: dict[str, str]) -> None:
        super().__init__(formdata)
        self.language.choices = [SelectChoice("", _l("Any language"))] + [
            SelectChoice(code, language_names[code], render_kw={"lang": code}) for code in LOCALES
        ]
        self.tag.choices = [SelectChoice("", _l("Any topic"))] + [SelectChoice(tag) for tag in tags]


class StartForm(FlaskForm):
    """Start or Continue, in one of the course's languages."""

    language = SelectField(_l("Language of the course"))

    def __init__(self, languages: list[str], language_names: dict[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.language.choices = [
            SelectChoice(code, language_names[code], render_kw={"lang": code}) for code in languages
        ]


def new_submission_id() -> str:
    """A fresh random id for one rendered answer form."""
    return secrets.token_urlsafe(16)


def _submission_field() -> HiddenField:
    # A fresh random id per rendered form: the same id sent twice is one answer, not two.
    return HiddenField(
        default=new_submission_id,
        validators=[
            InputRequired(message=_l("This form has expired. Please reload the page and answer again.")),
            Regexp(
                SUBMISSION_ID_PATTERN.pattern,
                message=_l("This form has expired. Please reload the page and answer again."),
            ),
        ],
    )


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def question_field_name(index: int) -> str:
    """The form field of the question at `index` in its knowledge check."""
    return f"q{index}"


def knowledge_check_form(block: dict[str, Any], formdata: Any = None) -> FlaskForm:
    """A form for one knowledge check: radio buttons for single-answer questions, checkboxes
    for multiple-answer ones. Built from a block whose options carry no `correct` flag."""

    class KnowledgeCheckForm(FlaskForm):
        submission_id = _submission_field()

    for index, question in enumerate(block["questions"]):
        choices = [SelectChoice(option["id"], option["text"]) for option in question["options"]]
        option_ids = {option["id"] for option in question["options"]}
        if question["kind"] == "single":
            question_field: Any = RadioField(
                question["prompt"],
                choices=choices,
                validate_choice=False,
                validators=[InputRequired(message=_l("Choose an answer.")), _OneOf(option_ids)],
            )
        else:
            question_field = CheckboxesField(
                question["prompt"],
                choices=choices,
                validate_choice=False,
                validators=[InputRequired(message=_l("Choose at least one answer.")), _OneOf(option_ids)],
            )
        setattr(KnowledgeCheckForm, question_field_name(index), question_field)
    return KnowledgeCheckForm(formdata=formdata, prefix=f"{block['id']}-")


def selections(form: FlaskForm, block: dict[str, Any]) -> dict[str, list[str]]:
    """The submitted choices of a knowledge-check form, by question id."""
    chosen = {}
    for index, question in enumerate(block["questions"]):
        data = form[question_field_name(index)].data
        chosen[question["id"]] = data if isinstance(data, list) else [data]
    return chosen


def scenario_form(block: dict[str, Any], formdata: Any = None) -> FlaskForm:
    """A form for one scenario: a radio button per option."""

    class ScenarioForm(FlaskForm):
        submission_id = _submission_field()
        choice = RadioField(
            block["question"],
            choices=[SelectChoice(option["id"], option["text"]) for option in block["options"]],
            validate_choice=False,
            validators=[
                InputRequired(message=_l("Choose a response.")),
                _OneOf({option["id"] for option in block["options"]}),
            ],
        )

    return ScenarioForm(formdata=formdata, prefix=f"{block['id']}-")


def reflection_form(block: dict[str, Any], saved_text: str = "", formdata: Any = None) -> FlaskForm:
    """A form for one reflection prompt: a labelled text area holding the learner's note."""

    class ReflectionForm(FlaskForm):
        text = TextAreaField(
            block["prompt"],
            default=saved_text,
            validators=[
                Length(
                    max=REFLECTION_MAX_LENGTH,
                    message=_l("Please keep your note under %(max)d characters.", max=REFLECTION_MAX_LENGTH),
                )
            ],
        )

    return ReflectionForm(formdata=formdata, prefix=f"{block['id']}-")
