"""The push worker against a real (local) push service: what arrives, and each answer's
consequence — sent, retried later, device forgotten, given up.

Dr Lefèvre (Jeanne's GP) has one device; Jeanne's symptom report is queued for her team.
The clock is moved by passing ``now``: no test sleeps.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import (
    ConsentEvent,
    ConsentKind,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    Patient,
    PushSubscription,
)
from app.push.payload import TOPIC_MAX
from app.push.worker import Relay
from app.types import utcnow

from .conftest import persona
from .push_actions import jeanne_reports, row_for, subscribe
from .push_service import PushService, message_id


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def service(app):
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    yield service
    service.stop()
    assert service.problems == []  # every request had a valid token, TTL, encoding, body


@pytest.fixture
def relay(app) -> Relay:
    return Relay.for_app(app, rng=random.Random(7))


@pytest.fixture
def lefevre_device(db, demo, service, ctx):
    persona(db, "lefevre").locale = "en"
    db.commit()
    return subscribe(db, service, "lefevre")[0]


def _delivery(db, notification: Notification) -> NotificationDelivery:
    db.expire_all()
    return db.exec(select(NotificationDelivery).where(
        NotificationDelivery.notification_id == notification.id)).one()


def test_lefevre_receives_jeannes_report_without_health_data(db, service, relay, lefevre_device):
    row = row_for(jeanne_reports(db, urgent=True), db, "lefevre")
    patient_id = row.patient_id

    counts = relay.drain(utcnow())

    assert counts.sent == 1
    url = f"/carnet/{patient_id}/symptoms"
    assert service.payloads(lefevre_device) == [{"web_push": 8030, "notification": {
        "title": "New update in Jeanne M.'s carnet", "body": "Please open Carnet soon.",
        "navigate": f"http://localhost:5000{url}", "tag": service.received[0].headers["topic"],
        "lang": "en", "dir": "ltr", "data": {"id": row.id, "url": url},
    }}]
    db.expire_all()
    assert db.get(Notification, row.id).status == DeliveryStatus.SENT
    assert db.get(PushSubscription, _delivery(db, row).subscription_id).last_success_at


def test_the_payload_is_in_the_recipients_language(db, service, relay, lefevre_device):
    jeanne = persona(db, "jeanne")
    jeanne.locale = "en"
    db.commit()
    jeanne_device = subscribe(db, service, "jeanne")[0]
    patient = db.exec(select(Patient).where(Patient.account_id == jeanne.id)).one()
    from app.models import NotificationKind
    from app.notifications import notify

    rows = notify(db, patient, NotificationKind.PLAN_CHANGED, "plan", persona(db, "lefevre"),
                  f"/carnet/{patient.id}/plan")
    db.commit()
    relay.drain(utcnow())

    # (The demo's appointment tomorrow may be reminded too, depending on the hour.)
    [payload] = [p for p in service.payloads(jeanne_device)
                 if p["notification"]["data"]["id"] == row_for(rows, db, "jeanne").id]
    shown = payload["notification"]
    assert (shown["title"], shown["body"]) == ("Your care plan changed", "Open Carnet to see it.")


def test_headers_say_ttl_topic_and_urgency(db, service, relay, lefevre_device):
    jeanne_reports(db, urgent=True)
    jeanne_reports(db, urgent=False)
    relay.drain(utcnow())

    by_body = {r.payload["notification"]["body"]: r.headers for r in service.received}
    urgent, normal = by_body["Please open Carnet soon."], by_body["Open Carnet to see it."]
    assert urgent["ttl"] == normal["ttl"] == "86400"
    assert urgent["urgency"] == "high" and normal["urgency"] == "normal"
    # The same kind about the same carnet: the newer one replaces the older on the device,
    # and the push service learns nothing from the topic (a digest, not "symptom_report").
    assert urgent["topic"] == normal["topic"]
    assert len(urgent["topic"]) <= TOPIC_MAX and "symptom" not in urgent["topic"]
    assert set(urgent["topic"]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_one_vapid_token_per_push_service_until_it_nears_expiry(db, service, lefevre_device,
                                                                 app):
    from app.push.vapid import Signer

    keys = app.extensions["carnet.vapid"].vapid
    relay = Relay.for_app(app)
    relay.signer = Signer(keys, "mailto:carnet@localhost")
    for _ in range(3):
        jeanne_reports(db)
    now = utcnow()
    relay.drain(now)
    assert relay.signer.signed == 1
    assert len({r.headers["authorization"] for r in service.received}) == 1

    jeanne_reports(db)
    relay.drain(now + timedelta(hours=11, minutes=30))  # the 12-hour token is nearly spent
    assert relay.signer.signed == 2


def test_a_device_the_push_service_says_is_gone_is_forgotten(db, service, relay,
                                                            lefevre_device):
    service.answer(lefevre_device, 410)
    row = row_for(jeanne_reports(db), db, "lefevre")

    counts = relay.drain(utcnow())

    assert counts.gone == 1
    assert db.exec(select(PushSubscription).where(
        PushSubscription.account_id == row.account_id)).all() == []
    delivery = _delivery(db, row)
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.DROPPED, 410)
    assert db.get(Notification, row.id).status == DeliveryStatus.DROPPED


@pytest.mark.db_engine
def test_429_is_retried_no_sooner_than_retry_after(db, service, relay, lefevre_device):
    service.answer(lefevre_device, 429, {"Retry-After": "2"})
    row = row_for(jeanne_reports(db), db, "lefevre")
    start = utcnow()

    relay.drain(start)
    delivery = _delivery(db, row)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at >= start + timedelta(seconds=2)

    relay.drain(start + timedelta(seconds=1.9))
    assert service.payloads() == []

    relay.drain(delivery.next_attempt_at)
    assert [message_id(p) for p in service.payloads()] == [row.id]
    assert _delivery(db, row).status == DeliveryStatus.SENT


@pytest.mark.db_engine
def test_500_is_retried_with_growing_delays_then_given_up(db, service, relay, lefevre_device):
    tries = relay.settings.max_attempts
    for _ in range(tries):
        service.answer(lefevre_device, 500)
    row = row_for(jeanne_reports(db), db, "lefevre")
    now = utcnow()
    delays = []
    for _ in range(tries):
        relay.drain(now)
        delivery = _delivery(db, row)
        if delivery.status != DeliveryStatus.PENDING:
            break
        delays.append((delivery.next_attempt_at - now).total_seconds())
        now = delivery.next_attempt_at

    assert len(service.received) == tries
    assert len(delays) == tries - 1
    assert all(later >= earlier for earlier, later in zip(delays, delays[1:], strict=False))
    assert delays[-1] > delays[0] * 8
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, tries)
    assert db.get(Notification, row.id).status == DeliveryStatus.FAILED


@pytest.mark.parametrize("status", [400, 403, 413])
def test_refusals_are_logged_and_not_retried(db, service, relay, lefevre_device, caplog,
                                             status):
    service.answer(lefevre_device, status)
    row = row_for(jeanne_reports(db), db, "lefevre")

    with caplog.at_level(logging.WARNING, logger="carnet.push"):
        relay.drain(utcnow())
        relay.drain(utcnow() + timedelta(days=1))

    assert len(service.received) == 1
    assert _delivery(db, row).status == DeliveryStatus.FAILED
    [record] = caplog.records
    assert f"HTTP {status}" in record.getMessage()
    # Neither the device's address (a capability) nor anything of the carnet is logged.
    assert lefevre_device.token not in record.getMessage()
    assert "symptom" not in record.getMessage() and "Jeanne" not in record.getMessage()


def test_an_unreachable_push_service_is_retried(db, service, relay, lefevre_device):
    device = db.exec(select(PushSubscription)).one()
    device.endpoint = "http://127.0.0.1:9/push/nobody-listens-here"  # discard port: refused
    db.commit()
    row = row_for(jeanne_reports(db), db, "lefevre")

    counts = relay.drain(utcnow())

    delivery = _delivery(db, row)
    assert counts.retried == 1 and delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == "ConnectionError"


def test_a_consent_revoked_through_the_ledger_stops_the_waiting_row(db, service, relay,
                                                                   lefevre_device):
    from app.consent.ledger import set_scope

    rows = jeanne_reports(db)
    jeanne = persona(db, "jeanne")
    patient = db.exec(select(Patient).where(Patient.account_id == jeanne.id)).one()
    set_scope(db, patient, jeanne, persona(db, "lefevre"), "symptoms", visible=False)
    db.commit()  # the ledger only adds: its request commits

    relay.drain(utcnow())

    # He hears that sharing changed (no more), never of the report.
    assert [p["notification"]["title"] for p in service.payloads()] == [
        "Sharing changed for Jeanne M.'s carnet"]
    assert db.get(Notification, row_for(rows, db, "lefevre").id).status == DeliveryStatus.DROPPED


def _oppose_behind_the_ledgers_back(db, name: str, section: str) -> None:
    """A decision the outbox was not told about: only the policy at send time can stop it."""
    jeanne = persona(db, "jeanne")
    patient = db.exec(select(Patient).where(Patient.account_id == jeanne.id)).one()
    db.add(ConsentEvent(patient_id=patient.id, kind=ConsentKind.OPPOSE,
                        grantee_account_id=persona(db, name).id, scopes=[section],
                        decided_by_id=jeanne.id))
    db.commit()


def test_the_policy_is_asked_again_before_the_fan_out(db, service, relay, lefevre_device):
    row = row_for(jeanne_reports(db), db, "lefevre")
    _oppose_behind_the_ledgers_back(db, "lefevre", "symptoms")

    relay.drain(utcnow())

    assert service.payloads() == []
    db.expire_all()
    assert db.get(Notification, row.id).status == DeliveryStatus.DROPPED


def test_the_policy_is_asked_again_before_a_retry(db, service, relay, lefevre_device):
    service.answer(lefevre_device, 503)
    row = row_for(jeanne_reports(db), db, "lefevre")
    now = utcnow()
    relay.drain(now)
    _oppose_behind_the_ledgers_back(db, "lefevre", "symptoms")

    relay.drain(now + timedelta(hours=1))

    assert service.payloads() == []
    assert _delivery(db, row).status == DeliveryStatus.DROPPED
    assert db.get(Notification, row.id).status == DeliveryStatus.DROPPED


def test_each_device_gets_its_own_delivery(db, service, relay, lefevre_device):
    tablet = subscribe(db, service, "lefevre")[0]
    row = row_for(jeanne_reports(db), db, "lefevre")

    relay.drain(utcnow())
    relay.drain(utcnow())  # nothing left: nothing sent twice

    assert [message_id(p) for p in service.payloads(lefevre_device)] == [row.id]
    assert [message_id(p) for p in service.payloads(tablet)] == [row.id]
    assert len(db.exec(select(NotificationDelivery).where(
        NotificationDelivery.notification_id == row.id)).all()) == 2


def test_a_person_without_a_device_is_not_waited_for(db, service, relay, lefevre_device):
    rows = jeanne_reports(db)
    amina = row_for(rows, db, "amina")

    relay.drain(utcnow())

    db.expire_all()
    assert db.get(Notification, amina.id).status == DeliveryStatus.DROPPED
    assert db.get(Notification, amina.id).last_error == "no device"


@pytest.mark.db_engine
def test_the_drain_command_sends_everything_due_and_exits(app, db, service, lefevre_device):
    jeanne_reports(db)
    result = app.test_cli_runner().invoke(args=["worker", "--drain"])
    assert result.exit_code == 0, result.output
    assert "sent 1," in result.output
    assert len(service.payloads(lefevre_device)) == 1


def test_the_worker_keeps_running_until_stopped(app, db, service, relay, lefevre_device):
    import threading

    stop = threading.Event()
    worker = threading.Thread(target=relay.run_forever, args=(stop,), kwargs={"poll": 0.05})
    worker.start()
    try:
        jeanne_reports(db)  # written while the worker is already waiting
        for _ in range(200):
            if service.payloads(lefevre_device):
                break
            stop.wait(0.05)
    finally:
        stop.set()
        worker.join()
    assert len(service.payloads(lefevre_device)) == 1


def test_removing_the_only_device_settles_what_was_waiting_for_it(db, service, relay,
                                                                 lefevre_device):
    from app.push.subscriptions import forget

    service.answer(lefevre_device, 503)
    row = row_for(jeanne_reports(db), db, "lefevre")
    relay.drain(utcnow())
    forget(db, db.exec(select(PushSubscription)).one())
    db.commit()

    db.expire_all()
    assert db.get(Notification, row.id).status == DeliveryStatus.DROPPED
    assert _delivery(db, row).subscription_id is None



def test_keys_that_cannot_be_encrypted_for_fail_that_delivery_only(db, service, relay,
                                                                   lefevre_device):
    device = db.exec(select(PushSubscription)).one()
    device.p256dh = "AAAA"  # not a P-256 point: no message can be encrypted for it
    db.commit()
    row = row_for(jeanne_reports(db), db, "lefevre")

    counts = relay.drain(utcnow())

    delivery = _delivery(db, row)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "unusable keys")
    assert counts.failed == 1 and service.received == []
