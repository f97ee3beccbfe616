"""A tour of every kind of page in one interface language, calling a check on each page.

Pages: home, login and register with errors, certificate verification (found and not found),
catalogue, course pages (visitor, in progress, completed), My learning, support, every lesson of
the complete example course (every block type), a knowledge check after a wrong answer, and the
focal-point report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.reach.conftest import EXAMPLE, SHIPPED, LiveServer, log_in, new_context

Check = Callable[[Page, str], None]


def _submit(page: Page) -> None:
    page.locator("main form input[type=submit], main form button[type=submit]").last.click()


def _wrong_answers(block: dict[str, Any]) -> dict[int, str]:
    return {
        index: next(option["id"] for option in question["options"] if not option["correct"])
        for index, question in enumerate(block["questions"])
    }


def learner_pages(server: LiveServer, browser: Browser, language: str, check: Check, **options: Any) -> str:
    """Pages of a learner who completed one course and is taking another; returns the
    certificate code of the completed course."""
    done = server.new_learner(language, start=(SHIPPED,), complete=(EXAMPLE,))
    context = new_context(browser, **options)
    try:
        page = context.new_page()
        log_in(page, server, done)
        page.goto(server.path(f"/language/{language}?next=/courses"))
        check(page, "catalogue")
        page.goto(server.path(f"/courses/{SHIPPED}"))
        check(page, "course page, in progress")
        page.goto(server.path(f"/courses/{EXAMPLE}"))
        check(page, "course page, completed")
        page.goto(server.path("/me"))
        check(page, "my learning")
        page.goto(server.path(f"/support?course={SHIPPED}"))
        check(page, "support")
    finally:
        context.close()
    assert done.certificate_code
    return done.certificate_code


def visitor_pages(
    server: LiveServer, browser: Browser, language: str, check: Check, certificate_code: str, **options: Any
) -> None:
    """Pages seen without an account, the language chosen with the switcher."""
    context = new_context(browser, **options)
    try:
        page = context.new_page()
        page.goto(server.path(f"/language/{language}?next=/"))
        check(page, "home")
        page.goto(server.path("/login"))
        _submit(page)
        # The errors take the focus, so they are read out first, with or without JavaScript.
        expect(page.locator("#error-summary")).to_be_focused()
        check(page, "login with errors")
        page.goto(server.path("/register"))
        _submit(page)
        # The errors take the focus, so they are read out first, with or without JavaScript.
        expect(page.locator("#error-summary")).to_be_focused()
        check(page, "register with errors")
        page.goto(server.path(f"/verify/{certificate_code}"))
        check(page, "verification")
        wrong_code = certificate_code[:-1] + ("A" if certificate_code[-1] != "A" else "B")
        page.goto(server.path(f"/verify/{wrong_code}"))
        check(page, "verification, no such certificate")
        page.goto(server.path(f"/courses/{SHIPPED}"))
        check(page, "course page, visitor")
    finally:
        context.close()


def lesson_pages(
    server: LiveServer, browser: Browser, language: str, check: Check, **options: Any
) -> set[str]:
    """Every lesson of the complete example course, and its knowledge check answered wrongly;
    returns the block types shown."""
    fresh = server.new_learner(language, start=(EXAMPLE,))
    text = server.course_text(EXAMPLE, language)
    seen: set[str] = set()
    context = new_context(browser, **options)
    try:
        page = context.new_page()
        log_in(page, server, fresh)
        answered = False
        for module in text["modules"]:
            for lesson in module["lessons"]:
                page.goto(server.path(f"/learn/{EXAMPLE}/{lesson['id']}"))
                check(page, f"lesson {lesson['id']}")
                seen.update(block["type"] for block in lesson["blocks"])
                block = next((b for b in lesson["blocks"] if b["type"] == "knowledge_check"), None)
                if block is None or answered:
                    continue
                section = page.locator(f"#block-{block['id']}")
                for index, option in _wrong_answers(block).items():
                    section.locator(f'input[name="{block["id"]}-q{index}"][value="{option}"]').check()
                section.locator("form button[type=submit]").click()
                expect(page.locator(f"#block-{block['id']}-result .verdict-bad").first).to_be_visible()
                check(page, f"lesson {lesson['id']}, knowledge check after a wrong answer")
                answered = True
    finally:
        context.close()
    return seen


def report_pages(server: LiveServer, browser: Browser, language: str, check: Check, **options: Any) -> None:
    """The focal point's report of their National Society, and its list of people."""
    focal_point = server.new_learner(language, focal_point=True)
    context = new_context(browser, **options)
    try:
        page = context.new_page()
        log_in(page, server, focal_point)
        page.goto(server.path("/reports"))
        check(page, "focal-point report")
        page.goto(server.path(f"/reports/org/{server.organisation_code}/people"))
        check(page, "focal-point report, people")
    finally:
        context.close()


def every_page(server: LiveServer, browser: Browser, language: str, check: Check, **options: Any) -> set[str]:
    """Run `check` on every kind of page; returns the block types of the lessons shown."""
    certificate_code = learner_pages(server, browser, language, check, **options)
    visitor_pages(server, browser, language, check, certificate_code, **options)
    blocks = lesson_pages(server, browser, language, check, **options)
    report_pages(server, browser, language, check, **options)
    return blocks
