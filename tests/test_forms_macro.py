"""The shared form macro renders labelled fields with linked, announced errors."""

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired


class SampleForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Enter your name")])
    agree = BooleanField("I agree", validators=[DataRequired(message="Please agree")])


TEMPLATE = """{% from "_forms.html" import error_summary, field %}
{{ error_summary(form) }}{{ field(form.name, hint="As on your ID") }}{{ field(form.agree) }}"""


def test_field_errors_are_linked_to_their_fields(app):
    with app.test_request_context(method="POST", data={}):
        form = SampleForm(meta={"csrf": False})
        assert not form.validate()
        html = render_template_string(TEMPLATE, form=form)
    assert 'aria-describedby="name-hint name-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="name-error"' in html and "Enter your name" in html
    assert 'href="#name"' in html
    assert 'id="agree-error"' in html


def test_valid_field_has_no_error_attributes(app):
    with app.test_request_context(method="POST", data={"name": "Amina", "agree": "y"}):
        form = SampleForm(meta={"csrf": False})
        assert form.validate()
        html = render_template_string(TEMPLATE, form=form)
    assert "aria-invalid" not in html
    assert "error-summary" not in html
