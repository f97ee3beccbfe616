"""Catalogue, course page, player, support, My learning and the learner's xAPI statements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import _, get_locale
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from lms import db
from lms.courses import services as courses_services
from lms.courses.models import Course
from lms.i18n import LANGUAGE_NAMES, text_direction
from lms.learning import forms, queries, services
from lms.learning.blocks import lang_attributes, lesson_blocks
from lms.learning.models import Enrolment

bp = Blueprint("learning", __name__)


def _reader_language() -> str:
    return str(get_locale() or current_app.config["DEFAULT_LOCALE"])


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


def _enrolment_or_none(course: Course) -> Enrolment | None:
    return services.current_enrolment(db.session, current_user.id, course.id)


@bp.get("/courses")
def catalogue() -> str:
    entries, tags = queries.catalogue(db.session, _user_id(), _reader_language())
    form = forms.CatalogueFilterForm(request.args, tags=tags, language_names=LANGUAGE_NAMES)
    filtered = bool(request.args)
    if filtered and form.validate():
        entries = queries.filter_catalogue(
            entries, language=form.language.data, tag=form.tag.data, length=form.length.data
        )
    return render_template(
        "learning/catalogue.html", entries=entries, form=form, filtered=filtered, total=len(entries)
    )


@bp.get("/courses/<slug>")
def course(slug: str) -> str:
    course = _course_or_404(slug)
    newest = courses_services.latest_version(db.session, course.id)
    enrolment = _enrolment_or_none(course) if current_user.is_authenticated else None
    if newest is None or (course.retired_at is not None and enrolment is None):
        abort(404)
    asked = request.args.get("lang")
    if asked not in newest.languages:
        asked = None
    unfinished = enrolment is not None and enrolment.completed_at is None
    language = services.content_language(
        newest, asked or (enrolment.language if unfinished else None) or _reader_language()
    )
    form = forms.StartForm(newest.languages, LANGUAGE_NAMES, language=language)
    progress = services.course_progress(db.session, enrolment) if enrolment is not None else None
    completions = queries.completions_of(db.session, current_user.id, course.id) if enrolment else []
    return render_template(
        "learning/course.html",
        course=course,
        version=newest,
        language=language,
        wanted_language=asked or _reader_language(),
        text=services.localized(newest, language),
        minutes=queries.minutes_in(newest, language),
        content_dir=text_direction(language),
        enrolment=enrolment,
        progress=progress,
        completions=completions,
        form=form,
    )


@bp.post("/courses/<slug>/start")
@login_required
def start(slug: str) -> WerkzeugResponse:
    course = _course_or_404(slug)
    # Any interface language is accepted: the course falls back to its source language.
    form = forms.StartForm(list(LANGUAGE_NAMES), LANGUAGE_NAMES)
    if not form.validate():
        flash(_("Please choose one of the course's languages."), "error")
        return redirect(url_for(".course", slug=slug))
    try:
        enrolment = services.start_course(db.session, current_user, course, form.language.data)
    except services.CourseNotAvailable:
        abort(404)
    db.session.commit()
    return redirect(url_for(".lesson", slug=slug, lesson_id=services.first_lesson_id(enrolment)))


def _lesson_page(
    course: Course,
    enrolment: Enrolment,
    lesson_id: str,
    submitted: dict[str, FlaskForm] | None = None,
    progress: services.CourseProgress | None = None,
) -> str:
    """The player page; `submitted` holds a form that failed validation, to show with its errors."""
    submitted = submitted or {}
    version = enrolment.course_version
    language = services.content_language(version, enrolment.language)
    text = services.localized(version, language)
    lessons = services.lessons_in_order(text)
    index = next((i for i, lesson in enumerate(lessons) if lesson["id"] == lesson_id), None)
    if index is None:
        abort(404)
    lesson = lessons[index]
    progress = progress or services.course_progress(db.session, enrolment)
    has_reflection = any(block["type"] == "reflection" for block in lesson["blocks"])
    reflections = queries.reflections_of(db.session, enrolment.id) if has_reflection else {}
    blocks = lesson_blocks(
        version,
        language,
        course.slug,
        lesson,
        progress,
        reflections,
        submitted,
    )
    completion = None
    if enrolment.completed_at is not None:
        completion = queries.completion_of(db.session, current_user.id, version.id)
    return render_template(
        "learning/lesson.html",
        course=course,
        enrolment=enrolment,
        version=version,
        language=language,
        content_dir=text_direction(language),
        lang=lang_attributes(language),
        text=text,
        lesson=lesson,
        lessons=lessons,
        index=index,
        previous_lesson=lessons[index - 1] if index > 0 else None,
        next_lesson=lessons[index + 1] if index + 1 < len(lessons) else None,
        blocks=blocks,
        progress=progress,
        lesson_states={item["id"]: progress.lesson_state(item) for item in lessons},
        completion=completion,
    )


def _enrolment_for_player(slug: str) -> tuple[Course, Enrolment | None]:
    enrolment = services.player_enrolment(db.session, current_user.id, slug)
    if enrolment is None:
        return _course_or_404(slug), None
    return enrolment.course, enrolment


def _not_started(slug: str) -> WerkzeugResponse:
    flash(_("Start the course to open its lessons."), "info")
    return redirect(url_for(".course", slug=slug))


@bp.get("/learn/<slug>/<lesson_id>")
@login_required
def lesson(slug: str, lesson_id: str) -> str | WerkzeugResponse:
    course, enrolment = _enrolment_for_player(slug)
    if enrolment is None:
        return _not_started(slug)
    try:
        visit = services.open_lesson(db.session, current_user, enrolment, lesson_id)
    except services.LessonNotFound:
        abort(404)
    # Rendered before the commit, so that its reads share the view's transaction.
    page = _lesson_page(course, enrolment, lesson_id, progress=visit.progress)
    db.session.commit()
    return page


def _back_to_block(slug: str, lesson_id: str, block_id: str) -> WerkzeugResponse:
    return redirect(url_for(".lesson", slug=slug, lesson_id=lesson_id, _anchor=f"block-{block_id}"))


def _interactive_block(
    enrolment: Enrolment, lesson_id: str, block_id: str, block_type: str
) -> dict[str, Any]:
    version = enrolment.course_version
    text = services.localized(version, services.content_language(version, enrolment.language))
    try:
        return services.find_block(text, lesson_id, block_id, block_type)
    except (services.LessonNotFound, services.BlockNotFound):
        abort(404)


def _not_saved(slug: str, lesson_id: str, block_id: str) -> WerkzeugResponse:
    db.session.rollback()
    flash(_("Your answer could not be saved. Please send it again."), "error")
    return _back_to_block(slug, lesson_id, block_id)


def _answer(
    slug: str,
    lesson_id: str,
    block_id: str,
    block_type: str,
    make_form: Callable[[dict[str, Any], Any], FlaskForm],
    submit: Callable[[Enrolment, dict[str, Any], FlaskForm], object],
) -> str | WerkzeugResponse:
    """Check and store an answer to a knowledge check or a scenario, then go back to the block."""
    course, enrolment = _enrolment_for_player(slug)
    if enrolment is None:
        return _not_started(slug)
    block = _interactive_block(enrolment, lesson_id, block_id, block_type)
    form = make_form(services.public_block(block), request.form)
    if not form.validate():
        return _lesson_page(course, enrolment, lesson_id, submitted={block_id: form})
    try:
        submit(enrolment, block, form)
    except (services.InvalidAnswer, services.InvalidSubmission, services.AnswerNotSaved):
        return _not_saved(slug, lesson_id, block_id)
    db.session.commit()
    return _back_to_block(slug, lesson_id, block_id)


@bp.post("/learn/<slug>/<lesson_id>/check/<block_id>")
@login_required
def answer_check(slug: str, lesson_id: str, block_id: str) -> str | WerkzeugResponse:
    return _answer(
        slug,
        lesson_id,
        block_id,
        "knowledge_check",
        forms.knowledge_check_form,
        lambda enrolment, block, form: services.submit_knowledge_check(
            db.session,
            current_user,
            enrolment,
            lesson_id,
            block_id,
            forms.selections(form, block),
            form.submission_id.data,
        ),
    )


@bp.post("/learn/<slug>/<lesson_id>/scenario/<block_id>")
@login_required
def answer_scenario(slug: str, lesson_id: str, block_id: str) -> str | WerkzeugResponse:
    return _answer(
        slug,
        lesson_id,
        block_id,
        "scenario",
        forms.scenario_form,
        lambda enrolment, _block, form: services.submit_scenario_choice(
            db.session,
            current_user,
            enrolment,
            lesson_id,
            block_id,
            form.choice.data,
            form.submission_id.data,
        ),
    )


@bp.post("/learn/<slug>/<lesson_id>/reflection/<block_id>")
@login_required
def save_reflection(slug: str, lesson_id: str, block_id: str) -> str | WerkzeugResponse:
    course, enrolment = _enrolment_for_player(slug)
    if enrolment is None:
        return _not_started(slug)
    block = _interactive_block(enrolment, lesson_id, block_id, "reflection")
    form = forms.reflection_form(block, formdata=request.form)
    if not form.validate():
        return _lesson_page(course, enrolment, lesson_id, submitted={block_id: form})
    services.save_reflection(db.session, enrolment, lesson_id, block_id, form.text.data or "")
    db.session.commit()
    return _back_to_block(slug, lesson_id, block_id)


@bp.get("/support")
def support() -> str:
    user = current_user if current_user.is_authenticated else None
    source, contacts = services.support_contacts(db.session, user)
    help_text = None
    slug = request.args.get("course")
    if slug:
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        version = courses_services.latest_version(db.session, course.id) if course is not None else None
        if version is not None:
            language = services.content_language(version, _reader_language())
            help_text = {
                "course": course,
                "language": language,
                "dir": text_direction(language),
                "text": services.localized(version, language),
            }
    return render_template(
        "learning/support.html",
        source=source,
        contacts=contacts,
        organisation=user.organisation if user is not None else None,
        help_text=help_text,
    )


@bp.get("/me")
@login_required
def my_learning() -> str:
    return render_template(
        "learning/my_learning.html",
        in_progress=queries.in_progress(queries.learner_states(db.session, current_user.id)),
        completions=queries.completions_of(db.session, current_user.id),
        completion_title=queries.completion_title,
        direction_of=text_direction,
        reflections=queries.reflections_by_course(db.session, current_user.id),
    )


@bp.get("/me/xapi")
@login_required
def xapi() -> Response:
    base_url = current_app.config["BASE_URL"]
    statements = [
        services.completion_statement(completion, base_url)
        for completion in queries.completions_of(db.session, current_user.id)
    ]
    response = jsonify(statements)
    response.headers["X-Experience-API-Version"] = services.XAPI_VERSION
    response.headers["Cache-Control"] = "private, no-store"
    return response
