"""Screenshots of a lesson page in each language on a small phone (320 px) and a laptop
(1280 px), saved under tests/artifacts/ for people to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.reach.conftest import ARTIFACTS, LANGUAGES, SHIPPED, LiveServer, log_in, new_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

# Text, a callout, a scenario, a reflection and a knowledge check.
LESSON = "common-reactions"
WIDTHS = (320, 1280)


@pytest.mark.parametrize("language", LANGUAGES)
def test_lesson_screenshots_in_each_language(live_server: LiveServer, browser: Browser, language: str):
    learner = live_server.new_learner(language, start=(SHIPPED,))
    title = next(
        lesson["title"]
        for module in live_server.course_text(SHIPPED, language)["modules"]
        for lesson in module["lessons"]
        if lesson["id"] == LESSON
    )
    context = new_context(browser)
    try:
        page = context.new_page()
        log_in(page, live_server, learner)
        page.goto(live_server.path(f"/learn/{SHIPPED}/{LESSON}"))
        expect(page.locator("h1")).to_have_text(title)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            path = ARTIFACTS / f"reach-lesson-{language}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 10_000
    finally:
        context.close()
