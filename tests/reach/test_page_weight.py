"""A lesson page costs at most 60 KB on a first visit and 15 KB for the next lesson once CSS and
JavaScript are cached: bytes on the wire (compressed, headers included) of HTML, CSS and JS, as
Chromium reports them; images, audio and video are not counted."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, CDPSession, Page, expect

from tests.reach.conftest import ARTIFACTS, LANGUAGES, SHIPPED, LiveServer, log_in, new_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

FIRST_VISIT_BUDGET = 60 * 1024
WARM_NEXT_LESSON_BUDGET = 15 * 1024
MEDIA_TYPES = {"Image", "Media"}


class Transfers:
    """Bytes received per request, from the Chrome DevTools Protocol's Network events."""

    def __init__(self, cdp: CDPSession) -> None:
        self.kinds: dict[str, tuple[str, str, str]] = {}
        self.sizes: dict[str, int] = {}
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")

    def _response(self, event: dict) -> None:
        response = event["response"]
        encoding = {k.lower(): v for k, v in response["headers"].items()}.get("content-encoding", "identity")
        self.kinds[event["requestId"]] = (event["type"], response["url"], encoding)

    def _finished(self, event: dict) -> None:
        self.sizes[event["requestId"]] = int(event["encodedDataLength"])

    def reset(self) -> None:
        self.kinds.clear()
        self.sizes.clear()

    def settle(self, page: Page) -> None:
        """Wait (briefly, bounded) until every response seen has finished loading."""
        for _ in range(40):
            if all(rid in self.sizes for rid, (kind, _, _) in self.kinds.items() if kind not in MEDIA_TYPES):
                return
            page.wait_for_timeout(50)
        raise AssertionError(f"requests never finished: {set(self.kinds) - set(self.sizes)}")

    def counted(self) -> list[dict]:
        return [
            {"type": kind, "url": url, "encoding": encoding, "bytes": self.sizes.get(request_id, 0)}
            for request_id, (kind, url, encoding) in self.kinds.items()
            if kind not in MEDIA_TYPES
        ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_lesson_page_stays_within_the_bandwidth_budget(
    live_server: LiveServer, browser: Browser, language: str
):
    learner = live_server.new_learner(language, start=(SHIPPED,))
    lessons = [
        lesson
        for module in live_server.course_text(SHIPPED, language)["modules"]
        for lesson in module["lessons"]
    ]
    context = new_context(browser)
    try:
        page = context.new_page()
        log_in(page, live_server, learner)
        cdp = context.new_cdp_session(page)
        transfers = Transfers(cdp)
        cdp.send("Network.clearBrowserCache")
        transfers.reset()

        page.goto(live_server.path(f"/learn/{SHIPPED}/{lessons[0]['id']}"), wait_until="load")
        transfers.settle(page)
        first = transfers.counted()
        transfers.reset()
        page.locator(".pager-next a").click()
        expect(page).to_have_url(live_server.path(f"/learn/{SHIPPED}/{lessons[1]['id']}"))
        page.wait_for_load_state("load")
        transfers.settle(page)
        warm = transfers.counted()
    finally:
        context.close()

    first_total = sum(item["bytes"] for item in first)
    warm_total = sum(item["bytes"] for item in warm)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"reach-page-weight-{language}.json").write_text(
        json.dumps(
            {"first_visit": first, "first_total": first_total, "warm": warm, "warm_total": warm_total},
            indent=2,
        )
    )
    kinds = {item["type"] for item in first}
    assert {"Document", "Stylesheet", "Script"} <= kinds, f"not every part was measured: {first}"
    assert all(item["encoding"] != "identity" for item in first if item["type"] == "Document"), first
    assert first_total <= FIRST_VISIT_BUDGET, (
        f"first visit: {first_total} bytes > {FIRST_VISIT_BUDGET}: {first}"
    )
    assert warm_total <= WARM_NEXT_LESSON_BUDGET, (
        f"next lesson: {warm_total} bytes > {WARM_NEXT_LESSON_BUDGET}: {warm}"
    )
    refetched = [item for item in warm if item["type"] in {"Stylesheet", "Script"} and item["bytes"]]
    assert refetched == [], f"CSS or JS fetched again instead of read from the cache: {refetched}"
