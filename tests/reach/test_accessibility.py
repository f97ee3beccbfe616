"""axe-core finds no WCAG 2.0/2.1/2.2 A or AA violation on any kind of page, in any of the four
interface languages; every page has one h1, the language and direction of its interface, and the
language switcher."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from lms.courses import schema
from tests.reach.conftest import LANGUAGES, LiveServer
from tests.reach.tour import every_page

pytestmark = [
    pytest.mark.browser,
    # The werkzeug test server leaves a dropped static-file request to the garbage collector.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

AXE = Axe()
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Every type the schema knows: the example course must show each one.
BLOCK_TYPES = set(schema.BLOCK_TYPES)


class Auditor:
    """Runs axe and the page-structure checks on each page, and keeps every problem found."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.problems: list[str] = []
        self.pages: list[str] = []

    def __call__(self, page: Page, name: str) -> None:
        self.pages.append(name)
        found = []
        html = page.locator("html")
        if html.get_attribute("lang") != self.language:
            found.append(f"<html lang> is {html.get_attribute('lang')!r}")
        if html.get_attribute("dir") != ("rtl" if self.language == "ar" else "ltr"):
            found.append(f"<html dir> is {html.get_attribute('dir')!r}")
        if page.locator("h1").count() != 1:
            found.append(f"{page.locator('h1').count()} h1 elements")
        if page.locator("nav.language-switcher a[hreflang]").count() != len(LANGUAGES):
            found.append("no language switcher with the four languages")
        results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
        if results.violations_count:
            found.append(results.generate_report())
        self.problems.extend(f"[{self.language}] {name} ({page.url}): {problem}" for problem in found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_of_page_passes_axe_at_wcag_aa(live_server: LiveServer, browser: Browser, language: str):
    audit = Auditor(language)
    blocks = every_page(live_server, browser, language, audit)
    assert blocks == BLOCK_TYPES, f"block types not covered: {BLOCK_TYPES - blocks}"
    assert len(audit.pages) >= 17, audit.pages
    assert not audit.problems, "\n\n".join(audit.problems)
