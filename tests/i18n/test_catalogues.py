"""The French, Spanish and Arabic catalogues translate every message, none fuzzy, all compiled.

Messages are extracted afresh from the code and templates (babel.cfg) and compared with each
catalogue, so a newly marked string without a translation fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "lms" / "translations"
LANGUAGES = ("fr", "es", "ar")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {
            message.id if isinstance(message.id, str) else message.id[0]
            for message in read_po(handle)
            if message.id
        }


def load_catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def test_extraction_finds_the_interface_messages(extracted):
    assert "Skip to main content" in extracted
    assert len(extracted) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_translates_every_message(language, extracted):
    catalogue = load_catalogue(language)
    missing, fuzzy = [], []
    for msgid in sorted(extracted):
        message = catalogue.get(msgid)
        if message is None or not (
            message.string if isinstance(message.string, str) else all(message.string)
        ):
            missing.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
    assert missing == [], f"{len(missing)} untranslated in {language}: {missing[:10]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_keeps_placeholders(language):
    """A translation uses exactly the placeholders of its message (plural forms may drop the
    count: Arabic says "one hour" and "two hours" without a number)."""
    for message in load_catalogue(language):
        if not message.id or not message.string:
            continue
        if isinstance(message.id, tuple):
            wanted = _placeholders(message.id[0]) | _placeholders(message.id[1])
            for string in message.string:
                assert _placeholders(string) <= wanted, (language, message.id, string)
        else:
            assert _placeholders(message.string) == _placeholders(message.id), (language, message.id)


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)[sd]|%[sd]", text))
