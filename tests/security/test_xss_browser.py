"""In real Chromium, no hostile text runs: not with the site's CSP, and not even without it.

Every page of `hostile.pages` is opened as the person who sees it. A script that ran would set
`window.__xss` or open an alert (a `dialog` event). Escaping is checked alone by removing the
Content-Security-Policy header on the way to the browser; the CSP is checked alone by writing
the payload raw into a real page on the way to the browser, keeping the header.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Route
from sqlalchemy.orm import Session

from lms import create_app
from tests import factories
from tests.conftest import get_db_of, migrate_to_head, served
from tests.security.hostile import (
    PAYLOAD,
    HostileWorld,
    build_hostile_world,
    hostile_course,
    invitation_csv,
    pages,
    url_of,
)

pytestmark = [
    pytest.mark.browser,
    # The werkzeug test server leaves the files of requests the browser dropped to the garbage collector.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@dataclass
class Server:
    app: Flask
    url: str
    bare_url: str  # the same site, its responses stripped of the Content-Security-Policy header
    world: HostileWorld


def without_csp(app: Any) -> Any:
    """The WSGI app `app` with the Content-Security-Policy header removed from every response."""

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in headers if name.lower() != "content-security-policy"]
            return start_response(status, kept, exc_info)

        return app(environ, start)

    return serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("hostile")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'lms.sqlite3'}",
            "SECRET_KEY": "hostile-browser-secret",
            "MAIL_SERVER": "",
            "RATELIMIT_STORAGE_URL": "memory://",
            "LOG_LEVEL": "WARNING",
        }
    )
    migrate_to_head(get_db_of(app).engine)
    with app.app_context(), Session(get_db_of(app).engine, expire_on_commit=False) as session:
        factories.bind(session)
        try:
            world = build_hostile_world(session, hostile_course(folder))
            session.commit()
        finally:
            factories.bind(None)
    try:
        with served(app) as url, served(without_csp(app)) as url_without_csp:
            yield Server(app, url, url_without_csp, world)
    finally:
        get_db_of(app).engine.dispose()


@dataclass
class Watch:
    """What a page did that it must not: dialogs it opened and the CSP's refusals."""

    dialogs: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


def watched(context: BrowserContext) -> tuple[Page, Watch]:
    page = context.new_page()
    watch = Watch()

    def on_dialog(dialog) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "console",
        lambda message: (
            watch.refusals.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page, watch


def ran(page: Page, watch: Watch) -> list[str]:
    """Evidence that a script of the payload ran on `page`."""
    evidence = [f"dialog {message!r}" for message in watch.dialogs]
    marker = page.evaluate("window.__xss")
    if marker is not None:
        evidence.append(f"window.__xss = {marker!r}")
    return evidence


def context_as(browser: Browser, server: Server, role: str) -> BrowserContext:
    context = browser.new_context()
    if role != "anonymous":
        cookie = server.app.session_interface.get_signing_serializer(server.app).dumps(
            {"_user_id": server.world.logins[role], "_fresh": True}
        )
        context.add_cookies(
            [{"name": server.app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": server.url}]
        )
    return context


def _visit_every_page(browser: Browser, server: Server, site: str) -> list[str]:
    problems = []
    contexts: dict[str, BrowserContext] = {}
    try:
        for role, path, _shows in pages(server.world):
            if role not in contexts:
                contexts[role] = context_as(browser, server, role)
            page, watch = watched(contexts[role])
            response = page.goto(site + url_of(path), wait_until="load")
            assert response is not None
            if response.status != 200:
                problems.append(f"{role} {path}: status {response.status}")
            problems += [f"{role} {path}: {evidence}" for evidence in ran(page, watch)]
            # Nothing inline reaches a page, so the CSP never has to refuse anything.
            problems += [f"{role} {path}: {refusal}" for refusal in watch.refusals]
            page.close()
    finally:
        for context in contexts.values():
            context.close()
    return problems


def test_no_hostile_text_runs_on_any_page(browser, server):
    problems = _visit_every_page(browser, server, server.url)
    assert not problems, "\n".join(problems)


def test_escaping_alone_keeps_every_page_inert(browser, server):
    problems = _visit_every_page(browser, server, server.bare_url)
    assert not problems, "\n".join(problems)


def test_the_watch_sees_the_payload_run_when_nothing_stops_it(browser, server):
    context = browser.new_context()
    page, watch = watched(context)
    page.set_content(f"<p>{PAYLOAD}</p>", wait_until="load")
    page.wait_for_function("window.__xss !== undefined")
    assert ran(page, watch)
    context.close()


def test_the_csp_stops_a_payload_written_raw_into_a_page(browser, server):
    """The second layer: should escaping ever fail, the browser still runs nothing inline."""

    def inject(route: Route) -> None:
        response = route.fetch()
        body = response.text().replace("</main>", f"<p>{PAYLOAD}</p></main>")
        route.fulfill(response=response, body=body)

    context = context_as(browser, server, "learner")
    context.route(f"{server.url}/me", inject)
    page, watch = watched(context)
    page.goto(f"{server.url}/me", wait_until="load")
    injected = "main script, main img[onerror], main svg[onload]"
    assert page.locator(injected).count() == 3, "the payload did not reach the page as elements"
    assert not ran(page, watch)
    assert watch.refusals, "Chromium reported no Content-Security-Policy refusal"
    context.close()


def _upload_refused_file(browser: Browser, server: Server, site: str, folder: Path) -> tuple[Page, Watch]:
    upload = folder / "people.csv"
    upload.write_bytes(invitation_csv(PAYLOAD, f"{PAYLOAD}@example.org"))
    context = context_as(browser, server, "focal_a")
    page, watch = watched(context)
    page.goto(f"{site}/reports/org/{server.world.org_a}/invitations", wait_until="load")
    page.get_by_label("CSV file").set_input_files(str(upload))
    with page.expect_navigation(wait_until="load"):
        page.locator("form[enctype] [type=submit]").click()
    assert "is not a valid e-mail address" in page.content()
    return page, watch


def test_a_refused_invitation_file_runs_nothing(browser, server, tmp_path: Path):
    page, watch = _upload_refused_file(browser, server, server.url, tmp_path)
    assert not ran(page, watch)
    page.context.close()


def test_escaping_alone_keeps_a_refused_invitation_file_inert(browser, server, tmp_path: Path):
    page, watch = _upload_refused_file(browser, server, server.bare_url, tmp_path)
    page.wait_for_timeout(200)
    evidence = ran(page, watch)
    page.context.close()
    assert not evidence
