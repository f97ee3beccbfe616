"""Loading courses as versions: idempotent, versioned, all-or-nothing; and reading them back."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import event, func, select

from lms.audit.models import AuditEvent
from lms.courses import services
from lms.courses.models import Course, CourseMedia, CourseVersion, CourseVersionTag
from lms.courses.validation import check_course
from lms.learning.models import Enrolment
from tests.courses.conftest import BROKEN, COMPLETE, replace_in
from tests.factories import CourseVersionFactory, UserFactory


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_loading_twice_creates_one_version_and_writes_nothing_the_second_time(db_session):
    (first,) = services.load_courses(db_session, [str(COMPLETE)])
    assert (first.course_id, first.status, first.version_number) == ("complete-course", "created", 1)
    counts = [
        _count(db_session, m) for m in (Course, CourseVersion, CourseMedia, CourseVersionTag, AuditEvent)
    ]
    assert counts == [1, 1, 2, 2, 1]
    (second,) = services.load_courses(db_session, [str(COMPLETE)])
    assert (second.status, second.version_number, second.content_hash) == ("unchanged", 1, first.content_hash)
    assert [
        _count(db_session, m) for m in (Course, CourseVersion, CourseMedia, CourseVersionTag, AuditEvent)
    ] == counts


def test_stored_version_holds_the_checked_content_and_its_figures(db_session):
    services.load_courses(db_session, [str(COMPLETE)], actor_id=None)
    version = db_session.scalar(select(CourseVersion))
    check = check_course(COMPLETE)
    assert version.content == check.content
    assert version.content_hash == check.content_hash
    assert (version.number, version.label, version.source_language) == (1, "1.0", "en")
    assert version.languages == ["en", "fr"]
    assert version.estimated_minutes == {"en": 35, "fr": 38}
    assert sorted(tag.tag for tag in version.tags) == ["basic-pss", "listening"]
    assert version.warnings == []
    event_ = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "course.load"))
    assert event_.target == "complete-course"
    assert event_.details == {"version": 1, "content_hash": version.content_hash, "languages": ["en", "fr"]}


def test_media_files_are_stored_once_by_their_hash(db_session):
    services.load_courses(db_session, [str(COMPLETE)])
    media = {m.content_type: m for m in db_session.scalars(select(CourseMedia))}
    assert set(media) == {"image/svg+xml", "audio/wav"}
    svg = media["image/svg+xml"]
    assert svg.data == (COMPLETE / "media" / "look-listen-link.svg").read_bytes()
    assert svg.size == len(svg.data)


def test_editing_a_lesson_adds_a_version_and_the_first_stays_readable(db_session, course_copy):
    (first,) = services.load_courses(db_session, [str(course_copy)])
    version_one = db_session.scalar(select(CourseVersion))
    learner = UserFactory()
    enrolment = Enrolment(
        user=learner,
        course=version_one.course,
        course_version=version_one,
        language="en",
        last_lesson_id="what-is-pss",
    )
    db_session.add(enrolment)
    db_session.flush()
    old_content = version_one.content

    replace_in(
        course_copy / "modules" / "01-noticing.yaml",
        "You do not have to fix everything.",
        "You cannot fix everything.",
    )
    (second,) = services.load_courses(db_session, [str(course_copy)])
    assert (second.status, second.version_number) == ("created", 2)
    assert second.content_hash != first.content_hash
    db_session.expire_all()

    assert services.get_version(db_session, version_one.id).content == old_content
    assert db_session.get(Enrolment, enrolment.id).course_version.number == 1
    latest = services.latest_version(db_session, version_one.course_id)
    assert latest.number == 2
    assert (
        "You cannot fix everything."
        in latest.content["localized"]["en"]["modules"][0]["lessons"][0]["blocks"][0]["body_html"]
    )
    assert [v.number for _c, v in services.published_courses(db_session)] == [2]
    # The French text of the edited block is now stale: the warning is stored with the version.
    (warning,) = latest.warnings
    assert warning.startswith(
        "modules/01-noticing.fr.yaml:14:3: warning: stale French translation of 'pss-intro.body'"
    )
    assert latest.warnings == [p.format("") for p in check_course(course_copy).problems.sorted()]


def test_a_failed_load_writes_nothing(db_session):
    with pytest.raises(services.CoursesInvalid) as raised:
        services.load_courses(db_session, [str(COMPLETE), str(BROKEN / "no-correct-option-missing")])
    assert "no such file or folder" in raised.value.messages[0]
    with pytest.raises(services.CoursesInvalid) as raised:
        services.load_courses(db_session, [str(COMPLETE), str(BROKEN / "question-without-correct-option")])
    assert any("has no correct option" in message for message in raised.value.messages)
    assert _count(db_session, Course) == 0
    assert _count(db_session, CourseVersion) == 0
    assert _count(db_session, CourseMedia) == 0


def test_load_command_loads_several_courses_with_a_progress_bar(runner, tmp_path):
    shutil.copytree(COMPLETE, tmp_path / "complete-course")
    shutil.copytree(BROKEN / "duration-exception-warns", tmp_path / "duration-exception-warns")
    result = runner.invoke(args=["courses", "load", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Loading courses" in result.output
    assert "complete-course: loaded as version 1" in result.output
    assert "duration-exception-warns: loaded as version 1" in result.output
    again = runner.invoke(args=["courses", "load", str(tmp_path)])
    assert "complete-course: unchanged, same content as version 1." in again.output


def test_load_command_with_one_broken_course_loads_nothing(runner, db_session):
    result = runner.invoke(args=["courses", "load", str(COMPLETE), str(BROKEN / "scenario-without-best")])
    assert result.exit_code == 1
    assert "error: the scenario has no best option" in result.output
    assert "Nothing was loaded" in result.output
    assert _count(db_session, Course) == 0


def test_published_courses_are_the_newest_versions_of_active_courses_in_one_query(db_session):
    first = CourseVersionFactory(course__slug="b-course", number=1)
    CourseVersionFactory(course=first.course, number=2)
    CourseVersionFactory(course__slug="a-course", number=1)
    retired = CourseVersionFactory(course__slug="c-course", number=1)
    services.retire_course(db_session, retired.course.slug)
    db_session.expire_all()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    connection = db_session.connection()
    event.listen(connection, "before_cursor_execute", listener)
    try:
        rows = services.published_courses(db_session)
        pairs = [(course.slug, version.number) for course, version in rows]
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    assert pairs == [("a-course", 1), ("b-course", 2)]
    assert len(statements) == 1


def test_retire_hides_a_course_and_restore_shows_it_again_both_audited(db_session):
    version = CourseVersionFactory(course__slug="some-course")
    services.retire_course(db_session, "some-course")
    assert services.published_courses(db_session) == []
    assert db_session.get(CourseVersion, version.id) is not None
    services.restore_course(db_session, "some-course")
    assert [c.slug for c, _v in services.published_courses(db_session)] == ["some-course"]
    actions = db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["course.retire", "course.restore"]
    with pytest.raises(services.CourseNotFound):
        services.retire_course(db_session, "no-such-course")


def test_list_retire_and_restore_commands(runner, db_session):
    assert "No course is loaded yet" in runner.invoke(args=["courses", "list"]).output
    runner.invoke(args=["courses", "load", str(COMPLETE)])
    listing = runner.invoke(args=["courses", "list"]).output.splitlines()
    assert listing[0].split() == ["ID", "TITLE", "LANGUAGES", "VERSIONS", "MINUTES", "STATUS"]
    assert listing[1].split() == [
        "complete-course",
        "Listening",
        "with",
        "care",
        "en,fr",
        "1",
        "en:35",
        "fr:38",
        "active",
    ]
    retired = runner.invoke(args=["courses", "retire", "complete-course"])
    assert retired.exit_code == 0
    assert runner.invoke(args=["courses", "list"]).output.splitlines()[1].endswith("retired")
    assert runner.invoke(args=["courses", "restore", "complete-course"]).exit_code == 0
    assert runner.invoke(args=["courses", "list"]).output.splitlines()[1].endswith("active")
    unknown = runner.invoke(args=["courses", "retire", "nothing-here"])
    assert unknown.exit_code == 1
    assert "No loaded course has the id nothing-here." in unknown.output
