"""A new volunteer takes a real shipped course from registration to a verified certificate,
in real Chromium: once with JavaScript (on a 320 px wide screen), once without it."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from lms.learning.services import lessons_in_order
from tests.browser.conftest import ARTIFACTS, LiveServer

pytestmark = [
    pytest.mark.browser,
    # When the browser drops a static-file request it no longer needs (it navigated on), the
    # werkzeug test server leaves that file for the garbage collector: not the application's doing.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

AXE = Axe()
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "a quiet walk by the river"
REFLECTION = "I will ask my team leader for a short debrief after hard shifts."


def _right(question: dict[str, Any]) -> list[str]:
    return [option["id"] for option in question["options"] if option["correct"]]


def _wrong(question: dict[str, Any]) -> list[str]:
    wrong = [option["id"] for option in question["options"] if not option["correct"]]
    if question["kind"] == "single":
        return wrong[:1]
    return _right(question)[:1] + wrong[:1]


class Journey:
    """One learner's walk through the site, with a screenshot of each kind of page."""

    def __init__(self, server: LiveServer, page: Page, mode: str, name: str, course_language: str) -> None:
        self.server = server
        self.page = page
        self.mode = mode
        self.name = name
        self.course_language = course_language
        self.email = f"volunteer-{mode}@example.org"
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                self.errors.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )

    def shot(self, kind: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.mode}-{kind}.png"), full_page=True)
        if self.mode == "js":
            # 320 CSS pixels wide, as on a small phone: nothing may scroll sideways.
            overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{kind} page scrolls sideways by {overflow}px"
            results = AXE.run(self.page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
            assert results.violations_count == 0, f"{kind}: {results.generate_report()}"

    def register(self) -> None:
        page = self.page
        page.goto(self.server.path("/register"))
        page.get_by_label("Full name").fill(self.name)
        page.get_by_label("E-mail address").fill(self.email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat the password").fill(PASSWORD)
        page.get_by_label("Organisation", exact=True).select_option(label=self.server.organisation)
        page.get_by_label("Volunteer").check()
        page.get_by_label("I have read the privacy notice").check()
        page.get_by_role("button", name="Create my account").click()
        expect(page.locator(".flashes")).to_contain_text("Your account is ready")

    def log_out_and_in(self) -> None:
        page = self.page
        page.get_by_role("button", name="Log out").click()
        expect(page.locator(".flashes")).to_contain_text("You have logged out")
        page.goto(self.server.path("/login"))
        page.get_by_label("E-mail address").fill(self.email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()

    def answer_check(self, block: dict[str, Any], choose, verdict: str) -> None:
        section = self.page.locator(f"#block-{block['id']}")
        for index, question in enumerate(block["questions"]):
            for option_id in choose(question):
                section.locator(f'input[name="{block["id"]}-q{index}"][value="{option_id}"]').check()
        if self.mode == "js":
            self.page.evaluate("window.stillThisPage = true")
        section.locator("form button[type=submit]").click()
        expect(self.page.locator(f"#block-{block['id']}-result")).to_contain_text(verdict)
        if self.mode == "js":
            # player.js sent the answer and updated the block in place: the page was not reloaded,
            # and the result took the focus.
            assert self.page.evaluate("window.stillThisPage === true")
            expect(self.page.locator(f"#block-{block['id']}-result")).to_be_focused()

    def answer_scenario(self, block: dict[str, Any]) -> None:
        best = next(option["id"] for option in block["options"] if option["best"])
        section = self.page.locator(f"#block-{block['id']}")
        section.locator(f'input[name="{block["id"]}-choice"][value="{best}"]').check()
        section.locator("form button[type=submit]").click()
        expect(self.page.locator(f"#block-{block['id']}-result")).to_contain_text(
            "This was the best response."
        )

    def write_reflection(self, block: dict[str, Any]) -> None:
        section = self.page.locator(f"#block-{block['id']}")
        section.get_by_label(block["prompt"]).fill(REFLECTION)
        section.get_by_role("button", name="Save my note").click()
        expect(self.page.locator(f"#block-{block['id']}-result")).to_contain_text("Saved on")
        expect(section.locator("textarea")).to_have_value(REFLECTION)


def _take_the_course(journey: Journey) -> None:
    server, page = journey.server, journey.page
    slug = server.version.content["course_id"]
    shown = server.version.content["localized"]["en"]
    text = server.version.content["localized"][journey.course_language]
    lessons = lessons_in_order(text)
    leave_at = len(lessons) // 2
    reflected = checked_wrong = False

    page.goto(server.path("/courses"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses")
    journey.shot("catalogue")
    page.get_by_role("link", name=shown["title"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(shown["title"])
    expect(page.locator(".content-note")).to_contain_text(shown["content_note"][:40])
    journey.shot("course")
    page.get_by_label("Language of the course").select_option(journey.course_language)
    page.get_by_role("button", name="Start the course").click()

    for index, lesson in enumerate(lessons):
        expect(page).to_have_url(re.compile(rf"/learn/{slug}/{lesson['id']}(#.*)?$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(lesson["title"])
        expect(page.get_by_role("link", name="Need support?").first).to_be_visible()
        if index == 0:
            expect(page.locator(".content-note")).to_be_visible()
            journey.shot("lesson")
        for block in lesson["blocks"]:
            if block["type"] == "knowledge_check":
                journey.answer_check(block, _wrong, "Not correct yet")
                if not checked_wrong:
                    journey.shot("lesson-feedback")
                    checked_wrong = True
                count = len(block["questions"])
                journey.answer_check(block, _right, f"{count} of {count} correct")
            elif block["type"] == "scenario":
                journey.answer_scenario(block)
            elif block["type"] == "reflection" and not reflected:
                journey.write_reflection(block)
                reflected = True
        if index == leave_at:
            journey.log_out_and_in()
            page.goto(server.path(f"/courses/{slug}"))
            page.get_by_role("button", name="Continue").click()
            expect(page).to_have_url(re.compile(rf"/learn/{slug}/{lesson['id']}$"))
            expect(page.locator("#contents [aria-current=page]")).to_have_text(lesson["title"])
        if index + 1 < len(lessons):
            page.locator(".pager-next a").click()

    expect(page.locator(".completion-note")).to_contain_text("You have completed this course.")
    journey.shot("completed")


def _certificate(journey: Journey, browser: Browser, javascript: bool) -> None:
    page, server = journey.page, journey.server
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your certificate (PDF)").click()
    pdf_path = ARTIFACTS / f"{journey.mode}-certificate.pdf"
    download_info.value.save_as(pdf_path)
    verify_path = page.get_by_role("link", name="Verification page").get_attribute("href")
    assert re.fullmatch(r"/verify/[A-Z2-7]{26}", verify_path)
    text = unicodedata.normalize("NFKC", PdfReader(Path(pdf_path)).pages[0].extract_text())
    for word in journey.name.split():
        assert word in text
    assert server.path(verify_path) in text

    fresh = browser.new_context(java_script_enabled=javascript)
    try:
        visitor = fresh.new_page()
        visitor.goto(server.path(verify_path))
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Certificate verified")
        expect(visitor.locator(".certificate-facts")).to_contain_text(journey.name)
        expect(visitor.locator(".certificate-facts")).to_contain_text(server.organisation)
        visitor.screenshot(path=str(ARTIFACTS / f"{journey.mode}-verify.png"), full_page=True)
        response = visitor.goto(server.path(verify_path[:-1] + ("A" if verify_path[-1] != "A" else "B")))
        assert response.status == 404
        expect(visitor.get_by_role("heading", level=1)).to_have_text("No certificate found")
        visitor.screenshot(path=str(ARTIFACTS / f"{journey.mode}-verify-not-found.png"), full_page=True)
    finally:
        fresh.close()


def _my_learning_and_support(journey: Journey) -> None:
    page, server = journey.page, journey.server
    page.goto(server.path("/me"))
    expect(page.locator("#completed-title + .table-wrap")).to_contain_text(
        server.version.content["localized"][journey.course_language]["title"]
    )
    expect(page.locator(".reflection-note")).to_contain_text(REFLECTION)
    journey.shot("my-learning")
    page.goto(server.path(f"/support?course={server.version.content['course_id']}"))
    expect(page.locator(".support-contacts")).to_contain_text("Volunteer support line")
    journey.shot("support")


@pytest.mark.parametrize(
    ("mode", "javascript", "name", "course_language"),
    [("js", True, "Amina Diallo", "en"), ("nojs", False, "فاطمة الزهراء", "ar")],
    ids=["javascript-english", "no-javascript-arabic"],
)
def test_a_new_volunteer_goes_from_registration_to_a_verified_certificate(
    live_server: LiveServer, browser: Browser, mode: str, javascript: bool, name: str, course_language: str
):
    viewport = {"width": 320, "height": 800} if javascript else {"width": 1280, "height": 900}
    context = browser.new_context(java_script_enabled=javascript, viewport=viewport, accept_downloads=True)
    try:
        journey = Journey(live_server, context.new_page(), mode, name, course_language)
        journey.register()
        _take_the_course(journey)
        _certificate(journey, browser, javascript)
        _my_learning_and_support(journey)
        assert journey.errors == []
    finally:
        context.close()
