"""The walking skeleton in a real browser: demo sign-in, Jeanne's home, PWA, offline, weight."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import LiveServer, assert_accessible, new_context, sign_in_by_demo

WORDS = {
    "fr": {"next": "Prochain rendez-vous", "attending": "Médecin traitant",
           "nav": ["Plan", "Rendez-vous", "Équipe", "Moi"], "offline": "Pas de réseau"},
    "en": {"next": "Next appointment", "attending": "Attending doctor",
           "nav": ["Plan", "Appointments", "Team", "Me"], "offline": "No network"},
}


@pytest.mark.browser
@pytest.mark.parametrize("language", ["fr", "en"])
def test_jeanne_signs_in_and_sees_her_next_appointment_and_her_doctor(
    browser, live_server, demo, language
):
    context = new_context(browser, live_server.url, locale=language)
    page = context.new_page()
    words = WORDS[language]
    sign_in_by_demo(page, "Jeanne Martin")

    expect(page.get_by_role("heading", name=words["next"])).to_be_visible()
    next_appointment = page.locator("article.card--highlight")
    expect(next_appointment).to_contain_text("Dr Paul Lefèvre")
    contacts = page.locator("section", has=page.get_by_role("heading", level=2)).filter(
        has_text=words["attending"])
    expect(contacts).to_contain_text("Dr Paul Lefèvre")
    assert_accessible(page)

    for label in words["nav"]:
        link = page.get_by_role("navigation").get_by_role("link", name=label, exact=True)
        link.click()
        expect(link).to_have_attribute("aria-current", "page")
        assert_accessible(page)
    context.close()


@pytest.mark.browser
def test_the_service_worker_registers_and_a_visited_page_shows_offline(browser, app, demo):
    server = LiveServer(app)  # our own server, so that stopping it cuts the network
    context = new_context(browser, server.url)
    page = context.new_page()
    try:
        sign_in_by_demo(page, "Jeanne Martin")
        scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == server.url + "/"
        page.reload()  # now controlled by the service worker, which keeps the pages it serves
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        page.get_by_role("navigation").get_by_role("link", name="Plan").click()
        page.wait_for_load_state("load")
        plan_url = page.url
        plan_title = page.locator("h1").inner_text()

        server.stop()
        context.set_offline(True)

        page.goto(plan_url)
        expect(page.locator("h1")).to_have_text(plan_title)
        expect(page.locator("#offline-banner")).to_be_visible()

        page.goto(server.url + "/never/visited")
        expect(page.locator("h1")).to_contain_text(WORDS["fr"]["offline"])
        assert_accessible(page)
    finally:
        context.close()
        server.stop()


@pytest.mark.browser
def test_jeannes_home_weighs_less_than_45_kb_compressed_on_first_load(browser, live_server, demo):
    """Rule 7: HTML + CSS + JS + manifest of a patient's first page, as sent on the wire."""
    # No service worker: its own fetches would hide the page's requests from the count.
    context = new_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    # Sign in through the same cookie jar without loading any page, so the home is a first load.
    demo_page = context.request.get("/demo/").text()
    token = re.search(r'name="csrf-token" content="([^"]+)"', demo_page).group(1)
    form = next(f for f in demo_page.split("<form") if "Jeanne Martin" in f)
    account_id = re.search(r'name="account_id" value="(\d+)"', form).group(1)
    context.request.post("/demo/sign-in", form={"account_id": account_id, "csrf_token": token})

    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: dict[str, float] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.responseReceived",
           lambda event: urls.__setitem__(event["requestId"], event["response"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]))

    page.goto("/")
    page.wait_for_load_state("networkidle")
    page.evaluate("fetch('/manifest.webmanifest').then(r => r.text())")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Prochain rendez-vous")).to_be_visible()

    loaded = {urls[rid]: size for rid, size in sizes.items() if rid in urls}
    kinds = {url.rsplit("/", 1)[-1] for url in loaded}
    assert {"carnet.css", "app.js", "htmx.min.js", "manifest.webmanifest"} <= kinds
    total = sum(loaded.values())
    print(f"\nJeanne's home, first load: {total / 1024:.1f} KB compressed, {len(loaded)} requests")
    for url, size in sorted(loaded.items(), key=lambda item: -item[1]):
        print(f"  {size / 1024:6.1f} KB  {url}")
    assert total < 45 * 1024
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize(("width", "zoom"), [(320, 1), (640, 2)])
def test_pages_fit_a_small_phone_and_200_percent_zoom(browser, live_server, demo, width, zoom):
    """No horizontal scrolling at 320 px, nor at 200 % zoom; touch targets of 44 px at least."""
    context = new_context(browser, live_server.url,
                          viewport={"width": width // zoom, "height": 640 // zoom},
                          device_scale_factor=zoom)
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    for link in ("Plan", "Rendez-vous", "Équipe", "Moi", "Accueil"):
        page.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()
        page.wait_for_load_state("load")
        _fits(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Comprendre ma maladie").click()
    _fits(page)
    with page.expect_navigation():
        page.locator("main ul a").first.click()
    _fits(page)
    # The authoring space is for a desktop first, but it must not break on a phone either.
    sign_in_by_demo(page, "Françoise Petit")
    _fits(page)
    for selector in ("main a[href^='/authoring/pages/']:not([href$='/new'])",
                     "main a[href^='/authoring/questionnaires/']"):
        page.goto("/authoring/")
        with page.expect_navigation():
            page.locator(selector).first.click()
        _fits(page)
    with page.expect_navigation():
        page.locator("a[href$='/try']").click()
    _fits(page)
    context.close()


def _fits(page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    small = page.evaluate("""() => [...document.querySelectorAll(
            'nav a, main a.button, button, input:not([type=hidden]), select, textarea')]
        .filter(e => e.offsetParent !== null)
        // A tick or a radio button is touched through its label, which must be large enough.
        .map(e => (e.matches('[type=radio], [type=checkbox]') && e.closest('label')) || e)
        .map(e => e.getBoundingClientRect())
        .filter(r => r.height < 44 || r.width < 44).length""")
    assert small == 0, page.url
