"""What the phone kept of Jeanne's carnet ends with her session, however it ends.

The service worker keeps visited pages for reading without network. On a shared phone,
once Jeanne's session has ended — without the sign-out button: her cookie gone, "sign out
of every device" pressed on another one, or a month without activity — Claire signs in on
the same browser and goes offline: Jeanne's notes are not shown to her.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.carnet_actions import carnet_id

from .conftest import (
    LiveServer,
    _free_port,
    assert_accessible,
    new_context,
    sign_in_by_demo,
)

NOTE = "Prise de sang faite ce matin à domicile"  # one of Jeanne's notes
OFFLINE = "Pas de réseau"


def _cookie_cleared(browser, server, context, app) -> None:
    context.clear_cookies()


def _signed_out_everywhere(browser, server, context, app) -> None:
    elsewhere = new_context(browser, server.url)
    tablet = elsewhere.new_page()
    sign_in_by_demo(tablet, "Jeanne Martin")
    # The security page lives on the passkeys' host name (localhost), which this server is
    # not reached by: its form is posted as the page would post it.
    token = tablet.locator("meta[name=csrf-token]").get_attribute("content")
    answer = elsewhere.request.post("/me/security/sign-out-everywhere",
                                    form={"csrf_token": token}, max_redirects=0)
    assert answer.status == 302
    elsewhere.close()


def _idle_for_a_month(browser, server, context, app) -> None:
    # The cookie says when she was last active: as it would read 31 days later.
    [cookie] = [c for c in context.cookies() if c["name"] == "carnet_session"]
    serializer = app.session_interface.get_signing_serializer(app)
    content = serializer.loads(cookie["value"])
    content["seen"] = int(time.time()) - 31 * 86400
    context.add_cookies([{**cookie, "value": serializer.dumps(content)}])


ENDINGS = {"her cookie is gone": _cookie_cleared,
           "she signs out of every device elsewhere": _signed_out_everywhere,
           "a month without activity": _idle_for_a_month}


@pytest.mark.browser
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_claire_offline_never_sees_the_notes_jeanne_read_before_her_session_ended(
    browser, app, demo, db, ending
):
    notes = f"/carnet/{carnet_id(db, 'jeanne')}/notes"
    port = _free_port()  # the same origin when the network comes back
    server = LiveServer(app, port=port)
    context = new_context(browser, server.url)
    try:
        page = context.new_page()
        sign_in_by_demo(page, "Jeanne Martin")
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        page.goto(notes)
        expect(page.locator("main")).to_contain_text(NOTE)

        # Without network, her phone still shows her notes to her.
        server.stop()
        context.set_offline(True)
        page.goto(notes)
        expect(page.locator("main")).to_contain_text(NOTE)
        expect(page.locator("#offline-banner")).to_be_visible()
        server = LiveServer(app, port=port)
        context.set_offline(False)

        ENDINGS[ending](browser, server, context, app)
        sign_in_by_demo(page, "Claire Martin")
        expect(page.locator(".site-header__who")).to_have_text("Claire Martin")

        server.stop()
        context.set_offline(True)
        page.goto(notes)
        expect(page.locator("h1")).to_contain_text(OFFLINE)
        expect(page.locator("body")).not_to_contain_text(NOTE)
        assert_accessible(page)
    finally:
        context.close()
        server.stop()
