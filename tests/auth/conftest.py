"""Fixtures of the account tests: organisations, a form filler and a real SMTP server."""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from lms.auth.models import User
from tests.factories import BranchFactory, OrganisationFactory

PASSWORD = "a calm and steady voice"


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"

    def only_link(self) -> str:
        assert len(self.messages) == 1, [m["Subject"] for m in self.messages]
        body = self.messages[0].get_content()
        links = re.findall(r"https?://\S+", body)
        assert len(links) == 1, body
        return links[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(app, monkeypatch) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1; the app sends its mail there."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    try:
        yield handler
    finally:
        controller.stop()


# Data a test sets up is committed (to a savepoint of the test's transaction): each request
# closes the shared session, which would otherwise roll back what was only flushed.


@pytest.fixture
def org(db_session):
    organisation = OrganisationFactory(
        code="KEN", name_en="Kenya Red Cross Society", name_fr="Croix-Rouge du Kenya"
    )
    db_session.commit()
    return organisation


@pytest.fixture
def branch(db_session, org):
    nairobi = BranchFactory(organisation=org, name="Nairobi")
    db_session.commit()
    return nairobi


def registration_form(org, **changes) -> dict[str, str]:
    """What a person fills in on /register (valid unless `changes` make it otherwise)."""
    data = {
        "name": "Amina Njoroge",
        "email": "Amina.Njoroge@Example.org ",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "organisation": str(org.id),
        "branch": "",
        "person_kind": "volunteer",
        "locale": "en",
        "consent": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def user_by_email(session, address: str) -> User | None:
    return session.scalar(select(User).where(User.email == address))
