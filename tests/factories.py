"""factory-boy factories bound to the test's session (they flush, never commit)."""

from __future__ import annotations

import secrets

import factory
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from lms.auth.models import RoleGrant, User
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
