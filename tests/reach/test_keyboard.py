"""A learner who uses only the keyboard skips to the lesson, answers its knowledge check and moves
on to the next lesson; every element the Tab key reaches shows where the focus is, and nothing
moves for someone who asked for reduced motion."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.reach.conftest import EXAMPLE, SHIPPED, LiveServer, log_in, new_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

# (interface language, course, lesson with a knowledge check, the lesson after it): the English
# lesson has a video, whose native controls take the focus too; the Arabic one reads right to left.
JOURNEYS = [
    ("en", EXAMPLE, "listening-skills", "caring-for-yourself"),
    ("ar", SHIPPED, "what-is-pss", "common-reactions"),
]
# More than the number of focusable elements of the lesson page: a lost focus fails, not hangs.
MAX_TABS = 150

FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  return {
    description: `${element.tagName.toLowerCase()}#${element.id}[name=${element.name || ""}]` +
      `[value=${element.value || ""}] ${(element.textContent || "").trim().slice(0, 40)}`,
    id: element.id,
    name: element.getAttribute("name"),
    value: element.getAttribute("value"),
    type: element.getAttribute("type"),
    form: element.form ? element.form.dataset.block || null : null,
    rel: element.getAttribute("rel"),
    outlined: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    shadowed: style.boxShadow !== "none",
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < window.innerHeight,
  };
}"""


class Keyboard:
    """Moves the focus with Tab only, checking that each element reached shows its focus."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.unmarked: list[str] = []

    def focused(self) -> dict:
        return self.page.evaluate(FOCUSED)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def tab(self) -> dict:
        self.page.keyboard.press("Tab")
        focused = self.focused()
        if not ((focused["outlined"] or focused["shadowed"]) and focused["onScreen"]):
            self.unmarked.append(focused["description"])
        return focused

    def tab_to(self, matches) -> dict:
        for _ in range(MAX_TABS):
            focused = self.tab()
            if matches(focused):
                return focused
        raise AssertionError(f"Tab never reached the element wanted; last: {self.focused()['description']}")


@pytest.mark.parametrize(("language", "slug", "lesson_id", "next_lesson_id"), JOURNEYS)
def test_a_keyboard_user_completes_a_lesson_with_a_knowledge_check(
    live_server: LiveServer, browser: Browser, language: str, slug: str, lesson_id: str, next_lesson_id: str
):
    learner = live_server.new_learner(language, start=(slug,))
    lesson = next(
        item
        for module in live_server.course_text(slug, language)["modules"]
        for item in module["lessons"]
        if item["id"] == lesson_id
    )
    check = next(block for block in lesson["blocks"] if block["type"] == "knowledge_check")
    context = new_context(browser, viewport={"width": 1024, "height": 768}, reduced_motion="reduce")
    try:
        page = context.new_page()
        log_in(page, live_server, learner)
        page.goto(live_server.path(f"/learn/{slug}/{lesson_id}"))
        keys = Keyboard(page)

        skip = keys.tab()
        expect(page.locator(".skip-link")).to_be_focused()
        assert skip["onScreen"] and (skip["outlined"] or skip["shadowed"]), "the skip link is not visible"
        keys.press("Enter")
        expect(page.locator("main#main")).to_be_focused()

        for index, question in enumerate(check["questions"]):
            name = f"{check['id']}-q{index}"
            options = [option["id"] for option in question["options"]]
            right = [option["id"] for option in question["options"] if option["correct"]]
            if question["kind"] == "single":
                # Tab enters a radio group on its first option; the arrow keys move within it.
                keys.tab_to(lambda focused, name=name: focused["name"] == name)
                if options.index(right[0]) == 0:
                    keys.press("Space")
                for _ in range(options.index(right[0])):
                    keys.press("ArrowDown")
            else:
                for _ in options:
                    keys.tab_to(lambda focused, name=name: focused["name"] == name)
                    if keys.focused()["value"] in right:
                        keys.press("Space")
            expect(page.locator(f'input[name="{name}"]:checked')).to_have_count(len(right))
            checked = page.locator(f'input[name="{name}"]:checked').evaluate_all(
                "els => els.map(e => e.value)"
            )
            assert sorted(checked) == sorted(right)

        keys.tab_to(lambda focused: focused["form"] == f"block-{check['id']}" and focused["type"] == "submit")
        keys.press("Enter")
        result = page.locator(f"#block-{check['id']}-result")
        count = len(check["questions"])
        expect(result.locator(".verdict-ok").first).to_contain_text(str(count))
        expect(result).to_be_focused()
        assert page.evaluate("document.getAnimations().length") == 0, "something moves despite reduced motion"
        expect(page.locator("#contents [aria-current=page]").locator("xpath=..")).to_have_class("toc-done")

        keys.tab_to(lambda focused: focused["rel"] == "next")
        keys.press("Enter")
        expect(page).to_have_url(re.compile(rf"/learn/{slug}/{next_lesson_id}$"))
        assert keys.unmarked == [], f"focus not visible on: {keys.unmarked}"
    finally:
        context.close()
