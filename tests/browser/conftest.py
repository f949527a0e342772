"""A real Chromium (Debian's, through Playwright) against the app served on a free port."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--no-first-run"]


class _OneRequestPerConnection(WSGIRequestHandler):
    # HTTP/1.0: the browser opens a new connection per request, so a stopped server
    # really is gone (no kept-alive connection still answering behind it).
    protocol_version = "HTTP/1.0"

    def log_request(self, *args, **kwargs):  # keep the test output quiet
        pass


class LiveServer:
    """The app served by werkzeug in a thread; ``stop()`` is a real network cut."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True,
                                  request_handler=_OneRequestPerConnection)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_context(browser: Browser, base_url: str, locale: str = "fr-FR", **kwargs) -> BrowserContext:
    return browser.new_context(base_url=base_url, locale=locale,
                               extra_http_headers={"Accept-Language": locale}, **kwargs)


@pytest.fixture
def context(browser, live_server, demo) -> Iterator[BrowserContext]:
    context = new_context(browser, live_server.url)
    yield context
    context.close()


@pytest.fixture
def page(context) -> Page:
    return context.new_page()


_axe = Axe()


def assert_accessible(page: Page) -> None:
    """axe-core finds no violation on the page as it is now."""
    results = _axe.run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def sign_in_by_demo(page: Page, full_name: str) -> None:
    """Sign in with a click on the demo page, checking that page on the way."""
    page.goto("/demo/")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(re.escape(full_name))).click()
    page.wait_for_load_state("load")
