"""The blocks of a lesson page as HTML, each rendered once per process when it does not depend
on the learner.

A static block, and an interactive block the learner has not answered yet, are the same HTML
for every learner who reads the lesson in the same language and interface language, but for
two values: the CSRF token of the request and the fresh submission id of each form. Those are
rendered as marks, and the marks are filled in for each request. A block with the learner's
result, saved note or a form's errors is rendered for the request alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from flask_babel import get_locale
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from lms.cache import BoundedCache
from lms.courses.models import CourseVersion
from lms.i18n import text_direction
from lms.learning import forms, services
from lms.learning.models import Reflection

TEMPLATE = "learning/_block.html"
# Random per process, so that no course text can contain them.
CSRF_MARK = f"csrf-{secrets.token_hex(12)}"
SUBMISSION_MARK = f"submission-{secrets.token_hex(12)}"
CACHE_SIZE = 2000


def lang_attributes(language: str) -> Markup:
    """The `lang` and `dir` attributes of course text in `language`."""
    return Markup(' lang="{}" dir="{}"').format(language, text_direction(language))


# The HTML of the most recently shown learner-independent blocks (a few KB each).
cache: BoundedCache[Markup] = BoundedCache(CACHE_SIZE)


@dataclass
class _Block:
    # The item the template reads: the public block, its form, the learner's result or note.
    item: dict[str, Any]
    # Builds the form when the block has one and it must be rendered.
    make_form: Callable[[], FlaskForm] | None
    learner_specific: bool


# The feedback and the form of each kind of answered block.
_ANSWERED = {
    "knowledge_check": (services.check_feedback, forms.knowledge_check_form),
    "scenario": (services.scenario_feedback, forms.scenario_form),
}


def _prepare(
    block: dict[str, Any],
    progress: services.CourseProgress,
    reflections: dict[str, Reflection],
    submitted: dict[str, FlaskForm],
) -> _Block:
    item: dict[str, Any] = {"block": services.public_block(block)}
    failed = submitted.get(block["id"])
    if block["type"] in _ANSWERED:
        feedback, make_form = _ANSWERED[block["type"]]
        item["result"] = feedback(block, progress.latest)
        return _Block(
            item, lambda: failed or make_form(item["block"]), failed is not None or item["result"] is not None
        )
    if block["type"] == "reflection":
        saved = reflections.get(block["id"])
        item["saved"] = saved
        return _Block(
            item,
            lambda: failed or forms.reflection_form(block, saved.text if saved else ""),
            failed is not None or saved is not None,
        )
    return _Block(item, None, False)


def _render(prepared: _Block, slug: str, lesson_id: str, lang: Markup) -> Markup:
    if prepared.make_form is not None:
        prepared.item["form"] = prepared.make_form()
    template = current_app.jinja_env.get_template(TEMPLATE)
    # The template autoescapes everything it is given: its output is HTML.
    return Markup(template.render(item=prepared.item, slug=slug, lesson_id=lesson_id, lang=lang))  # noqa: S704


def _csrf_enabled() -> bool:
    return bool(current_app.config.get("WTF_CSRF_ENABLED", True))


def lesson_blocks(
    version: CourseVersion,
    language: str,
    slug: str,
    lesson: dict[str, Any],
    progress: services.CourseProgress,
    reflections: dict[str, Reflection],
    submitted: dict[str, FlaskForm] | None = None,
) -> list[Markup]:
    """The HTML of every block of `lesson`, in order, as the learner must see it now."""
    lang = lang_attributes(language)
    locale = str(get_locale() or current_app.config["DEFAULT_LOCALE"])
    token = generate_csrf() if _csrf_enabled() else None
    html = []
    for block in lesson["blocks"]:
        prepared = _prepare(block, progress, reflections, submitted or {})
        if prepared.learner_specific:
            html.append(_render(prepared, slug, lesson["id"], lang))
            continue
        key = (
            # The app too: a process may hold several (the tests do), each with its own settings.
            id(current_app._get_current_object()),
            token is not None,
            version.id,
            version.content_hash,
            language,
            locale,
            request.script_root,
            slug,
            lesson["id"],
            block["id"],
        )
        shared = cache.get(key)
        if shared is None:
            shared = _render(prepared, slug, lesson["id"], lang)
            form = prepared.item.get("form")
            if token is not None and form is not None:
                shared = shared.replace(token, CSRF_MARK)
            if form is not None and "submission_id" in form:
                shared = shared.replace(form.submission_id.data, SUBMISSION_MARK)
            cache.put(key, shared)
        if token is not None:
            shared = shared.replace(CSRF_MARK, token)
        if SUBMISSION_MARK in shared:
            shared = shared.replace(SUBMISSION_MARK, forms.new_submission_id())
        html.append(shared)
    return html
