"""Push endpoints that would make Carnet call an internal address (server-side request forgery).

With ``CARNET_PUSH_SERVICES=*`` any push service may be used, as long as its name resolves
to public addresses only: checked when a device subscribes, and again before each delivery
(whoever subscribed may change their DNS afterwards). The worker connects to the address it
checked, and never follows a redirect. A host the territory names in the list is trusted as
configured, wherever it is.

Jeanne's account stands for anyone signed in who tries; a device of Dr Lefèvre's, kept
before its name moved, for what the worker finds in the table. The DNS is faked
(``fake_dns``): no test asks the real one.
"""

from __future__ import annotations

import logging
import random
import socket
from dataclasses import replace
from ipaddress import ip_address

import pytest
from sqlmodel import select

from app.models import DeliveryStatus, NotificationDelivery, PushSubscription
from app.push import endpoints, subscriptions, transport
from app.push.worker import Relay, Settings
from app.types import utcnow

from .conftest import persona
from .push_actions import ANDROID_CHROME, fake_dns, jeanne_reports, row_for, subscribe
from .push_service import PushService, tls_for

PUBLIC = "93.184.215.14"
NAMES = {
    "push.example.net": [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "push.rebound.example": ["127.0.0.1"],
    "push.intranet.example": ["10.0.0.7"],
    "push.mixed.example": [PUBLIC, "192.168.1.10"],
    "push.cgnat.example": ["100.64.0.1"],
    "push.link.example": ["fe80::1"],
    "push.mapped.example": ["::ffff:127.0.0.1"],
    "push.nat64.example": ["64:ff9b::a9fe:a9fe"],  # 169.254.169.254 through NAT64
    "push.territoire.internal": ["10.0.0.8"],
}

INTERNAL = {
    "loopback, short form": "https://127.1/x",
    "loopback, octal": "https://0177.0.0.1/x",
    "loopback, hexadecimal": "https://0x7f.1/x",
    "loopback, one number": "https://2130706433/x",
    "loopback, full-width dots": "https://127。0。0。1/x",
    "IPv6 loopback": "https://[::1]/x",
    "IPv4-mapped IPv6 loopback": "https://[::ffff:127.0.0.1]/x",
    "localhost with a trailing dot": "https://localhost./x",
    "localhost in capitals": "https://LOCALHOST/x",
    "private, short form": "https://10.1/x",
    "cloud metadata": "https://169.254.169.254/x",
    "a name without a dot": "https://intranet/x",
    "a name resolving to loopback": "https://push.rebound.example/x",
    "the same with a trailing dot": "https://push.rebound.example./x",
    "a name resolving to a private address": "https://push.intranet.example/x",
    "one internal address among public ones": "https://push.mixed.example/x",
    "a name resolving to shared address space": "https://push.cgnat.example/x",
    "a name resolving to IPv6 link-local": "https://push.link.example/x",
    "a name resolving to IPv4-mapped loopback": "https://push.mapped.example/x",
    "a name resolving to metadata through NAT64": "https://push.nat64.example/x",
}

REFUSED = "This browser's push service is not one Carnet can use."
NOT_FOUND = "Carnet could not find this browser's push service. Please try again."


@pytest.fixture
def star(app, monkeypatch):
    """``CARNET_PUSH_SERVICES=*``, and the DNS of ``NAMES``."""
    monkeypatch.setitem(app.config, "PUSH_SERVICES", ("*",))
    return fake_dns(monkeypatch, NAMES)


@pytest.fixture
def connections(monkeypatch) -> list[tuple[str, int]]:
    """Every connection this process tries to open, as (address, port): the worker's HTTP
    client's (curl asks ``transport._open`` for each socket, refused or not), and any made
    through Python's sockets, since nothing else here connects."""
    opened: list[tuple[str, int]] = []
    real_open, real_connect = transport._open, socket.socket.connect

    def curl_opens(allowed, purpose, address):
        opened.append(tuple(address.addr[:2]))
        return real_open(allowed, purpose, address)

    def connect(self, address):
        opened.append(tuple(address[:2]))
        return real_connect(self, address)

    monkeypatch.setattr(transport, "_open", curl_opens)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return opened


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def service(app):
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    yield service
    service.stop()
    assert service.problems == []


@pytest.fixture
def jeanne(signed_in):
    return signed_in("jeanne")


def _subscribe(browser, endpoint: str, service: PushService):
    body = dict(service.new_device().subscription_json(), endpoint=endpoint)
    return browser.actions.client.post("/push/subscriptions", json=body,
                                       headers={"X-CSRFToken": browser.token})


def _devices(db) -> list[PushSubscription]:
    db.expire_all()
    return list(db.exec(select(PushSubscription)).all())


def _kept_before(db, service: PushService, endpoint: str) -> None:
    """A device of Dr Lefèvre's at ``endpoint``, in the table as if it had passed the check
    when it subscribed (its name resolved elsewhere then)."""
    keys = service.new_device().subscription_json()["keys"]
    db.add(PushSubscription(account_id=persona(db, "lefevre").id, endpoint=endpoint,
                            p256dh=keys["p256dh"], auth=keys["auth"],
                            user_agent=ANDROID_CHROME))
    db.commit()


def _transport() -> transport.Transport:
    """The worker's HTTP client with the worker's default limits and timeouts."""
    settings = Settings()
    return transport.Transport(settings.concurrency, settings.per_service, settings.timeout)


def _delivery(db, notification) -> NotificationDelivery:
    db.expire_all()
    return db.exec(select(NotificationDelivery).where(
        NotificationDelivery.notification_id == notification.id)).one()


# -- at subscription ---------------------------------------------------------------------


@pytest.mark.parametrize("case", INTERNAL)
def test_an_internal_endpoint_is_refused_at_subscription(jeanne, db, star, service, case):
    response = _subscribe(jeanne, INTERNAL[case], service)

    assert response.status_code == 400, case
    assert response.json == {"error": REFUSED}
    assert _devices(db) == []


def test_a_public_push_service_is_accepted_with_a_star(jeanne, db, star, service):
    response = _subscribe(jeanne, "https://push.example.net/push/abc", service)

    assert response.status_code == 201
    assert [d.endpoint for d in _devices(db)] == ["https://push.example.net/push/abc"]
    assert star.asked == ["push.example.net."]  # the absolute name: no search domain


def test_a_name_that_does_not_resolve_is_refused_in_jeannes_language(jeanne, db, star, service):
    persona(db, "jeanne").locale = "fr"
    db.commit()

    response = _subscribe(jeanne, "https://push.nowhere.example/x", service)

    assert response.status_code == 400
    assert response.json == {
        "error": "Carnet ne trouve pas le service de notification de ce navigateur. Réessayez."}
    assert _devices(db) == []


def test_a_name_that_does_not_resolve_is_refused(jeanne, db, star, service):
    response = _subscribe(jeanne, "https://push.nowhere.example/x", service)
    assert (response.status_code, response.json) == (400, {"error": NOT_FOUND})


@pytest.mark.parametrize("services", [("push.territoire.internal",),
                                      ("*", "push.territoire.internal"),
                                      ("territoire.internal",)])
def test_a_push_service_the_territory_names_is_trusted_where_it_is(jeanne, db, app, star,
                                                                  monkeypatch, service,
                                                                  services):
    monkeypatch.setitem(app.config, "PUSH_SERVICES", services)

    response = _subscribe(jeanne, "https://push.territoire.internal/x", service)

    assert response.status_code == 201
    assert star.asked == []  # trusted as configured: not even looked up


def test_an_internal_address_the_territory_names_is_trusted(jeanne, app, monkeypatch, service):
    monkeypatch.setitem(app.config, "PUSH_SERVICES", ("*", "10.0.0.5"))

    assert _subscribe(jeanne, "https://10.0.0.5:8443/x", service).status_code == 201
    assert _subscribe(jeanne, "https://10.0.0.6:8443/x", service).status_code == 400


def test_plain_http_in_testing_mode_is_only_for_a_local_push_service(app):
    body = PushService("k").new_device().subscription_json()
    with app.test_request_context():
        for endpoint in ("http://push.example.net/x", "http://10.0.0.5/x"):
            with pytest.raises(subscriptions.SubscriptionError):
                subscriptions.check(dict(body, endpoint=endpoint), ("*", "10.0.0.5"),
                                    allow_local_http=True)


# -- before each delivery ----------------------------------------------------------------


@pytest.mark.parametrize("case", INTERNAL)
def test_a_kept_device_that_is_now_internal_is_never_contacted(app, db, demo, star, service, ctx,
                                                               connections, caplog, case):
    _kept_before(db, service, INTERNAL[case])
    row = row_for(jeanne_reports(db), db, "lefevre")

    with caplog.at_level(logging.WARNING, logger="carnet.push"):
        counts = Relay.for_app(app).drain(utcnow())

    delivery = _delivery(db, row)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "endpoint refused")
    assert counts.failed == 1 and counts.sent == 0
    assert connections == []
    assert "not sent" in caplog.text


def test_a_name_that_stopped_resolving_is_retried_later(app, db, demo, star, service, ctx,
                                                       connections):
    _kept_before(db, service, "https://push.nowhere.example/x")
    row = row_for(jeanne_reports(db), db, "lefevre")
    now = utcnow()

    Relay.for_app(app, rng=random.Random(5)).drain(now)

    delivery = _delivery(db, row)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PENDING,
                                                      "host name not resolved")
    assert delivery.next_attempt_at > now
    assert connections == []


def test_a_redirect_is_not_followed(app, db, demo, star, service, ctx, connections):
    device, _ = subscribe(db, service, "lefevre")
    service.answer(device, 307, {"Location": f"{service.origin}/internal-admin"})
    row = row_for(jeanne_reports(db), db, "lefevre")

    counts = Relay.for_app(app).drain(utcnow())

    assert service.paths == [f"/push/{device.token}"]  # /internal-admin: never
    delivery = _delivery(db, row)
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.FAILED, 307)
    assert counts.sent == 0 and delivery.sent_at is None
    assert len(connections) == 1


def test_a_push_service_the_territory_names_is_reached_outside_testing_mode(
        app, db, demo, service, ctx, monkeypatch):
    dns = fake_dns(monkeypatch, {})
    subscribe(db, service, "lefevre")
    row = row_for(jeanne_reports(db), db, "lefevre")
    settings = replace(Settings.from_config(app.config), services=("127.0.0.1",),
                       allow_local_http=False)

    Relay(app, settings, app.extensions["carnet.vapid"]).drain(utcnow())

    assert _delivery(db, row).status == DeliveryStatus.SENT
    assert dns.asked == []


# -- the connection goes to the address checked ------------------------------------------


@pytest.fixture
def pinned(app, db, demo, ctx, monkeypatch, tmp_path):
    """A push service at https://push.example.net:<port> on this machine, whose name the
    app resolves to 127.0.0.1 — loopback addresses play public ones here. The real DNS does
    not know the name: if the HTTP client looked it up again, it would not connect."""
    monkeypatch.setitem(app.config, "PUSH_SERVICES", ("*",))
    real_public = endpoints.public
    monkeypatch.setattr(endpoints, "public",
                        lambda address: address.is_loopback or real_public(address))
    tls, certificate = tls_for("push.example.net", tmp_path)
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start(tls, "push.example.net")
    dns = fake_dns(monkeypatch, {"push.example.net": ["127.0.0.1"]})
    device = service.new_device()
    row = subscriptions.save(db, persona(db, "lefevre"), subscriptions.check(
        device.subscription_json(), ("*",)), ANDROID_CHROME)
    db.commit()
    monkeypatch.setenv("SSL_CERT_FILE", certificate)  # the service's own, for its name
    relay = Relay.for_app(app)
    yield relay, service, device, dns, row
    service.stop()
    assert service.problems == []


def test_the_worker_connects_to_the_address_it_checked(db, pinned, connections):
    relay, service, device, dns, _ = pinned
    row = row_for(jeanne_reports(db), db, "lefevre")

    relay.drain(utcnow())

    assert _delivery(db, row).status == DeliveryStatus.SENT
    port = service.server.server_port
    assert connections == [("127.0.0.1", port)]
    # The name travels in Host (and in TLS, whose certificate was verified for it).
    assert service.received[0].headers["host"] == f"push.example.net:{port}"
    assert dns.asked == ["push.example.net.", "push.example.net."]  # subscription, delivery


def test_the_next_checked_address_is_tried_when_one_does_not_answer(db, pinned, connections):
    relay, service, device, dns, _ = pinned
    dns.names["push.example.net"] = ["127.0.0.2", "127.0.0.1"]  # nothing on 127.0.0.2
    row = row_for(jeanne_reports(db), db, "lefevre")

    relay.drain(utcnow())

    assert _delivery(db, row).status == DeliveryStatus.SENT
    port = service.server.server_port
    assert connections == [("127.0.0.2", port), ("127.0.0.1", port)]


def test_a_name_rebound_to_an_internal_address_is_not_contacted(db, pinned, connections):
    relay, service, device, dns, _ = pinned
    dns.names["push.example.net"] = ["10.0.0.7"]  # the DNS answers otherwise since then
    row = row_for(jeanne_reports(db), db, "lefevre")

    relay.drain(utcnow())

    assert _delivery(db, row).status == DeliveryStatus.FAILED
    assert connections == [] and service.paths == []


def test_the_certificate_is_still_checked_for_the_name(db, pinned, tmp_path, monkeypatch):
    relay, service, device, dns, _ = pinned
    (tmp_path / "other").mkdir()
    _, other = tls_for("other.example", tmp_path / "other")
    monkeypatch.setenv("SSL_CERT_FILE", other)  # trusting another name's certificate
    row = row_for(jeanne_reports(db), db, "lefevre")

    relay.drain(utcnow())

    delivery = _delivery(db, row)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PENDING, "SSLError")
    assert service.received == []


def test_a_redirect_from_a_pinned_push_service_is_not_followed(db, pinned, connections):
    relay, service, device, dns, _ = pinned
    service.answer(device, 307, {"Location": "https://push.example.net/internal-admin"})
    row = row_for(jeanne_reports(db), db, "lefevre")

    relay.drain(utcnow())

    assert _delivery(db, row).status == DeliveryStatus.FAILED
    assert service.paths == [f"/push/{device.token}"]
    assert len(connections) == 1


# -- which addresses are public ----------------------------------------------------------


@pytest.mark.parametrize("address,expected", [
    ("93.184.215.14", True), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
    ("::ffff:93.184.215.14", True), ("2002:5db8:d70e::1", True),  # 6to4 of a public one
    ("127.0.0.1", False), ("10.0.0.1", False), ("172.16.0.1", False), ("192.168.0.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
    ("0.1.2.3", False), ("192.0.0.8", False), ("198.18.0.1", False), ("224.0.0.1", False),
    ("240.0.0.1", False), ("255.255.255.255", False), ("192.0.2.1", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("fec0::1", False),
    ("ff02::1", False), ("2001:db8::1", False), ("::ffff:10.0.0.1", False),
    ("::127.0.0.1", False), ("2002:7f00:1::", False), ("64:ff9b::7f00:1", False),
    ("64:ff9b:1::1", False), ("2001::1", False),
])
def test_public_addresses(address, expected):
    assert endpoints.public(ip_address(address)) is expected


def test_curl_opens_no_socket_to_an_address_the_worker_did_not_check(app, service,
                                                                     connections):
    """The second lock behind ``RESOLVE``: were curl to resolve a pinned message's name
    itself (here, a URL naming the host otherwise than its checked destination), the socket
    it asks for goes nowhere but to a checked address."""
    device = service.new_device()
    port = service.server.server_port
    message = transport.Message(
        f"http://localhost:{port}/push/{device.token}",
        endpoints.Destination("http", "push.example.net", port, ("127.0.0.2",)),
        device.subscription_json()["keys"], b'{"web_push":8030}', {"TTL": "60"})

    sender = _transport()
    sender.send([message]).result(timeout=30)
    sender.close()

    assert (message.answer, message.error.reason) == (None, "ConnectionError")
    assert ("127.0.0.1", port) in connections or ("::1", port) in connections
    assert service.received == []


def test_a_push_service_that_never_answers_is_given_up_on_and_tried_later(
        app, db, demo, service, ctx):
    """It accepts the connection, reads the message and says nothing: after the read
    timeout the delivery waits for a retry ("Timeout"), and the worker goes on."""
    silent = socket.create_server(("127.0.0.1", 0))
    _kept_before(db, service, f"http://127.0.0.1:{silent.getsockname()[1]}/push/silent")
    row = row_for(jeanne_reports(db), db, "lefevre")
    now = utcnow()
    settings = replace(Settings.from_config(app.config), timeout=(1.0, 1.0))

    try:
        Relay(app, settings, app.extensions["carnet.vapid"]).drain(now)
    finally:
        silent.close()

    delivery = _delivery(db, row)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PENDING, "Timeout")
    assert delivery.next_attempt_at > now


def test_through_a_proxy_named_in_the_environment_the_proxy_is_the_one_contacted(
        app, connections, monkeypatch):
    """With ``https_proxy`` set, the message goes to the proxy (which resolves the name),
    never straight to an address of the push service; ``no_proxy`` names a host reached
    directly, pinned as usual."""
    closed = socket.create_server(("127.0.0.1", 0))
    proxy_port = closed.getsockname()[1]
    closed.close()  # nothing answers there: refused, and tried later
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy_port}")
    monkeypatch.setenv("no_proxy", "direct.example.net")
    keys = PushService("unused").new_device().subscription_json()["keys"]
    proxied, direct = (transport.Message(
        f"https://{host}:4443/push/x", endpoints.Destination("https", host, 4443, (address,)),
        keys, b'{"web_push":8030}', {"TTL": "60"})
        for host, address in (("push.example.net", "127.0.0.2"),
                              ("direct.example.net", "127.0.0.3")))

    sender = _transport()
    sender.send([proxied, direct]).result(timeout=30)
    sender.close()

    assert sorted(connections) == [("127.0.0.1", proxy_port), ("127.0.0.3", 4443)]
    assert proxied.error.reason == direct.error.reason == "ConnectionError"
