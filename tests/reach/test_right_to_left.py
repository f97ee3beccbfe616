"""The Arabic versions read right to left in the player: the page is dir=rtl and the first block's
text starts at the right edge; an English course shown to an Arabic reader keeps its own
direction inside the mirrored page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.reach.conftest import EXAMPLE, SHIPPED, LiveServer, log_in, new_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

# Where the first character of the first block's first line is drawn, against the block's edges.
FIRST_CHARACTER = """() => {
  const block = document.querySelector("article.lesson .block-text p");
  const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => node.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP,
  });
  const text = walker.nextNode();
  const start = text.textContent.search(/\\S/);
  const range = document.createRange();
  range.setStart(text, start);
  range.setEnd(text, start + 1);
  const character = range.getBoundingClientRect();
  const box = block.getBoundingClientRect();
  const style = getComputedStyle(block);
  return {
    direction: style.direction,
    lang: block.closest("[lang]").getAttribute("lang"),
    fromRight: box.right - parseFloat(style.paddingRight) - character.right,
    fromLeft: character.left - box.left - parseFloat(style.paddingLeft),
  };
}"""


def _first_character(server: LiveServer, browser: Browser, slug: str) -> tuple[str, str, dict]:
    learner = server.new_learner("ar", start=(slug,))
    first_lesson = server.course_text(slug, "ar")["modules"][0]["lessons"][0]["id"]
    context = new_context(browser, viewport={"width": 1024, "height": 768})
    try:
        page = context.new_page()
        log_in(page, server, learner)
        page.goto(server.path(f"/learn/{slug}/{first_lesson}"))
        html = page.locator("html")
        return html.get_attribute("dir"), html.get_attribute("lang"), page.evaluate(FIRST_CHARACTER)
    finally:
        context.close()


def test_an_arabic_lesson_reads_right_to_left(live_server: LiveServer, browser: Browser):
    direction, lang, first = _first_character(live_server, browser, SHIPPED)
    assert (direction, lang) == ("rtl", "ar")
    assert first["direction"] == "rtl" and first["lang"] == "ar"
    assert abs(first["fromRight"]) <= 2, f"the first line does not start at the right edge: {first}"
    assert first["fromLeft"] > 100, first


def test_an_english_course_keeps_its_direction_in_the_arabic_interface(
    live_server: LiveServer, browser: Browser
):
    direction, lang, first = _first_character(live_server, browser, EXAMPLE)
    assert (direction, lang) == ("rtl", "ar")
    assert first["direction"] == "ltr" and first["lang"] == "en"
    assert abs(first["fromLeft"]) <= 2, f"the English text does not start at the left edge: {first}"
