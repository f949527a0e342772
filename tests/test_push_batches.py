"""A worker sends a batch concurrently, a bounded number at a time to each push service, in
a number of SQL statements that does not grow with the batch; a push service that answers
429 with Retry-After is left alone until then, and only that one."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.models import DeliveryStatus, Notification, NotificationDelivery, NotificationKind
from app.push.worker import Relay, Settings
from app.types import utcnow

from .carnet_actions import carnet_id
from .conftest import persona
from .push_actions import notes_for_lefevre, subscribe
from .push_service import PushService, message_id


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


class InFlight:
    """The push service's gate: each message stays a moment, counting how many are there
    at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = self.most = 0

    def __call__(self, _payload) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.05)  # the network's latency, so that sends overlap (not a speed test)
        with self.lock:
            self.now -= 1


def test_a_batch_goes_out_concurrently_but_never_more_than_allowed_per_service(
        app, db, demo, ctx):
    gate = InFlight()
    service = PushService(app.config["VAPID_PUBLIC_KEY"], gate=gate).start()
    try:
        _quiet_outbox(db)
        expected = notes_for_lefevre(app, db, service, 12)
        settings = replace(Settings.from_config(app.config), concurrency=8, per_service=3)
        counts = Relay(app, settings, app.extensions["carnet.vapid"]).drain(utcnow())
    finally:
        service.stop()
    assert counts.sent == 12
    assert {message_id(p) for p in service.payloads()} == expected
    assert gate.most == 3  # several at once, and no more than the service's share
    assert service.problems == []


def _statements(engine, relay: Relay) -> int:
    seen = []

    def listener(*_args):
        seen.append(1)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        relay.drain(utcnow())
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


@pytest.mark.db_engine
def test_a_batch_costs_as_many_sql_statements_for_40_notifications_as_for_5(
        app, db, demo, engine, ctx):
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    try:
        relay = Relay.for_app(app, rng=random.Random(3))
        _quiet_outbox(db)
        notes_for_lefevre(app, db, service, 5)
        relay.drain(utcnow())  # the demo's own due notifications, and a first batch
        lefevre = persona(db, "lefevre")
        patient_id = db.exec(select(Notification.patient_id).where(
            Notification.account_id == lefevre.id)).first()

        def queue(count: int) -> None:
            db.add_all(Notification(account_id=lefevre.id, patient_id=patient_id,
                                    section="notes", kind=NotificationKind.NOTE_ADDED, url="/")
                       for _ in range(count))
            db.commit()

        queue(5)
        with_5 = _statements(engine, relay)
        queue(40)
        with_40 = _statements(engine, relay)
    finally:
        service.stop()
    assert with_40 == with_5
    assert len(service.payloads()) == 50


def test_a_429_with_retry_after_slows_that_push_service_only(app, db, demo, ctx):
    busy = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    free = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    try:
        _quiet_outbox(db)
        lefevre_phone, phone_row = subscribe(db, busy, "lefevre")
        lefevre_laptop, _row = subscribe(db, free, "lefevre")
        busy.answer(lefevre_phone, 429, {"Retry-After": "120"})
        relay = Relay.for_app(app, rng=random.Random(11))
        first = notes_for_lefevre_on(db, 1)
        now = utcnow()
        relay.drain(now)
        assert [message_id(p) for p in free.payloads(lefevre_laptop)] == first
        assert busy.payloads(lefevre_phone) == [] and len(busy.received) == 1  # the 429

        later = notes_for_lefevre_on(db, 3)
        relay.drain(now + timedelta(seconds=10))
        assert sorted(message_id(p) for p in free.payloads(lefevre_laptop)) == first + later
        assert len(busy.received) == 1  # not asked again before it said
        waiting = _deliveries(db, phone_row, later)
        assert {d.status for d in waiting} == {DeliveryStatus.PENDING}
        assert all(d.attempts == 0 and d.next_attempt_at >= now + timedelta(seconds=120)
                   for d in waiting)  # held, not failed: no attempt spent

        relay.drain(now + timedelta(seconds=125))
        assert sorted(message_id(p) for p in busy.payloads(lefevre_phone)) == first + later
        assert busy.problems == free.problems == []
    finally:
        busy.stop()
        free.stop()


def notes_for_lefevre_on(db, count: int) -> list[int]:
    """``count`` new notes for Dr Lefèvre (his devices are already kept); their ids."""
    lefevre = persona(db, "lefevre")
    rows = [Notification(account_id=lefevre.id, patient_id=carnet_id(db, "jeanne"),
                         section="notes",
                         kind=NotificationKind.NOTE_ADDED, url="/") for _ in range(count)]
    db.add_all(rows)
    db.commit()
    return [row.id for row in rows]


def _deliveries(db, device, ids: list[int]) -> list[NotificationDelivery]:
    db.expire_all()
    return list(db.exec(select(NotificationDelivery).where(
        NotificationDelivery.subscription_id == device.id,
        NotificationDelivery.notification_id.in_(ids))).all())


def _quiet_outbox(db) -> None:
    """Nothing else due in the demo's outbox: the test's own notifications only."""
    db.exec(sa.update(Notification).where(Notification.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.DROPPED))
    db.commit()
