"""The journey's pages through the test client: catalogue, course page, player, support, My learning."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import event, func, select

from lms.db import utcnow
from lms.learning import blocks, services
from lms.learning.models import Answer, Completion, Enrolment, Reflection
from lms.orgs.models import SiteSetting
from tests.factories import UserFactory
from tests.learning.conftest import RIGHT, login, make_version

SUBMISSION = "view-submission-0001"


def _form(selections: dict[str, list[str]], submission_id: str, block: str = "check-one") -> dict:
    data: dict = {f"{block}-submission_id": submission_id}
    for index, question in enumerate(("q-listen", "q-signs")):
        if question in selections:
            data[f"{block}-q{index}"] = selections[question]
    return data


def _started(client, db_session, learner, version):
    login(client, learner)
    response = client.post(f"/courses/{version.course.slug}/start", data={"language": "en"})
    assert response.status_code == 302
    return response


def _check_url(version):
    return f"/learn/{version.course.slug}/lesson-two/check/check-one"


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _words(page: str) -> str:
    """The page's text without its tags (course text sits in elements marking its language)."""
    return re.sub(r"<[^>]+>", "", page)


# --- catalogue ---


def test_catalogue_lists_published_courses_with_their_newest_version(client, db_session):
    old = make_version(course__slug="listening")
    newest = make_version(course=old.course, number=2)
    newest.content = {**newest.content}
    newest.content["localized"]["en"]["title"] = "Listening, second edition"
    retired = make_version(course__slug="retired-course")
    retired.course.retired_at = utcnow()
    page = _page(client, "/courses")
    assert "Listening, second edition" in page
    assert "listening [en]" not in page
    assert "retired-course" not in page
    assert "About 35 minutes" in page
    assert "basic-pss" in page


def test_catalogue_filters_by_language_topic_and_length(client, db_session):
    make_version(course__slug="short-en", minutes=35)
    make_version(course__slug="long-fr", minutes=55, languages=("fr", "en"), tag_names=("self-care",))
    assert "long-fr" not in _page(client, "/courses?length=short")
    page = _page(client, "/courses?length=long")
    assert "long-fr" in page
    assert "short-en [en]" not in page
    page = _page(client, "/courses?language=fr")
    assert "long-fr" in page
    assert "short-en [en]" not in page
    page = _page(client, "/courses?tag=self-care")
    assert "long-fr" in page
    assert "short-en [en]" not in page
    assert "1 course" in page


def test_catalogue_explains_a_filter_it_cannot_use(client, db_session):
    make_version(course__slug="short-en")
    page = _page(client, "/courses?language=xx")
    assert "Choose among the options shown." in page
    assert "short-en [en]" in page


def test_catalogue_shows_a_course_in_its_source_language_with_a_note(app, client, db_session):
    make_version(course__slug="english-only")
    client.get("/language/fr")
    page = _page(client, "/courses")
    assert "english-only [en]" in page
    with app.test_request_context(), force_locale("fr"):
        note = gettext(
            "Not available in %(wanted)s yet: shown in %(shown)s.", wanted="Français", shown="English"
        )
    assert note != "Not available in Français yet: shown in English."
    assert str(escape(note)) in page


def test_catalogue_cards_show_the_learners_own_state(client, db_session, learner):
    make_version(course__slug="untouched")
    started = make_version(course__slug="started")
    finished = make_version(course__slug="finished")
    enrolment = services.start_course(db_session, learner, started.course, "en")
    services.record_lesson_view(db_session, learner, enrolment, "lesson-one")
    done = services.start_course(db_session, learner, finished.course, "en")
    for lesson_id in ("lesson-one", "lesson-two"):
        services.record_lesson_view(db_session, learner, done, lesson_id)
    services.submit_knowledge_check(db_session, learner, done, "lesson-two", "check-one", RIGHT, SUBMISSION)
    login(client, learner)
    page = _page(client, "/courses")
    cards = {card.split("[en]")[0].rsplit(">", 1)[-1].strip(): card for card in page.split("<article")[1:]}
    assert "Not started" in cards["untouched"]
    assert "In progress: 50% of lessons seen" in cards["started"]
    assert "Completed" in cards["finished"]
    assert "Not started" not in cards["finished"]


@pytest.fixture
def query_counter(app, db_session):
    """Counts the SQL statements sent on the test's connection."""
    statements: list[str] = []
    connection = db_session.connection()

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    yield statements
    event.remove(connection, "before_cursor_execute", count)


def _catalogue_queries(client, query_counter):
    query_counter.clear()
    _page(client, "/courses")
    return len(query_counter)


def test_catalogue_query_count_does_not_grow_with_courses(client, db_session, learner, query_counter):
    first = make_version(course__slug="course-a")
    services.record_lesson_view(
        db_session, learner, services.start_course(db_session, learner, first.course, "en"), "lesson-one"
    )
    login(client, learner)
    one_course = _catalogue_queries(client, query_counter)
    for index in range(6):
        version = make_version(course__slug=f"course-more-{index}")
        enrolment = services.start_course(db_session, learner, version.course, "en")
        services.record_lesson_view(db_session, learner, enrolment, "lesson-one")
    make_version(course=first.course, number=2)
    # The first view after new versions reads their contents, all in one query; later ones none.
    seven_courses_cold = _catalogue_queries(client, query_counter)
    seven_courses = _catalogue_queries(client, query_counter)
    assert seven_courses == one_course
    assert seven_courses_cold == one_course + 1
    assert seven_courses <= 10


# --- course page and start ---


def test_course_page_shows_what_to_expect_and_asks_visitors_to_log_in(client, db_session, version):
    page = _page(client, f"/courses/{version.course.slug}")
    assert "Know one thing" in page
    assert "All staff and volunteers" in page
    assert "This course talks about grief and loss." in page
    assert "to start this course" in page
    assert "About 35 minutes" in page
    assert 'action="/courses/' not in page


def test_unknown_course_is_404(client, db_session):
    assert client.get("/courses/no-such-course").status_code == 404


def test_course_page_offers_a_choice_among_the_course_languages(client, db_session, learner):
    version = make_version(languages=("en", "ar"))
    login(client, learner)
    page = _page(client, f"/courses/{version.course.slug}?lang=ar")
    assert f"{version.course.slug} [ar]" in page
    assert 'dir="rtl"' in page
    assert 'lang="ar" selected value="ar"' in page
    assert 'value="fr"' not in page


def test_start_enrols_and_opens_the_first_lesson_then_continue_returns_to_the_last(
    client, db_session, learner, version
):
    response = _started(client, db_session, learner, version)
    assert response.headers["Location"].endswith(f"/learn/{version.course.slug}/lesson-one")
    _page(client, f"/learn/{version.course.slug}/lesson-two")
    page = _page(client, f"/courses/{version.course.slug}")
    assert "Continue" in page
    response = client.post(f"/courses/{version.course.slug}/start", data={"language": "en"})
    assert response.headers["Location"].endswith(f"/learn/{version.course.slug}/lesson-two")
    count = db_session.scalar(
        select(func.count()).select_from(Enrolment).where(Enrolment.user_id == learner.id)
    )
    assert count == 1


def test_start_needs_a_csrf_token(client, db_session, learner, version, app, monkeypatch):
    login(client, learner)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(f"/courses/{version.course.slug}/start", data={"language": "en"})
    assert response.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(Enrolment)) == 0


def test_start_needs_an_account(client, db_session, version):
    response = client.post(f"/courses/{version.course.slug}/start", data={"language": "en"})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- player ---


def test_lesson_before_starting_leads_to_the_course_page(client, db_session, learner, version):
    login(client, learner)
    response = client.get(f"/learn/{version.course.slug}/lesson-one")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courses/{version.course.slug}")


def test_unknown_lesson_is_404(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    assert client.get(f"/learn/{version.course.slug}/no-such-lesson").status_code == 404


def test_player_page_has_contents_progress_support_and_the_content_note_first(
    client, db_session, learner, version
):
    _started(client, db_session, learner, version)
    page = _page(client, f"/learn/{version.course.slug}/lesson-one")
    assert page.count("<h1") == 1
    assert "Need support?" in page
    assert f'href="/support?course={version.course.slug}"' in page
    assert "This course talks about grief and loss." in page
    assert '<progress id="course-progress" max="100" value="50">' in page
    assert "(done, current lesson)" in page  # no knowledge check in lesson one: done once opened
    assert "(not visited)" in page
    assert "<label for=" in page
    assert "What do you think?" in page
    page = _page(client, f"/learn/{version.course.slug}/lesson-two")
    assert "This course talks about grief and loss." not in page
    assert "(visited, current lesson)" in page
    assert "Need support?" in page
    assert 'rel="prev"' in page


def test_answers_are_not_in_the_page_before_answering(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    page = _page(client, f"/learn/{version.course.slug}/lesson-two")
    assert "Listening" in page
    assert "Yes." not in page
    assert "No." not in page
    assert "Not correct yet" not in page
    page = _page(client, f"/learn/{version.course.slug}/lesson-one")
    assert "Being there helps." not in page
    assert "This can feel dismissive." not in page


def _hidden(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{re.escape(name)}" type="hidden" value="([^"]*)"', page) + re.findall(
        rf'type="hidden" name="{re.escape(name)}" value="([^"]*)"', page
    )


def test_shared_lesson_blocks_carry_each_requests_own_csrf_token_and_submission_ids(
    app, client, db_session, learner, version, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    blocks.cache.clear()
    other = UserFactory()
    other_client = app.test_client()
    pages, cached = [], []
    for who, browser in ((learner, client), (other, other_client), (learner, client)):
        login(browser, who)
        services.start_course(db_session, who, version.course, "en")
        pages.append(_page(browser, f"/learn/{version.course.slug}/lesson-two"))
        cached.append(len(blocks.cache))
    submissions = [_hidden(page, "check-one-submission_id") for page in pages]
    tokens = [_hidden(page, "check-one-csrf_token") for page in pages]
    assert all(len(ids) == 1 and len(ids[0]) >= 16 for ids in submissions)
    # A fresh submission id on every page: a reload must not turn a new answer into a replay.
    assert len({ids[0] for ids in submissions}) == 3
    assert tokens[0] and tokens[1] and tokens[0] != tokens[1]
    assert blocks.CSRF_MARK not in "".join(pages) and blocks.SUBMISSION_MARK not in "".join(pages)
    # Rendered once for the first learner; the others got it from the cache, with their own values.
    assert cached[0] > 0 and cached[0] == cached[1] == cached[2]
    # The form works with the token the page gave.
    response = client.post(
        _check_url(version),
        data={**_form(RIGHT, submissions[2][0]), "check-one-csrf_token": tokens[2][0]},
    )
    assert response.status_code == 302


def test_a_block_shared_while_csrf_was_off_is_not_reused_once_it_is_on(
    app, client, db_session, learner, version, monkeypatch
):
    blocks.cache.clear()
    _started(client, db_session, learner, version)
    assert _hidden(_page(client, f"/learn/{version.course.slug}/lesson-two"), "check-one-csrf_token") == []
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = _page(client, f"/learn/{version.course.slug}/lesson-two")
    assert len(_hidden(page, "check-one-csrf_token")) == 1


def test_a_block_the_learner_answered_is_not_shared_with_others(app, client, db_session, learner, version):
    blocks.cache.clear()
    _started(client, db_session, learner, version)
    client.post(_check_url(version), data=_form({"q-listen": ["advise"], "q-signs": ["sleep"]}, SUBMISSION))
    assert "Your answers (attempt 1)" in _page(client, f"/learn/{version.course.slug}/lesson-two")
    other = UserFactory()
    other_client = app.test_client()
    login(other_client, other)
    services.start_course(db_session, other, version.course, "en")
    page = _page(other_client, f"/learn/{version.course.slug}/lesson-two")
    assert "Your answers" not in page
    assert "You chose" not in page
    assert "Check my answers" in page


def test_wrong_then_right_answers_show_text_results_and_allow_another_try(
    client, db_session, learner, version
):
    _started(client, db_session, learner, version)
    response = client.post(
        _check_url(version), data=_form({"q-listen": ["advise"], "q-signs": ["sleep"]}, "try-one-00000001")
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/learn/{version.course.slug}/lesson-two#block-check-one")
    page = _page(client, f"/learn/{version.course.slug}/lesson-two")
    assert "Your answers (attempt 1)" in page
    assert "0 of 2 correct" in page
    assert "Not correct yet" in page
    assert "You chose: Advising" in _words(page)
    assert "No." in page
    assert "Try again" in page
    client.post(_check_url(version), data=_form(RIGHT, "try-two-00000002"))
    page = _page(client, f"/learn/{version.course.slug}/lesson-two")
    assert "Your answers (attempt 2)" in page
    assert "2 of 2 correct" in page
    assert "Answer again" in page


def test_a_resent_answer_is_stored_once_and_shows_the_same_result(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    data = _form({"q-listen": ["advise"], "q-signs": ["sleep"]}, SUBMISSION)
    first = client.post(_check_url(version), data=data)
    second = client.post(_check_url(version), data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db_session.scalar(select(func.count()).select_from(Answer)) == 2
    assert "Your answers (attempt 1)" in _page(client, f"/learn/{version.course.slug}/lesson-two")


def test_unanswered_question_is_explained_next_to_it(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    response = client.post(_check_url(version), data=_form({"q-listen": ["listen"]}, SUBMISSION))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Choose at least one answer." in page
    assert 'id="check-one-q1-error"' in page
    assert db_session.scalar(select(func.count()).select_from(Answer)) == 0


def test_expired_form_is_explained(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    response = client.post(_check_url(version), data=_form(RIGHT, ""))
    assert "This form has expired" in response.get_data(as_text=True)


def test_answer_to_unknown_block_is_404(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    url = f"/learn/{version.course.slug}/lesson-two/check/no-such-block"
    assert client.post(url, data=_form(RIGHT, SUBMISSION)).status_code == 404


def test_scenario_shows_the_chosen_feedback_and_the_best_response(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    url = f"/learn/{version.course.slug}/lesson-one/scenario/crying-colleague"
    data = {"crying-colleague-submission_id": SUBMISSION, "crying-colleague-choice": "cheer-up"}
    assert client.post(url, data=data).status_code == 302
    page = _page(client, f"/learn/{version.course.slug}/lesson-one")
    assert "You chose: Tell them to cheer up" in _words(page)
    assert "This can feel dismissive." in page
    assert "The best response:" in page
    assert "Sit with them and listen" in page


def test_completing_the_course_shows_the_certificate(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    _page(client, f"/learn/{version.course.slug}/lesson-one")
    client.post(_check_url(version), data=_form(RIGHT, SUBMISSION))
    page = _page(client, f"/learn/{version.course.slug}/lesson-two")
    completion = db_session.scalars(select(Completion)).one()
    assert "You have completed this course." in page
    assert f"/certificates/{completion.certificate_code}.pdf" in page
    assert f"/verify/{completion.certificate_code}" in page
    course_page = _page(client, f"/courses/{version.course.slug}")
    assert f"/certificates/{completion.certificate_code}.pdf" in course_page
    assert "Review the lessons" in course_page


def test_last_lesson_says_what_is_still_missing(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    client.post(_check_url(version), data=_form({"q-listen": ["advise"], "q-signs": ["sleep"]}, SUBMISSION))
    page = _page(client, f"/learn/{version.course.slug}/lesson-two")
    assert "To complete the course" in page
    assert "Open the lesson: Lesson one" in _words(page)  # Start only redirected there: it was never opened
    assert "Your score is 0%; 80% is needed." in page


# --- reflections ---


def test_reflection_is_saved_edited_and_private(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    url = f"/learn/{version.course.slug}/lesson-one/reflection/first-thoughts"
    response = client.post(url, data={"first-thoughts-text": "My secret thought"})
    assert response.headers["Location"].endswith("/lesson-one#block-first-thoughts")
    client.post(url, data={"first-thoughts-text": "My edited secret thought"})
    assert db_session.scalars(select(Reflection)).one().text == "My edited secret thought"
    page = _page(client, f"/learn/{version.course.slug}/lesson-one")
    assert "My edited secret thought</textarea>" in page
    assert "My edited secret thought" in _page(client, "/me")

    other = UserFactory()
    login(client, other)
    client.post(f"/courses/{version.course.slug}/start", data={"language": "en"})
    for url in (
        f"/learn/{version.course.slug}/lesson-one",
        "/me",
        f"/courses/{version.course.slug}",
        "/courses",
    ):
        assert "secret thought" not in _page(client, url)


def test_too_long_reflection_is_refused_with_a_message(client, db_session, learner, version):
    _started(client, db_session, learner, version)
    url = f"/learn/{version.course.slug}/lesson-one/reflection/first-thoughts"
    response = client.post(url, data={"first-thoughts-text": "x" * (services.REFLECTION_MAX_LENGTH + 1)})
    assert response.status_code == 200
    assert "Please keep your note under 10000 characters." in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Reflection)) == 0


# --- support ---


def test_support_page_shows_the_societys_contacts(client, db_session, learner, version):
    learner.organisation.support_contacts = "Call Amina on 555 0100"
    login(client, learner)
    page = _page(client, f"/support?course={version.course.slug}")
    assert "Call Amina on 555 0100" in page
    assert learner.organisation.name_en in page
    assert "Talk to your focal point." in page  # the course's own help text


def test_support_page_falls_back_to_the_movement_default_then_to_general_advice(client, db_session):
    assert "team leader" in _page(client, "/support")
    db_session.add(SiteSetting(key="support_contacts", value="PS Centre hotline 555 0199"))
    db_session.flush()
    assert "PS Centre hotline 555 0199" in _page(client, "/support")


# --- my learning and xAPI ---


def test_my_learning_lists_courses_in_progress_and_completed(client, db_session, learner):
    going = make_version(course__slug="going")
    done = make_version(course__slug="done")
    enrolment = services.start_course(db_session, learner, going.course, "en")
    services.record_lesson_view(db_session, learner, enrolment, "lesson-two")
    finished = services.start_course(db_session, learner, done.course, "en")
    for lesson_id in ("lesson-one", "lesson-two"):
        services.record_lesson_view(db_session, learner, finished, lesson_id)
    services.submit_knowledge_check(
        db_session, learner, finished, "lesson-two", "check-one", RIGHT, SUBMISSION
    )
    completion = db_session.scalars(select(Completion)).one()
    login(client, learner)
    page = _page(client, "/me")
    in_progress = page[page.index("In progress") : page.index('id="completed-title"')]
    assert "going [en]" in in_progress
    assert "/learn/going/lesson-two" in in_progress
    assert "50% of lessons seen" in in_progress
    completed = page[page.index('id="completed-title"') :]
    assert "done [en]" in completed
    assert f"/certificates/{completion.certificate_code}.pdf" in completed


def test_my_learning_needs_an_account(client, db_session):
    assert client.get("/me").status_code == 302
    assert client.get("/me/xapi").status_code == 302


def test_xapi_endpoint_returns_only_the_learners_own_statements(client, db_session, learner, version):
    other = UserFactory()
    for person in (learner, other):
        enrolment = services.start_course(db_session, person, version.course, "en")
        for lesson_id in ("lesson-one", "lesson-two"):
            services.record_lesson_view(db_session, person, enrolment, lesson_id)
        services.submit_knowledge_check(
            db_session, person, enrolment, "lesson-two", "check-one", RIGHT, f"xapi-{person.id:016d}"
        )
    login(client, learner)
    response = client.get("/me/xapi")
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    [statement] = response.json
    assert statement["actor"]["mbox"] == f"mailto:{learner.email}"
    assert statement["object"]["id"] == f"http://localhost/courses/{version.course.slug}"


def test_course_text_is_marked_with_its_language_and_direction(client, db_session, learner):
    version = make_version(languages=("ar", "en"))
    login(client, learner)
    client.post(f"/courses/{version.course.slug}/start", data={"language": "ar"})
    page = _page(client, f"/learn/{version.course.slug}/lesson-two")
    assert re.search(r'<h1\s+lang="ar" dir="rtl">Lesson two</h1>', page)
    assert re.search(r'<legend\s+lang="ar" dir="rtl">Which helps most\?</legend>', page)
    # Interface text stays in the interface language and direction.
    assert '<h2 id="block-check-one-title">Check your understanding</h2>' in page
    assert '<html lang="en" dir="ltr">' in page
