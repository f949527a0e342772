"""Me → Notifications: a device turns notifications on, the list, removing a device.

Jeanne subscribes her phone; Claire (her daughter) once used the same family tablet.
"""

from __future__ import annotations

import base64
import os

import pytest
from sqlmodel import select

from app.models import (
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationKind,
    PushSubscription,
)
from app.push.subscriptions import DEVICES_MAX

from .conftest import persona
from .push_actions import ANDROID_CHROME, fake_dns
from .push_service import PushService, b64url


@pytest.fixture
def service(app):
    """Only to make devices with real keys: nothing is sent in these tests."""
    return PushService(app.config["VAPID_PUBLIC_KEY"])


@pytest.fixture
def new_subscription(service):
    service.origin = "https://fcm.googleapis.com/fcm/send"
    return lambda: service.new_device().subscription_json()


@pytest.fixture
def jeanne(signed_in):
    browser = signed_in("jeanne")
    browser.actions.client.environ_base["HTTP_USER_AGENT"] = ANDROID_CHROME
    return browser


def _post_json(browser, path: str, body, token: str | None = None):
    return browser.actions.client.post(path, json=body,
                                       headers={"X-CSRFToken": token or browser.token})


def _devices(db, name: str | None = None) -> list[PushSubscription]:
    db.expire_all()
    query = select(PushSubscription)
    if name:
        query = query.where(PushSubscription.account_id == persona(db, name).id)
    return list(db.exec(query).all())


def test_the_page_offers_to_turn_notifications_on(jeanne, app):
    page = jeanne.get("/me/notifications").get_data(as_text=True)
    assert "Turn on notifications on this device" in page
    assert f'data-public-key="{app.config["VAPID_PUBLIC_KEY"]}"' in page
    assert "Notifications are not on for any device yet." in page
    assert 'href="/me/notifications"' in jeanne.get("/me/").get_data(as_text=True)


def test_a_visitor_is_sent_to_sign_in(client, demo):
    assert client.get("/me/notifications").headers["Location"].endswith("/sign-in")


def test_jeanne_turns_notifications_on_for_her_phone(jeanne, db, new_subscription):
    body = new_subscription()
    response = _post_json(jeanne, "/push/subscriptions", body)

    assert response.status_code == 201
    assert response.json == {"redirect": "/me/notifications"}
    [device] = _devices(db, "jeanne")
    assert (device.endpoint, device.p256dh, device.auth) == (
        body["endpoint"], body["keys"]["p256dh"], body["keys"]["auth"])
    page = jeanne.get("/me/notifications").get_data(as_text=True)
    assert "Notifications are on for this device." in page
    assert "Chrome on Android" in page
    assert body["endpoint"] not in page  # the address is a capability: not printed


@pytest.mark.db_engine
def test_the_same_subscription_twice_is_one_device(jeanne, db, new_subscription):
    body = new_subscription()
    _post_json(jeanne, "/push/subscriptions", body)
    _post_json(jeanne, "/push/subscriptions", body)
    assert len(_devices(db, "jeanne")) == 1


def test_a_post_without_the_csrf_header_changes_nothing(jeanne, db, new_subscription):
    response = jeanne.actions.client.post("/push/subscriptions", json=new_subscription())
    assert response.status_code == 400
    assert _devices(db) == []


def _with(body: dict, **changes) -> dict:
    keys = dict(body["keys"], **changes.pop("keys", {}))
    return dict(body, keys=keys, **changes)


def _not_on_curve() -> str:
    return b64url(b"\x04" + b"\x01" * 64)


BAD = {
    "not an object": lambda body: ["endpoint"],
    "no keys": lambda body: {"endpoint": body["endpoint"]},
    "no endpoint": lambda body: _with(body, endpoint=None),
    "endpoint not text": lambda body: _with(body, endpoint=12),
    "plain http": lambda body: _with(body, endpoint="http://fcm.googleapis.com/fcm/send/x"),
    "unknown push service": lambda body: _with(body, endpoint="https://evil.example.com/x"),
    "an IP address": lambda body: _with(body, endpoint="https://10.0.0.1/push/x"),
    "a look-alike host": lambda body: _with(body, endpoint="https://fcm.googleapis.com.evil.io/x"),
    "credentials in the URL": lambda body: _with(
        body, endpoint="https://user:pw@fcm.googleapis.com/fcm/send/x"),
    "a bad port": lambda body: _with(body, endpoint="https://fcm.googleapis.com:99999/x"),
    "another scheme": lambda body: _with(body, endpoint="ftp://fcm.googleapis.com/x"),
    "too long": lambda body: _with(body, endpoint="https://fcm.googleapis.com/" + "x" * 2000),
    "p256dh too short": lambda body: _with(body, keys={"p256dh": b64url(os.urandom(33))}),
    "p256dh off the curve": lambda body: _with(body, keys={"p256dh": _not_on_curve()}),
    "p256dh not base64url": lambda body: _with(body, keys={"p256dh": "@@@" * 30}),
    "auth too short": lambda body: _with(body, keys={"auth": b64url(os.urandom(15))}),
    "auth in plain base64": lambda body: _with(
        body, keys={"auth": base64.b64encode(b"\xfb\xff" * 8).decode()}),
    "keys not text": lambda body: _with(body, keys={"auth": 16}),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_subscription_is_refused_clearly_and_nothing_is_kept(jeanne, db, new_subscription,
                                                                   case):
    response = _post_json(jeanne, "/push/subscriptions", BAD[case](new_subscription()))
    assert response.status_code == 400, case
    assert response.json["error"].endswith(("try again.", "can use."))
    assert _devices(db) == []


def test_a_body_that_is_not_json_is_refused(jeanne, db):
    response = jeanne.actions.client.post("/push/subscriptions", data="{not json",
                                          content_type="application/json",
                                          headers={"X-CSRFToken": jeanne.token})
    assert response.status_code == 400 and "error" in response.json
    assert _devices(db) == []


def test_http_is_allowed_only_for_the_tests_local_push_service(app, new_subscription):
    from app.push.subscriptions import SubscriptionError, check

    body = _with(new_subscription(), endpoint="http://127.0.0.1:8080/push/x")
    with app.test_request_context():
        assert check(body, (), allow_local_http=True).endpoint == body["endpoint"]
        with pytest.raises(SubscriptionError):
            check(body, ("*",), allow_local_http=False)


def test_any_public_host_when_the_list_is_a_star(app, new_subscription, monkeypatch):
    from app.push.subscriptions import SubscriptionError, check

    fake_dns(monkeypatch, {"push.example.net": ["93.184.215.14"]})  # more in test_push_endpoints
    with app.test_request_context():
        body = _with(new_subscription(), endpoint="https://push.example.net/x")
        assert check(body, ("*",)).endpoint == body["endpoint"]
        for host in ("localhost", "127.0.0.1", "[::1]", "intranet"):
            with pytest.raises(SubscriptionError):
                check(_with(body, endpoint=f"https://{host}/x"), ("*",))


def test_a_device_moves_to_jeanne_only_from_the_browser_that_holds_it(
        signed_in, jeanne, db, new_subscription):
    tablet = new_subscription()
    claire = signed_in("claire")
    _post_json(claire, "/push/subscriptions", tablet)
    [device] = _devices(db, "claire")
    waiting = Notification(account_id=persona(db, "claire").id, kind=NotificationKind.NOTE_ADDED)
    db.add(waiting)
    db.flush()
    db.add(NotificationDelivery(notification_id=waiting.id, subscription_id=device.id))
    db.commit()

    # Someone who only knows the address (not the browser's secret) cannot take it.
    forged = _with(tablet, keys={"auth": b64url(os.urandom(16))})
    response = _post_json(jeanne, "/push/subscriptions", forged)
    assert response.status_code == 409
    assert [d.id for d in _devices(db, "claire")] == [device.id]

    # The same browser, now Jeanne's: it moves, and Claire's pending message stays unsent.
    assert _post_json(jeanne, "/push/subscriptions", tablet).status_code == 201
    assert _devices(db, "claire") == [] and [d.id for d in _devices(db, "jeanne")] == [device.id]
    delivery = db.exec(select(NotificationDelivery)).one()
    assert delivery.status == DeliveryStatus.DROPPED


def test_jeanne_removes_a_device_with_a_plain_form(jeanne, db, new_subscription):
    _post_json(jeanne, "/push/subscriptions", new_subscription())
    [device] = _devices(db, "jeanne")

    response = jeanne.post(f"/me/notifications/devices/{device.id}/delete")

    assert response.status_code == 302
    assert _devices(db) == []


def test_no_one_removes_someone_elses_device(signed_in, jeanne, db, new_subscription):
    _post_json(signed_in("claire"), "/push/subscriptions", new_subscription())
    [device] = _devices(db, "claire")

    assert jeanne.post(f"/me/notifications/devices/{device.id}/delete").status_code == 404
    assert _post_json(jeanne, "/push/subscriptions/unsubscribe",
                      {"endpoint": device.endpoint}).json["removed"] is False
    assert _devices(db, "claire") != []


def test_unsubscribing_in_the_browser_removes_the_device(jeanne, db, new_subscription):
    body = new_subscription()
    _post_json(jeanne, "/push/subscriptions", body)

    response = _post_json(jeanne, "/push/subscriptions/unsubscribe",
                          {"endpoint": body["endpoint"]})

    assert response.status_code == 200 and response.json["removed"] is True
    assert _devices(db) == []


@pytest.mark.parametrize("body", [None, [], {"endpoint": 3}, {"endpoint": "x" * 5000}])
def test_a_strange_unsubscribe_is_harmless(jeanne, body):
    assert _post_json(jeanne, "/push/subscriptions/unsubscribe", body).status_code == 200


def test_there_is_a_limit_to_the_devices_of_one_person(jeanne, db, new_subscription):
    for _ in range(DEVICES_MAX):
        assert _post_json(jeanne, "/push/subscriptions", new_subscription()).status_code == 201
    response = _post_json(jeanne, "/push/subscriptions", new_subscription())
    assert response.status_code == 400 and "Remove one first" in response.json["error"]
    assert len(_devices(db, "jeanne")) == DEVICES_MAX


def _renew(client, old: dict, new: dict, auth: str | None = None):
    return client.post("/push/subscriptions/renew", json={
        "old": {"endpoint": old["endpoint"], "auth": auth or old["keys"]["auth"]},
        "subscription": new})


def test_a_changed_subscription_takes_the_old_ones_place(client, jeanne, db, new_subscription):
    """The service worker's pushsubscriptionchange: no session, no CSRF token; the old auth
    secret proves the device, and the server then holds the new endpoint, not the old."""
    old, new = new_subscription(), new_subscription()
    _post_json(jeanne, "/push/subscriptions", old)
    [before] = _devices(db, "jeanne")
    response = _renew(client, old, new)
    assert (response.status_code, response.json) == (200, {"renewed": True})
    [after] = _devices(db, "jeanne")
    assert after.id == before.id  # its preferences and pending deliveries stay with it
    assert (after.endpoint, after.p256dh, after.auth) == (
        new["endpoint"], new["keys"]["p256dh"], new["keys"]["auth"])
    assert _renew(client, old, new_subscription()).status_code == 404  # the old one is gone


def test_a_renewal_without_the_old_secret_changes_nothing(client, jeanne, db, new_subscription):
    old, new = new_subscription(), new_subscription()
    _post_json(jeanne, "/push/subscriptions", old)
    before = [(d.endpoint, d.auth) for d in _devices(db)]
    stranger = new_subscription()
    assert _renew(client, old, new, auth=stranger["keys"]["auth"]).status_code == 404
    assert _renew(client, stranger, new).status_code == 404  # an endpoint nobody kept
    assert _renew(client, old, {"endpoint": "https://evil.example/x"}).status_code == 400
    assert client.post("/push/subscriptions/renew", data="x").status_code == 400
    assert [(d.endpoint, d.auth) for d in _devices(db)] == before
