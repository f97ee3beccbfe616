"""The shared test factories build valid rows on both databases."""

from tests.factories import CourseVersionFactory, RoleGrantFactory, UserFactory


def test_course_version_factory_tags_rows(db_session):
    version = CourseVersionFactory(tag_names=("basic-pss", "listening"))
    assert sorted(t.tag for t in version.tags) == ["basic-pss", "listening"]
    assert version.content["localized"]["en"]["modules"][0]["lessons"][0]["id"] == "lesson-one"


def test_user_factory_gives_a_learner_without_roles(db_session):
    user = UserFactory()
    assert user.roles == []
    assert not user.is_admin


def test_role_grant_factory_makes_an_author(db_session):
    grant = RoleGrantFactory(role="author")
    assert grant.user.is_author
