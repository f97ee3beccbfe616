"""On a 320 CSS pixel wide screen no page scrolls sideways, in English and in Arabic, and every
control is at least 24 by 24 pixels (links inside running text excepted, as WCAG 2.5.8 allows)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.reach.conftest import LiveServer
from tests.reach.tour import every_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

SMALL_PHONE = {"width": 320, "height": 640}
MIN_TARGET = 24

SMALL_TARGETS = """(minimum) => {
  const describe = (element, box) =>
    `<${element.tagName.toLowerCase()}${element.id ? "#" + element.id : ""}> ` +
    `"${(element.textContent || element.value || element.name || "").trim().slice(0, 30)}" ` +
    `${Math.round(box.width)}x${Math.round(box.height)}`;
  const blockOf = (element) => {
    let node = element.parentElement;
    while (node && getComputedStyle(node).display.startsWith("inline")) node = node.parentElement;
    return node;
  };
  // A link in a sentence: its block holds more text than the link itself.
  const inRunningText = (element) => {
    const block = blockOf(element);
    return block && block.textContent.trim().length > element.textContent.trim().length;
  };
  const small = [];
  const targets = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary, audio, video"
  );
  for (const element of targets) {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    // Not drawn (closed details, hidden), or parked above the page until focused (skip link).
    if (box.width === 0 || box.height === 0 || style.visibility === "hidden") continue;
    if (box.bottom + window.scrollY <= 0) continue;
    if (element.tagName === "A" && style.display === "inline" && inRunningText(element)) continue;
    if (box.width < minimum || box.height < minimum) small.push(describe(element, box));
  }
  return small;
}"""


class SmallScreen:
    def __init__(self, language: str) -> None:
        self.language = language
        self.problems: list[str] = []

    def __call__(self, page: Page, name: str) -> None:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            self.problems.append(f"[{self.language}] {name}: scrolls sideways by {overflow}px ({page.url})")
        small = page.evaluate(SMALL_TARGETS, MIN_TARGET)
        if small:
            self.problems.append(f"[{self.language}] {name}: targets under {MIN_TARGET}px: {small}")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_kind_of_page_fits_a_320_pixel_screen(live_server: LiveServer, browser: Browser, language: str):
    screen = SmallScreen(language)
    every_page(live_server, browser, language, screen, viewport=SMALL_PHONE)
    assert not screen.problems, "\n".join(screen.problems)
