"""Me → Notifications in a real Chromium.

Chromium cannot make a real push subscription here: Playwright's contexts are incognito
profiles, where Chrome refuses the Push API ("AbortError: Registration failed"), and in a
persistent profile ``pushManager.subscribe()`` waits forever for Google's FCM, which this
machine cannot reach. So the real browser shows us the page, its error path and axe; the
way to the server (POST of ``toJSON()`` with the CSRF header, "this device", turning off)
is driven with the browser's PushManager replaced by a stand-in holding real keys; and the
service worker's ``push`` handler gets real pushes through DevTools.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.models import PushSubscription

from ..push_service import PushService
from .conftest import (
    assert_accessible,
    follow,
    new_context,
    sign_in_by_demo,
    worker_registration,
)

TURN_ON = "Turn on notifications on this device"
TURN_OFF = "Turn off notifications on this device"


def _devices(db) -> list[PushSubscription]:
    db.expire_all()
    return list(db.exec(select(PushSubscription)).all())


@pytest.mark.browser
def test_jeanne_asks_for_notifications_and_chromium_says_no(browser, live_server, demo, db):
    context = new_context(browser, live_server.url)
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    nav = page.get_by_role("navigation")
    follow(page, nav.get_by_role("link", name="Moi", exact=True))
    follow(page, 'a[href="/me/notifications"]')
    button = page.locator('[data-push="on"]')
    expect(button).to_be_visible()
    expect(page.locator("[data-push-without-js]")).to_be_hidden()
    assert_accessible(page)

    button.click()  # Chromium refuses: the page says so and stays

    status = page.get_by_role("alert")
    expect(status).to_be_visible()
    expect(status).to_have_text(page.locator("#push-device").get_attribute("data-failed"))
    assert _devices(db) == []
    assert_accessible(page)
    context.close()


# Replaces the browser's PushManager by one that answers with the subscription given in
# window.__subscription (real keys made by the test), the way a browser would.
STAND_IN = """
(() => {
  const key = "stand-in-subscription";
  const wrap = (json) => ({
    endpoint: json.endpoint, options: { applicationServerKey: null },
    toJSON: () => json,
    unsubscribe: () => { sessionStorage.removeItem(key); return Promise.resolve(true); },
  });
  PushManager.prototype.subscribe = function (options) {
    sessionStorage.setItem("stand-in-asked", JSON.stringify({
      userVisibleOnly: options.userVisibleOnly, keyLength: options.applicationServerKey.length,
    }));
    sessionStorage.setItem(key, JSON.stringify(window.__subscription));
    return Promise.resolve(wrap(window.__subscription));
  };
  PushManager.prototype.getSubscription = function () {
    const json = sessionStorage.getItem(key);
    return Promise.resolve(json ? wrap(JSON.parse(json)) : null);
  };
})();
"""


@pytest.mark.browser
def test_the_page_sends_the_subscription_and_turns_it_off_again(browser, live_server, demo, db,
                                                               app):
    service = PushService(app.config["VAPID_PUBLIC_KEY"], origin="http://127.0.0.1:9")
    subscription = service.new_device().subscription_json()
    context = new_context(browser, live_server.url, locale="en")
    context.grant_permissions(["notifications"], origin=live_server.url)
    context.add_init_script(STAND_IN)
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    page.goto("/me/notifications")
    page.evaluate(f"window.__subscription = {json.dumps(subscription)}")

    follow(page, page.get_by_role("button", name=TURN_ON))  # sent, then the page again

    expect(page.get_by_text("Notifications are on for this device.")).to_be_visible()
    [device] = _devices(db)
    assert device.endpoint == subscription["endpoint"]
    # Asked as Web Push requires: visible notifications only, our 65-byte public key.
    assert page.evaluate("JSON.parse(sessionStorage.getItem('stand-in-asked'))") == {
        "userVisibleOnly": True, "keyLength": 65}
    expect(page.locator("[data-this-device-badge]")).to_be_visible()
    assert_accessible(page)

    follow(page, page.get_by_role("button", name=TURN_OFF))

    expect(page.get_by_text("Notifications are off for this device.")).to_be_visible()
    assert _devices(db) == []
    expect(page.get_by_role("button", name=TURN_ON)).to_be_visible()
    context.close()


# The notifications shown, once there is one (or none after 20 s). No event tells a page
# that its service worker showed a notification, so the page asks again every 50 ms, on a
# timer: animation frames, which wait_for_function polls on, may pause in a page not drawn.
SHOWN = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const deadline = Date.now() + 20000;
  for (;;) {
    const list = await registration.getNotifications();
    if (list.length || Date.now() > deadline) {
      return list.map(n => ({title: n.title, body: n.body, tag: n.tag, id: n.data.id}));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}"""

# Whether the worker has handled push ``id`` within 5 s: it keeps the ids it has seen.
HANDLED = """async (id) => {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const seen = await caches.open("carnet-push-seen");
    if (await seen.match(`/push-seen/${id}`)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}"""


# Whether a notification of push ``id`` is shown within 5 s.
SHOWN_ID = """async (id) => {
  const registration = await navigator.serviceWorker.ready;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const list = await registration.getNotifications();
    if (list.some(n => n.data && n.data.id === id)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}"""


def _shown(page) -> list[dict]:
    return page.evaluate(SHOWN)


@pytest.mark.browser
def test_the_service_worker_shows_a_push_once(browser, live_server, demo):
    context = new_context(browser, live_server.url, locale="en")
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    cdp, registration_id = worker_registration(page, live_server.url + "/")

    def push(number: int, tag: str) -> None:
        message = {"web_push": 8030, "notification": {
            "title": "New update in Jeanne M.'s carnet", "body": "Open Carnet to see it.",
            "navigate": f"{live_server.url}/me/", "tag": tag, "lang": "en", "dir": "ltr",
            "data": {"id": number, "url": "/me/"}}}
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": live_server.url, "registrationId": registration_id,
            "data": json.dumps(message)})

    def push_new(number: int, tag: str) -> None:
        # In long runs DevTools now and then hands a push to no worker at all (no push
        # event fires), or the notification is not shown (the worker then forgets the id).
        # A push service delivers at least once, so deliver again until the notification is
        # shown: the worker shows each id once, which is what is tested.
        for _attempt in range(3):
            push(number, tag)
            if page.evaluate(HANDLED, number) and page.evaluate(SHOWN_ID, number):
                return
        raise AssertionError(f"the service worker never showed push {number}")

    push_new(9001, "t-1")
    assert _shown(page) == [{"title": "New update in Jeanne M.'s carnet",
                             "body": "Open Carnet to see it.", "tag": "t-1", "id": 9001}]
    page.evaluate("navigator.serviceWorker.ready.then(r => r.getNotifications())"
                  ".then(list => list.forEach(n => n.close()))")  # Jeanne dismisses it

    push(9001, "t-1")  # at-least-once: the same notification again…
    push_new(9002, "t-2")  # …then a new one; pushes are handled in order
    shown = _shown(page)

    assert [n["id"] for n in shown] == [9002]
    seen = page.evaluate("caches.open('carnet-push-seen').then(c => c.keys())"
                         ".then(keys => keys.map(k => new URL(k.url).pathname))")
    assert seen == ["/push-seen/9001", "/push-seen/9002"]
    context.close()


@pytest.mark.browser
def test_lefevre_chooses_quiet_hours(browser, live_server, demo, db):
    """A plain form (no script of ours touches it): POST, then redirect, then GET."""
    from app.models import NotificationPreference

    context = new_context(browser, live_server.url)
    page = context.new_page()
    sign_in_by_demo(page, "Paul Lefèvre")
    page.goto("/me/notifications")
    form = page.locator('form[action="/me/notifications/preferences"]')
    expect(form).to_be_visible()
    assert_accessible(page)

    form.locator("#quiet_start").fill("22:00")
    follow(page, form.locator('button[type="submit"]'))  # the end is missing

    expect(page.locator("#quiet_end-error")).to_be_visible()
    expect(page.locator("#quiet_end")).to_have_attribute("aria-invalid", "true")
    assert db.exec(select(NotificationPreference)).all() == []
    assert_accessible(page)

    form.locator("#quiet_end").fill("07:00")
    form.locator('input[value="note_added"]').uncheck()
    follow(page, form.locator('button[type="submit"]'))

    expect(page.locator('input[value="note_added"]')).not_to_be_checked()
    expect(page.locator("#quiet_end")).to_have_value("07:00")
    db.expire_all()
    [saved] = db.exec(select(NotificationPreference)).all()
    assert saved.muted_kinds == ["note_added"]
    assert_accessible(page)
    context.close()


IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1")


@pytest.mark.browser
def test_on_an_iphone_safari_says_to_add_carnet_to_the_home_screen_first(browser, live_server,
                                                                         demo):
    """iOS delivers Web Push only to a web app opened from the Home Screen: in Safari the
    page says how to get there; opened from there (standalone), the button is offered."""
    context = new_context(browser, live_server.url, locale="en-GB", user_agent=IPHONE,
                          viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    page.goto("/me/notifications")
    expect(page.locator("#push-ios")).to_be_visible()
    expect(page.locator("#push-ios")).to_contain_text("Add to Home Screen")
    expect(page.locator('[data-push="on"]')).to_be_hidden()
    assert_accessible(page)

    installed = context.new_page()  # Safari's own flag in an app opened from its icon
    installed.add_init_script("Object.defineProperty(navigator, 'standalone', {value: true})")
    installed.goto("/me/notifications")
    expect(installed.locator('[data-push="on"]')).to_be_visible()
    expect(installed.locator("#push-ios")).to_be_hidden()
    context.close()


@pytest.mark.browser
def test_the_service_worker_hands_a_changed_subscription_to_the_server(browser, live_server,
                                                                       demo, db, app):
    """What the worker's pushsubscriptionchange handler does (Chromium never fires the event,
    and a page cannot fire a trusted one): called in the real worker with the browser's old
    and new subscriptions, it tells the server, which then holds the new endpoint only."""
    from ..conftest import persona

    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    try:
        old, new = (service.new_device().subscription_json() for _ in range(2))
        db.add(PushSubscription(account_id=persona(db, "jeanne").id, endpoint=old["endpoint"],
                                p256dh=old["keys"]["p256dh"], auth=old["keys"]["auth"]))
        db.commit()
        context = new_context(browser, live_server.url, locale="en")
        page = context.new_page()
        sign_in_by_demo(page, "Jeanne Martin")
        worker_registration(page, live_server.url + "/")
        [worker] = context.service_workers
        renewed = worker.evaluate("""([old, fresh]) => renewSubscription(
            {toJSON: () => old, options: {}}, {toJSON: () => fresh})""", [old, new])
        assert renewed is True
        assert [device.endpoint for device in _devices(db)] == [new["endpoint"]]
        context.close()
    finally:
        service.stop()


@pytest.mark.browser
def test_lefevre_chooses_an_email_when_no_device_can_be_notified(browser, live_server, demo,
                                                                 db, app, monkeypatch):
    """Where the territory has a mail server, the choice is one more box of the same plain
    form (axe on it, ticked, saved)."""
    from app.models import NotificationPreference

    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    context = new_context(browser, live_server.url)
    page = context.new_page()
    sign_in_by_demo(page, "Paul Lefèvre")
    page.goto("/me/notifications")
    box = page.locator('input[name="email_when_no_device"]')
    expect(box).not_to_be_checked()
    assert_accessible(page)
    box.check()
    follow(page, 'form[action="/me/notifications/preferences"] button[type="submit"]')
    expect(page.locator('input[name="email_when_no_device"]')).to_be_checked()
    db.expire_all()
    [saved] = db.exec(select(NotificationPreference)).all()
    assert saved.email_when_no_device
    assert_accessible(page)
    context.close()
