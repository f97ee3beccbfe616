"""The interface language: the account's preference first, then the switcher, then the browser's
Accept-Language; Arabic pages are right to left."""

from __future__ import annotations

import re

from sqlalchemy import select

from lms.auth.models import User
from tests.factories import UserFactory
from tests.learning.conftest import login

HTML_TAG = re.compile(r'<html lang="([a-z]+)" dir="(ltr|rtl)">')


def _language(client, **headers) -> tuple[str, str]:
    page = client.get("/", headers=headers).get_data(as_text=True)
    return HTML_TAG.search(page).groups()


def test_a_visitor_gets_the_browsers_language(client):
    assert _language(client, **{"Accept-Language": "es-419,es;q=0.9,en;q=0.5"}) == ("es", "ltr")
    assert _language(client, **{"Accept-Language": "pt-BR"}) == ("en", "ltr")


def test_the_switcher_wins_over_the_browsers_language(client):
    client.get("/language/ar?next=/")
    assert _language(client, **{"Accept-Language": "fr"}) == ("ar", "rtl")


def test_the_accounts_preference_wins_and_the_switcher_changes_it(client, db_session):
    learner = UserFactory(locale="fr")
    login(client, learner)
    assert _language(client, **{"Accept-Language": "es"}) == ("fr", "ltr")
    client.get("/language/ar?next=/")
    assert _language(client, **{"Accept-Language": "es"}) == ("ar", "rtl")
    assert db_session.scalar(select(User.locale).where(User.id == learner.id)) == "ar"


def test_every_page_offers_the_four_languages_with_the_current_one_marked(client):
    page = client.get("/courses", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    switcher = page.split('class="language-switcher"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'hreflang="([a-z]+)"', switcher) == ["en", "fr", "es", "ar"]
    assert re.findall(r'hreflang="([a-z]+)" aria-current="true"', switcher) == ["fr"]
    assert "next=/courses" in switcher
