"""Choice of interface language: the user's preference, then the switcher, then Accept-Language."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

from lms.config import LOCALES, RTL_LOCALES

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}


def select_locale() -> str:
    if not has_request_context():
        # CLI commands and background work: messages in the default language.
        return current_app.config["DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or current_app.config["DEFAULT_LOCALE"]


def text_direction(locale: str) -> str:
    return "rtl" if locale in RTL_LOCALES else "ltr"
