"""A real Chromium (Debian's, through Playwright) against the app served on a free port."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Locator,
    Page,
    Response,
    expect,
    sync_playwright,
)
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app

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

    def __init__(self, app, port: int = 0, host: str = "127.0.0.1"):
        self.server = make_server("127.0.0.1", port, app, threaded=True,
                                  request_handler=_OneRequestPerConnection)
        self.url = f"http://{host}:{self.server.server_port}"
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def localhost_app(database_url, instance_path):
    """The app whose origin is http://localhost:<free port>, for passkeys: Chromium refuses
    WebAuthn on an IP address ("This is an invalid domain"), and the port is in the origin."""
    origin = f"http://localhost:{_free_port()}"
    return create_app({"DATABASE_URL": database_url, "CARNET_DEMO": True, "TESTING": True,
                       "SECRET_KEY": "test-secret", "CARNET_ORIGIN": origin,
                       "CARNET_ORIGINS": [origin], "CARNET_RP_ID": "localhost"})


@pytest.fixture(scope="session")
def localhost_server(localhost_app) -> Iterator[LiveServer]:
    """``localhost_app`` served on its origin's port (localhost is 127.0.0.1 here)."""
    port = urlsplit(localhost_app.config["CARNET_ORIGIN"]).port
    server = LiveServer(localhost_app, port=port, host="localhost")
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
    follow(page, page.get_by_role("button", name=re.compile(re.escape(full_name))))


def import_an_empty_file(page: Page) -> None:
    """On the open questionnaire import form (checked by axe), send a file that is no
    questionnaire: the form comes back with its error summary, checked by axe too."""
    assert_accessible(page)
    page.set_input_files("#file", files=[{"name": "q.json", "mimeType": "application/json",
                                          "buffer": b"{}"}])
    follow(page, "main form button.button--primary")
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)


# -- Actions that wait for what they start --------------------------------------------------
# A click only starts things. Waiting for the "load" state after it is a race: it answers at
# once while the old page is still shown, already loaded. So each click that opens a page or
# swaps a part of one goes through a helper that waits for that very event.


def send_heart_report(page: Page, weight: str, breathlessness: int, ankles: str,
                      night_cough: str, tiredness: int, note: str) -> None:
    """Fill in the heart-failure questionnaire on the open report form and send it; wait
    for "Sent" (offline-report.js sends it, then opens it; without JavaScript: POST →
    redirect)."""
    page.locator("#answer-weight").fill(weight)
    for name, value in (("breathlessness", breathlessness), ("tiredness", tiredness)):
        page.locator(f".scale__option:has(input[name=answer-{name}][value='{value}'])").click()
    page.locator(f"input[name=answer-ankles][value={ankles}]").check()
    page.locator(f"input[name=answer-night_cough][value={night_cough}]").check()
    page.locator("#note").fill(note)
    follow(page, "form.symptom-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/sent$"))


def _locator(page: Page, target: Locator | str) -> Locator:
    return page.locator(target) if isinstance(target, str) else target


def follow(page: Page, target: Locator | str, **navigation) -> Response | None:
    """Click ``target`` (a link, a form's button, or a button whose script then opens a
    page) and wait until the page it opens has loaded; return that page's answer.

    ``navigation`` goes to ``page.expect_navigation``: ``url=`` waits for a later page.
    """
    with page.expect_navigation(**navigation) as opened:
        _locator(page, target).click()
    return opened.value


# One outcome per click: the swap settled, or the htmx error that stopped it.
_AWAIT_SWAP = """() => {
  const names = ["htmx:afterSettle", "htmx:responseError", "htmx:sendError",
                 "htmx:swapError", "htmx:targetError"];
  window.__carnetSwap = new Promise((resolve) => {
    const done = (event) => {
      names.forEach((name) => document.removeEventListener(name, done));
      const status = event.detail && event.detail.xhr ? ` ${event.detail.xhr.status}` : "";
      resolve(event.type === "htmx:afterSettle" ? "settled" : event.type + status);
    };
    names.forEach((name) => document.addEventListener(name, done));
  });
}"""


def swap(page: Page, target: Locator | str, *, js: bool = True) -> None:
    """Click ``target``, which htmx answers in place, and wait until the answer is swapped
    in and settled. Without JavaScript (``js=False``) the same link or form opens a page
    instead: wait for it as ``follow`` does."""
    if not js:
        follow(page, target)
        return
    page.evaluate(_AWAIT_SWAP)
    _locator(page, target).click()
    # wait_for_function awaits a promise its function returns, within its timeout.
    outcome = page.wait_for_function("() => window.__carnetSwap").json_value()
    assert outcome == "settled", outcome


ACTIVATED = """navigator.serviceWorker.ready.then((registration) => {
  const worker = registration.active;
  if (worker.state === "activated") return true;
  return new Promise((resolve) => worker.addEventListener("statechange", () => {
    if (worker.state === "activated") resolve(true);
  }));
})"""


def worker_registration(page: Page, scope: str) -> tuple[CDPSession, str]:
    """A DevTools session on ``page`` and the id of the service worker registration for
    ``scope``, which the DevTools protocol needs to push or to sync."""
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    # `ready` resolves while the worker may still be activating; a push or a sync sent then
    # can be lost, so wait for "activated" itself.
    page.evaluate(ACTIVATED)
    cdp.send("ServiceWorker.enable")
    # Chromium reports the registrations in events sent after its answer to `enable`, and
    # the sync API hands events over only while it waits on the browser: wait in 20 ms steps
    # until the event is here (the steps only let it in; the event ends the loop).
    deadline = time.monotonic() + 10
    while not (found := [r for r in registrations
                         if r["scopeURL"] == scope and not r["isDeleted"]]):
        assert time.monotonic() < deadline, f"no service worker registration for {scope}"
        page.wait_for_timeout(20)
    return cdp, found[0]["registrationId"]
