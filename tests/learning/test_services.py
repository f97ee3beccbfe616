"""The journey's services: enrolment, progress, answers, reflections, completion, support, xAPI."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.courses.models import CourseVersion
from lms.db import utcnow
from lms.learning import services
from lms.learning.models import Answer, Completion, Enrolment, LessonProgress, Reflection
from lms.orgs.models import SiteSetting
from tests.factories import BranchFactory, UserFactory
from tests.learning.conftest import RIGHT, WRONG, make_version


def _finish_lessons(db_session, user, enrolment):
    for lesson_id in ("lesson-one", "lesson-two"):
        services.record_lesson_view(db_session, user, enrolment, lesson_id)


def _check(db_session, user, enrolment, selections, submission_id):
    return services.submit_knowledge_check(
        db_session, user, enrolment, "lesson-two", "check-one", selections, submission_id
    )


def _completions(db_session, user):
    return db_session.scalars(select(Completion).where(Completion.user_id == user.id)).all()


def test_start_enrols_on_the_newest_version_in_the_chosen_language(db_session, learner):
    first = make_version(languages=("en", "fr"))
    newest = make_version(course=first.course, number=2, languages=("en", "fr"))
    enrolment = services.start_course(db_session, learner, first.course, "fr")
    assert enrolment.course_version_id == newest.id
    assert enrolment.language == "fr"


def test_start_falls_back_to_the_source_language(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "ar")
    assert enrolment.language == "en"


def test_learner_finishes_on_the_version_they_started_and_newcomers_get_the_new_one(db_session, learner):
    first = make_version()
    started = services.start_course(db_session, learner, first.course, "en")
    second = make_version(course=first.course, number=2)
    again = services.start_course(db_session, learner, first.course, "en")
    assert again.id == started.id
    assert again.course_version_id == first.id
    newcomer = services.start_course(db_session, UserFactory(), first.course, "en")
    assert newcomer.course_version_id == second.id


def test_learner_who_completed_an_old_version_can_start_the_new_one(db_session, learner):
    first = make_version()
    enrolment = services.start_course(db_session, learner, first.course, "en")
    _finish_lessons(db_session, learner, enrolment)
    _check(db_session, learner, enrolment, RIGHT, "a" * 22)
    assert enrolment.completed_at is not None
    second = make_version(course=first.course, number=2)
    renewed = services.start_course(db_session, learner, first.course, "en")
    assert renewed.course_version_id == second.id
    assert services.current_enrolment(db_session, learner.id, first.course_id).id == renewed.id


def test_retired_course_cannot_be_started_but_can_be_continued(db_session, learner, version):
    version.course.retired_at = utcnow()
    with pytest.raises(services.CourseNotAvailable):
        services.start_course(db_session, UserFactory(), version.course, "en")
    version.course.retired_at = None
    enrolment = services.start_course(db_session, learner, version.course, "en")
    version.course.retired_at = utcnow()
    assert services.start_course(db_session, learner, version.course, "en").id == enrolment.id


def test_reopening_the_same_lesson_within_a_minute_writes_nothing_and_loses_no_time(
    db_session, learner, version
):
    start = utcnow()
    enrolment = services.start_course(db_session, learner, version.course, "en", now=start)
    services.record_lesson_view(
        db_session, learner, enrolment, "lesson-one", now=start + timedelta(seconds=30)
    )
    db_session.flush()
    db_session.refresh(enrolment)
    viewed = db_session.scalars(
        select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id)
    ).one()
    first_view = viewed.last_viewed_at
    # Reloads at +40 s and +85 s: within a minute of the last recorded view, nothing is written.
    for seconds in (40, 85):
        services.record_lesson_view(
            db_session, learner, enrolment, "lesson-one", now=start + timedelta(seconds=seconds)
        )
        db_session.flush()
        assert not db_session.dirty
    db_session.refresh(enrolment)
    db_session.refresh(viewed)
    assert enrolment.last_activity_at == start + timedelta(seconds=30)
    assert viewed.last_viewed_at == first_view
    # The next recorded view counts the whole time since the last one written.
    services.record_lesson_view(
        db_session, learner, enrolment, "lesson-two", now=start + timedelta(seconds=120)
    )
    db_session.flush()
    db_session.refresh(enrolment)
    assert enrolment.time_spent_seconds == 120
    # A minute or more after the last written view, the same lesson is recorded again.
    services.record_lesson_view(
        db_session, learner, enrolment, "lesson-two", now=start + timedelta(seconds=180)
    )
    db_session.flush()
    db_session.refresh(enrolment)
    assert enrolment.last_activity_at == start + timedelta(seconds=180)
    assert enrolment.time_spent_seconds == 180


def test_lesson_view_saves_progress_last_lesson_and_capped_time(db_session, learner, version):
    start = utcnow()
    enrolment = services.start_course(db_session, learner, version.course, "en", now=start)
    services.record_lesson_view(
        db_session, learner, enrolment, "lesson-one", now=start + timedelta(seconds=30)
    )
    services.record_lesson_view(
        db_session, learner, enrolment, "lesson-two", now=start + timedelta(seconds=90)
    )
    # A tab left open overnight counts as ten minutes at most.
    services.record_lesson_view(db_session, learner, enrolment, "lesson-one", now=start + timedelta(hours=9))
    db_session.flush()
    db_session.refresh(enrolment)
    assert enrolment.last_lesson_id == "lesson-one"
    assert enrolment.time_spent_seconds == 30 + 60 + services.MAX_ACTIVITY_GAP_SECONDS
    rows = db_session.scalars(select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id)).all()
    assert sorted(r.lesson_id for r in rows) == ["lesson-one", "lesson-two"]
    assert services.first_lesson_id(enrolment) == "lesson-one"


def test_unknown_lesson_is_refused(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    with pytest.raises(services.LessonNotFound):
        services.record_lesson_view(db_session, learner, enrolment, "no-such-lesson")


def test_resent_answer_with_the_same_submission_id_is_stored_once(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    first = _check(db_session, learner, enrolment, WRONG, "same-submission-0001")
    again = _check(db_session, learner, enrolment, RIGHT, "same-submission-0001")
    assert first == again == 1
    answers = db_session.scalars(select(Answer).where(Answer.enrolment_id == enrolment.id)).all()
    assert len(answers) == 2  # one per question
    assert not any(a.correct for a in answers)  # the replay shows the first result, not the new choice


def test_a_submission_id_sent_by_another_learner_is_their_own_answer(db_session, learner, version):
    other = UserFactory()
    mine = services.start_course(db_session, learner, version.course, "en")
    theirs = services.start_course(db_session, other, version.course, "en")
    _check(db_session, learner, mine, RIGHT, "shared-submission-01")
    assert _check(db_session, other, theirs, WRONG, "shared-submission-01") == 1
    answers = db_session.scalars(select(Answer).where(Answer.enrolment_id == theirs.id)).all()
    assert len(answers) == 2
    assert not any(a.correct for a in answers)


def test_wrong_then_right_makes_two_attempts_and_the_latest_counts(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    assert _check(db_session, learner, enrolment, WRONG, "attempt-one-000001") == 1
    progress = services.course_progress(db_session, enrolment)
    assert progress.score == 0
    assert _check(db_session, learner, enrolment, RIGHT, "attempt-two-000002") == 2
    progress = services.course_progress(db_session, enrolment)
    assert progress.score == 100
    assert progress.passed


@pytest.mark.parametrize(
    "selections",
    [
        {"q-listen": ["listen"]},
        {"q-listen": ["listen", "advise"], "q-signs": ["sleep"]},
        {"q-listen": ["nonsense"], "q-signs": ["sleep"]},
        {"q-listen": ["listen"], "q-signs": []},
    ],
    ids=["question-missing", "two-for-single", "unknown-option", "none-chosen"],
)
def test_answers_that_do_not_fit_the_question_are_refused(db_session, learner, version, selections):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    with pytest.raises(services.InvalidAnswer):
        _check(db_session, learner, enrolment, selections, "refused-submission-1")


def test_malformed_submission_id_is_refused(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    with pytest.raises(services.InvalidSubmission):
        _check(db_session, learner, enrolment, RIGHT, "short")


def test_completion_needs_every_required_lesson(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    services.record_lesson_view(db_session, learner, enrolment, "lesson-two")
    _check(db_session, learner, enrolment, RIGHT, "right-answers-00001")
    assert _completions(db_session, learner) == []
    services.record_lesson_view(db_session, learner, enrolment, "lesson-one")
    assert len(_completions(db_session, learner)) == 1


def test_completion_needs_the_pass_mark_and_a_failed_learner_can_retry(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    _finish_lessons(db_session, learner, enrolment)
    # One of two questions right is 50 %, under the 80 % pass mark.
    _check(
        db_session, learner, enrolment, {"q-listen": ["listen"], "q-signs": ["sleep"]}, "half-right-0000001"
    )
    assert _completions(db_session, learner) == []
    _check(db_session, learner, enrolment, RIGHT, "all-right-00000001")
    assert len(_completions(db_session, learner)) == 1


def test_completion_is_written_once_with_what_was_true_at_completion(db_session, version):
    branch = BranchFactory()
    learner = UserFactory(organisation=branch.organisation, branch=branch, person_kind="staff")
    started = utcnow() - timedelta(minutes=20)
    enrolment = services.start_course(db_session, learner, version.course, "en", now=started)
    _finish_lessons(db_session, learner, enrolment)
    _check(db_session, learner, enrolment, RIGHT, "all-right-00000001")
    for lesson_id in ("lesson-one", "lesson-two"):
        services.record_lesson_view(db_session, learner, enrolment, lesson_id)
    _check(db_session, learner, enrolment, WRONG, "wrong-afterwards-01")
    assert services.complete_if_eligible(db_session, learner, enrolment) is not None
    [completion] = _completions(db_session, learner)
    assert completion.course_version_id == version.id
    assert completion.course_id == version.course_id
    assert completion.organisation_id == branch.organisation_id
    assert completion.branch_id == branch.id
    assert completion.person_kind == "staff"
    assert completion.language == "en"
    assert completion.score == 100  # a later wrong answer does not change a completion
    assert completion.started_at == started
    assert re.fullmatch(r"[A-Z2-7]{26}", completion.certificate_code)
    assert enrolment.completed_at == completion.completed_at


def test_certificate_codes_carry_128_random_bits():
    codes = {services.new_certificate_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(code) == 26 for code in codes)


def test_course_without_knowledge_checks_completes_when_lessons_are_seen(db_session, learner):
    version = make_version()
    content = dict(version.content)
    for text in content["localized"].values():
        text["modules"][0]["lessons"][1]["blocks"] = [{"type": "text", "id": "t2", "body_html": "<p>x</p>"}]
    version.content = content
    enrolment = services.start_course(db_session, learner, version.course, "en")
    _finish_lessons(db_session, learner, enrolment)
    [completion] = _completions(db_session, learner)
    assert completion.score == 100


def test_scenario_choice_is_stored_and_shows_feedback_and_best(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    services.submit_scenario_choice(
        db_session, learner, enrolment, "lesson-one", "crying-colleague", "cheer-up", "scenario-choice-001"
    )
    progress = services.course_progress(db_session, enrolment)
    block = services.find_block(
        services.localized(version, "en"), "lesson-one", "crying-colleague", "scenario"
    )
    feedback = services.scenario_feedback(block, progress.latest)
    assert feedback["chosen"] == {
        "text": "Tell them to cheer up",
        "feedback": "This can feel dismissive.",
        "best": False,
    }
    assert feedback["best"] == ["Sit with them and listen"]
    with pytest.raises(services.InvalidAnswer):
        services.submit_scenario_choice(
            db_session, learner, enrolment, "lesson-one", "crying-colleague", "nope", "scenario-choice-002"
        )


def test_check_feedback_says_right_or_wrong_and_never_which_option_was_right(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    block = services.find_block(
        services.localized(version, "en"), "lesson-two", "check-one", "knowledge_check"
    )
    assert services.check_feedback(block, {}) is None
    _check(db_session, learner, enrolment, WRONG, "feedback-attempt-01")
    feedback = services.check_feedback(block, services.course_progress(db_session, enrolment).latest)
    assert feedback["attempt"] == 1
    assert [q["correct"] for q in feedback["questions"]] == [False, False]
    assert feedback["questions"][0]["selected"] == [{"text": "Advising", "feedback": "No."}]
    assert "Listening" not in str(feedback)


def test_public_block_has_no_answer_flags(version):
    text = services.localized(version, "en")
    check = services.find_block(text, "lesson-two", "check-one", "knowledge_check")
    scenario = services.find_block(text, "lesson-one", "crying-colleague", "scenario")
    shown = str(services.public_block(check)) + str(services.public_block(scenario))
    assert "correct" not in shown
    assert "best" not in shown
    assert "feedback" not in shown


def test_reflection_is_saved_edited_and_removed(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    services.save_reflection(db_session, enrolment, "lesson-one", "first-thoughts", "  I feel tired.  ")
    services.save_reflection(db_session, enrolment, "lesson-one", "first-thoughts", "I feel rested.")
    [note] = db_session.scalars(select(Reflection).where(Reflection.enrolment_id == enrolment.id)).all()
    assert note.text == "I feel rested."
    services.save_reflection(db_session, enrolment, "lesson-one", "first-thoughts", "   ")
    db_session.flush()
    assert db_session.scalar(select(func.count()).select_from(Reflection)) == 0
    with pytest.raises(services.BlockNotFound):
        services.save_reflection(db_session, enrolment, "lesson-one", "intro-text", "not a reflection")


def test_support_contacts_prefer_the_society_then_the_movement_then_general(db_session, learner):
    assert services.support_contacts(db_session, learner) == ("general", None)
    db_session.add(SiteSetting(key="support_contacts", value="IFRC PS Centre: +45 0000"))
    db_session.flush()
    assert services.support_contacts(db_session, learner) == ("movement", "IFRC PS Centre: +45 0000")
    assert services.support_contacts(db_session, None) == ("movement", "IFRC PS Centre: +45 0000")
    learner.organisation.support_contacts = "Staff care line: 1234"
    assert services.support_contacts(db_session, learner) == ("organisation", "Staff care line: 1234")


@pytest.mark.parametrize(
    ("seconds", "expected"), [(0, "PT0S"), (59, "PT59S"), (60, "PT1M"), (3723, "PT1H2M3S"), (7200, "PT2H")]
)
def test_iso8601_duration(seconds, expected):
    assert services.iso8601_duration(seconds) == expected


def test_completion_statement_is_xapi_1_0_3(db_session, learner):
    version = make_version(languages=("en", "fr"))
    enrolment = services.start_course(db_session, learner, version.course, "fr")
    _finish_lessons(db_session, learner, enrolment)
    _check(db_session, learner, enrolment, RIGHT, "all-right-00000001")
    [completion] = _completions(db_session, learner)
    statement = services.completion_statement(completion, "https://learn.example.org/")
    slug = version.course.slug
    assert statement["version"] == "1.0.3"
    assert statement["actor"] == {
        "objectType": "Agent",
        "name": learner.name,
        "mbox": f"mailto:{learner.email}",
    }
    assert statement["verb"] == {
        "id": "http://adlnet.gov/expapi/verbs/completed",
        "display": {"en-US": "completed"},
    }
    assert statement["object"]["id"] == f"https://learn.example.org/courses/{slug}"
    assert statement["object"]["definition"]["name"] == {"en": f"{slug} [en]", "fr": f"{slug} [fr]"}
    assert statement["result"]["score"] == {"scaled": 1.0, "raw": 100, "min": 0, "max": 100}
    assert statement["result"]["success"] is True
    assert statement["result"]["completion"] is True
    assert re.fullmatch(r"PT(\d+H)?(\d+M)?(\d+S)?", statement["result"]["duration"])
    context = statement["context"]
    assert context["language"] == "fr"
    extensions = context["extensions"]
    assert extensions["https://learn.example.org/xapi/extensions/organisation"] == learner.organisation.code
    assert extensions["https://learn.example.org/xapi/extensions/course-version"] == {
        "number": 1,
        "label": "1.0",
    }
    [grouping] = context["contextActivities"]["grouping"]
    assert grouping["id"] == f"https://learn.example.org/organisations/{learner.organisation.code}"
    assert grouping["definition"]["name"]["en"] == learner.organisation.name_en
    assert statement["timestamp"] == completion.completed_at.isoformat()
    assert statement == services.completion_statement(completion, "https://learn.example.org")
    assert re.fullmatch(r"[0-9a-f-]{36}", statement["id"])


def test_completion_statement_of_a_deleted_account_names_nobody(db_session, learner, version):
    enrolment = services.start_course(db_session, learner, version.course, "en")
    _finish_lessons(db_session, learner, enrolment)
    _check(db_session, learner, enrolment, RIGHT, "all-right-00000001")
    [completion] = _completions(db_session, learner)
    completion.user_id = None
    db_session.flush()
    db_session.expire(completion)
    statement = services.completion_statement(completion, "https://learn.example.org")
    assert "mbox" not in statement["actor"]
    assert learner.name not in str(statement)


def test_enrolment_is_unique_per_version(db_session, learner, version):
    services.start_course(db_session, learner, version.course, "en")
    services.start_course(db_session, learner, version.course, "en")
    count = db_session.scalar(
        select(func.count()).select_from(Enrolment).where(Enrolment.user_id == learner.id)
    )
    assert count == 1
    assert db_session.scalar(select(func.count()).select_from(CourseVersion)) >= 1
