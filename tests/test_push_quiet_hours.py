"""Quiet hours and the daily digest, through the worker to our local push service.

The clock is frozen by passing ``now`` to the worker. The instants are the next ones
after the real time (tonight at 23:00, tomorrow at 07:00, the next 18:00) because the
push service checks that each VAPID token expires in the future, as a real one does.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.models import (
    DeliveryStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    Patient,
)
from app.notifications import notify
from app.push import preferences
from app.push.scheduled import FOLDED
from app.push.worker import Relay
from app.types import utcnow

from .carnet_actions import carnet_id
from .conftest import persona
from .push_actions import jeanne_reports, row_for, subscribe
from .push_service import PushService, message_id

# Held notifications and the digest: time windows in SQL, two workers.
pytestmark = pytest.mark.db_engine

PARIS = ZoneInfo("Europe/Paris")


def next_at(hour: int, after: datetime | None = None) -> datetime:
    """The next time the Paris wall clock shows ``hour``:00 after ``after`` (now)."""
    after = after or utcnow()
    day = after.astimezone(PARIS).date()
    while (at := datetime.combine(day, time(hour), PARIS).astimezone(UTC)) <= after:
        day += timedelta(days=1)
    return at


@pytest.fixture
def service(app):
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    yield service
    service.stop()
    assert service.problems == []


@pytest.fixture
def relay(app) -> Relay:
    return Relay.for_app(app, rng=random.Random(11))


@pytest.fixture
def devices(app, db, demo, service):
    """Dr Lefèvre's phone and Jeanne's (in English), within the app (the policy needs it)."""
    for name in ("lefevre", "jeanne"):
        persona(db, name).locale = "en"
    db.commit()
    with app.app_context():
        yield {name: subscribe(db, service, name)[0] for name in ("lefevre", "jeanne")}


def choose(db, name: str, **values) -> NotificationPreference:
    preference = NotificationPreference(account_id=persona(db, name).id, **values)
    db.add(preference)
    db.commit()
    return preference


NIGHT = {"quiet_start": time(22), "quiet_end": time(7)}


def _status(db, row: Notification) -> Notification:
    db.expire_all()
    return db.get(Notification, row.id)


def _ids(service, device) -> list[int]:
    return [message_id(payload) for payload in service.payloads(device)]


def test_a_report_waits_for_the_end_of_lefevres_quiet_hours(db, service, relay, devices):
    choose(db, "lefevre", **NIGHT)
    row = row_for(jeanne_reports(db), db, "lefevre")
    tonight = next_at(23)
    morning = next_at(7, tonight)

    relay.drain(tonight)
    assert _ids(service, devices["lefevre"]) == []
    assert _status(db, row).not_before == morning

    relay.drain(morning - timedelta(seconds=1))
    assert _ids(service, devices["lefevre"]) == []

    relay.drain(morning)
    assert _ids(service, devices["lefevre"]) == [row.id]


def test_outside_quiet_hours_a_report_goes_at_once(db, service, relay, devices):
    choose(db, "lefevre", **NIGHT)
    row = row_for(jeanne_reports(db), db, "lefevre")

    relay.drain(next_at(12))

    assert _ids(service, devices["lefevre"]) == [row.id]


def test_an_urgent_report_reaches_lefevre_at_night_as_he_chose(db, service, relay, devices):
    choose(db, "lefevre", **NIGHT, urgent_during_quiet=True)
    row = row_for(jeanne_reports(db, urgent=True), db, "lefevre")

    relay.drain(next_at(23))

    assert _ids(service, devices["lefevre"]) == [row.id]
    [his] = [r for r in service.received if r.token == devices["lefevre"].token]
    assert his.headers["urgency"] == "high"


def test_an_urgent_report_waits_if_lefevre_chose_so(db, service, relay, devices):
    choose(db, "lefevre", **NIGHT, urgent_during_quiet=False)
    row = row_for(jeanne_reports(db, urgent=True), db, "lefevre")
    tonight = next_at(23)

    relay.drain(tonight)
    assert _ids(service, devices["lefevre"]) == []

    relay.drain(next_at(7, tonight))
    assert _ids(service, devices["lefevre"]) == [row.id]


def test_jeannes_quiet_hours_hold_even_an_urgent_notification(db, service, relay, devices):
    # Patients and caregivers are not woken: see app/push/preferences.py for why.
    choose(db, "jeanne", **NIGHT, urgent_during_quiet=True)
    patient_id = carnet_id(db, "jeanne")
    rows = notify(db, db.get(Patient, patient_id), NotificationKind.NOTE_ADDED, "notes",
                  persona(db, "lefevre"), f"/carnet/{patient_id}/notes", urgent=True)
    db.commit()
    row = row_for(rows, db, "jeanne")
    tonight = next_at(23)

    relay.drain(tonight)
    assert row.id not in _ids(service, devices["jeanne"])

    relay.drain(next_at(7, tonight))
    assert row.id in _ids(service, devices["jeanne"])


def test_a_kind_lefevre_does_not_want_is_dropped(db, service, relay, devices):
    choose(db, "lefevre", muted_kinds=["symptom_report"])
    row = row_for(jeanne_reports(db, urgent=True), db, "lefevre")

    relay.drain(utcnow())

    assert _ids(service, devices["lefevre"]) == []
    assert (_status(db, row).status, _status(db, row).last_error) == (DeliveryStatus.DROPPED,
                                                                      "not wanted")


def test_the_daily_digest_folds_the_days_notifications_into_one(db, service, relay, devices):
    choose(db, "lefevre", daily_digest=True, last_digest_at=utcnow())
    quiet = [row_for(jeanne_reports(db), db, "lefevre") for _ in range(3)]
    urgent = row_for(jeanne_reports(db, urgent=True), db, "lefevre")
    now = utcnow()
    evening = preferences.next_digest_time(now)

    counts = relay.drain(now)
    assert _ids(service, devices["lefevre"]) == [urgent.id]  # urgent: at once
    assert counts.held == 3
    assert {_status(db, row).not_before for row in quiet} == {evening}

    counts = relay.drain(evening)

    assert (counts.digests, counts.folded) == (1, 3)
    [message] = service.payloads(devices["lefevre"])[1:]
    digest = message["notification"]
    assert (digest["title"], digest["body"]) == (
        "Your day in Carnet", "There is news in Carnet since yesterday. Open Carnet to see it.")
    assert digest["data"]["url"] == "/"
    for row in quiet:
        assert (_status(db, row).status, _status(db, row).last_error) == (
            DeliveryStatus.DROPPED, FOLDED)
    stored = _status(db, Notification(id=message_id(message)))
    assert (stored.kind, stored.status) == (NotificationKind.DIGEST, DeliveryStatus.SENT)

    # One digest a day: later that evening, nothing new is made.
    jeanne_reports(db)
    counts = relay.drain(evening + timedelta(hours=1))
    assert counts.digests == 0 and counts.held == 1
    assert len(service.payloads(devices["lefevre"])) == 2


def test_no_digest_when_nothing_waited(db, service, relay, devices):
    now = utcnow()
    choose(db, "lefevre", daily_digest=True, last_digest_at=now)

    counts = relay.drain(preferences.next_digest_time(now))

    assert counts.digests == 0
    assert _ids(service, devices["lefevre"]) == []
    assert db.exec(select(Notification).where(
        Notification.kind == NotificationKind.DIGEST)).all() == []


def test_two_workers_make_one_digest(app, db, service, devices):
    choose(db, "lefevre", daily_digest=True, last_digest_at=utcnow())
    jeanne_reports(db)
    now = utcnow()
    first, second = Relay.for_app(app), Relay.for_app(app)
    first.drain(now)
    evening = preferences.next_digest_time(now)

    a, b = first.run_once(evening), second.run_once(evening)

    assert a.digests + b.digests == 1
    assert len(db.exec(select(Notification).where(
        Notification.kind == NotificationKind.DIGEST)).all()) == 1
