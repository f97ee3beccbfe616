"""factory-boy factories bound to the test's session (they flush, never commit)."""

from __future__ import annotations

import secrets

import factory
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from lms.auth.models import RoleGrant, User
from lms.courses.models import Course, CourseVersion, CourseVersionTag
from lms.orgs.models import Branch, Organisation

_session: Session | None = None


def bind(session: Session | None) -> None:
    global _session
    _session = session


def current_session() -> Session:
    if _session is None:
        raise RuntimeError("factories used outside a db_session fixture")
    return _session


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"T{n:03d}")
    kind = "national_society"
    iso2 = None
    region = "Europe"
    name_en = factory.Sequence(lambda n: f"Test Red Cross {n}")
    name_fr = factory.LazyAttribute(lambda o: f"Croix-Rouge de test {o.code}")
    name_es = factory.LazyAttribute(lambda o: f"Cruz Roja de prueba {o.code}")
    name_ar = factory.LazyAttribute(lambda o: f"الصليب الأحمر التجريبي {o.code}")
    active = True


class BranchFactory(BaseFactory):
    class Meta:
        model = Branch

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Branch {n}")


class UserFactory(BaseFactory):
    """A learner. Its password is `password` (default 'correct horse battery')."""

    class Meta:
        model = User
        exclude = ("password",)

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Sequence(lambda n: f"Person {n}")
    password = "correct horse battery"
    password_hash = factory.LazyAttribute(lambda o: _hash(o.password))
    organisation = factory.SubFactory(OrganisationFactory)
    branch = None
    person_kind = "volunteer"
    locale = "en"
    session_token = factory.LazyFunction(lambda: secrets.token_hex(16))


# Cheap parameters keep tests fast; verification reads the parameters from the hash itself.
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hash(password: str) -> str:
    return _TEST_HASHER.hash(password)


class RoleGrantFactory(BaseFactory):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = "author"
    organisation = None


def sample_content(slug: str, tags: list[str] | None = None, languages: tuple[str, ...] = ("en",)) -> dict:
    """A small published-content document (docs/published-content.md): one module, two lessons,
    a text block, a reflection and a two-question knowledge check."""
    localized = {}
    for lang in languages:
        localized[lang] = {
            "title": f"{slug} [{lang}]",
            "summary": f"Summary of {slug}",
            "objectives": ["Know one thing", "Do another"],
            "audience": "All staff and volunteers",
            "help_html": "<p>Talk to your focal point.</p>",
            "content_note": None,
            "estimated_minutes": 35,
            "fallback_keys": [],
            "modules": [
                {
                    "id": "module-one",
                    "title": "Module one",
                    "lessons": [
                        {
                            "id": "lesson-one",
                            "title": "Lesson one",
                            "blocks": [
                                {"type": "text", "id": "intro-text", "body_html": "<p>Hello.</p>"},
                                {
                                    "type": "reflection",
                                    "id": "first-thoughts",
                                    "prompt": "What do you think?",
                                    "hint": None,
                                },
                            ],
                        },
                        {
                            "id": "lesson-two",
                            "title": "Lesson two",
                            "blocks": [
                                {
                                    "type": "knowledge_check",
                                    "id": "check-one",
                                    "title": None,
                                    "questions": [
                                        {
                                            "id": "q-listen",
                                            "kind": "single",
                                            "prompt": "Which helps most?",
                                            "options": [
                                                {
                                                    "id": "listen",
                                                    "text": "Listening",
                                                    "correct": True,
                                                    "feedback": "Yes.",
                                                },
                                                {
                                                    "id": "advise",
                                                    "text": "Advising",
                                                    "correct": False,
                                                    "feedback": "No.",
                                                },
                                            ],
                                        },
                                        {
                                            "id": "q-signs",
                                            "kind": "multiple",
                                            "prompt": "Which are signs of stress?",
                                            "options": [
                                                {
                                                    "id": "sleep",
                                                    "text": "Poor sleep",
                                                    "correct": True,
                                                    "feedback": "Yes.",
                                                },
                                                {
                                                    "id": "irritable",
                                                    "text": "Irritability",
                                                    "correct": True,
                                                    "feedback": "Yes.",
                                                },
                                                {
                                                    "id": "height",
                                                    "text": "Growing taller",
                                                    "correct": False,
                                                    "feedback": "No.",
                                                },
                                            ],
                                        },
                                    ],
                                }
                            ],
                        },
                    ],
                }
            ],
        }
    return {
        "schema_version": 1,
        "course_id": slug,
        "version_label": "1.0",
        "source_language": languages[0],
        "languages": list(languages),
        "tags": tags or ["basic-pss"],
        "completion": {"required_lessons": ["lesson-one", "lesson-two"], "pass_mark": 80},
        "localized": localized,
    }


class CourseFactory(BaseFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")


class CourseVersionFactory(BaseFactory):
    """A published version with `sample_content`; pass `tags=[...]` to tag it."""

    class Meta:
        model = CourseVersion
        exclude = ("tag_names",)

    course = factory.SubFactory(CourseFactory)
    number = 1
    content_hash = factory.Sequence(lambda n: f"{n:064x}")
    label = "1.0"
    source_language = "en"
    tag_names = ("basic-pss",)
    languages = factory.LazyAttribute(lambda o: ["en"])
    content = factory.LazyAttribute(lambda o: sample_content(o.course.slug, list(o.tag_names)))
    estimated_minutes = factory.LazyAttribute(lambda o: {"en": 35})
    warnings = factory.LazyFunction(list)
    tags = factory.LazyAttribute(lambda o: [CourseVersionTag(tag=t) for t in o.tag_names])
