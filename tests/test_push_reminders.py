"""The appointment reminder: a job of the worker, the day before, written once.

Jeanne has a follow-up with Dr Lefèvre on Friday 12 March 2027 at 10:30 (Paris). Claire,
her daughter, may see her appointments; Lucas, the social worker, may too, but reminders
are for the patient and her caregivers. The clock is passed in: nothing sleeps.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from app.carnet import appointments
from app.models import (
    Appointment,
    AppointmentStatus,
    DeliveryStatus,
    Notification,
    NotificationKind,
    Patient,
)
from app.push import payload as payloads
from app.push.scheduled import reminder_due, send_reminders
from app.push.worker import Relay

from .carnet_actions import carnet_id
from .conftest import persona

# Scheduled jobs: time windows in SQL, two workers at once.
pytestmark = pytest.mark.db_engine

PARIS = ZoneInfo("Europe/Paris")


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


STARTS = paris(12, 10, 30)
DAY_BEFORE = paris(11, 10)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def appointment(db, demo, ctx) -> Appointment:
    row = Appointment(patient_id=carnet_id(db, "jeanne"), title="Consultation de suivi",
                      starts_at=STARTS, ends_at=STARTS + timedelta(minutes=20),
                      uid="reminder-test@carnet", created_by_id=persona(db, "lefevre").id)
    db.add(row)
    db.commit()
    return row


def reminders(db) -> list[Notification]:
    db.expire_all()
    return list(db.exec(select(Notification).where(
        Notification.kind == NotificationKind.APPOINTMENT_REMINDER)).all())


def people(db, rows) -> set[str]:
    names = {persona(db, name).id: name for name in ("jeanne", "claire", "lucas", "lefevre")}
    return {names.get(row.account_id, row.account_id) for row in rows}


@pytest.mark.parametrize(("now", "due"), [
    (paris(10, 10), False),  # two days before
    (paris(11, 9, 59), False),  # the day before, too early
    (paris(11, 10), True),
    (paris(11, 23, 59), True),  # added late in the evening: still "tomorrow"
    (paris(12, 0), False),  # the day itself: "tomorrow" would be wrong
    (paris(12, 10), False),
])
def test_a_reminder_is_due_the_day_before_from_ten(now, due):
    assert reminder_due(STARTS, now) is due


def test_jeanne_and_claire_are_reminded_the_day_before(db, appointment):
    written = send_reminders(db, DAY_BEFORE)

    rows = reminders(db)
    assert written == len(rows) == 2
    assert people(db, rows) == {"jeanne", "claire"}  # not Lucas, not the team
    for row in rows:
        assert row.url == f"/carnet/{appointment.patient_id}/appointments/{appointment.id}"
        assert row.expires_at == STARTS and row.not_before == DAY_BEFORE
        assert row.section == "appointments" and not row.urgent
        # The push service keeps it until the appointment starts, no longer.
        assert payloads.ttl(row, DAY_BEFORE, 86400) == int((STARTS - DAY_BEFORE).total_seconds())
    db.refresh(appointment)
    assert appointment.reminder_sent_at == DAY_BEFORE


def test_nothing_is_written_too_early(db, appointment):
    assert send_reminders(db, paris(11, 9, 59)) == 0
    assert send_reminders(db, paris(10, 12)) == 0
    assert reminders(db) == []


def test_a_reminder_is_written_once(db, appointment):
    send_reminders(db, DAY_BEFORE)
    assert send_reminders(db, DAY_BEFORE + timedelta(hours=1)) == 0
    assert len(reminders(db)) == 2


def test_two_workers_at_once_write_it_once(app, engine, db, appointment):
    start = threading.Barrier(2)
    written, errors = [], []

    def worker() -> None:
        try:
            with app.app_context(), Session(engine) as session:
                start.wait()
                written.append(send_reminders(session, DAY_BEFORE))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(written) == [0, 2]
    assert len(reminders(db)) == 2


def test_a_cancelled_appointment_gets_no_reminder(db, appointment):
    appointment.status = AppointmentStatus.CANCELLED
    db.commit()
    assert send_reminders(db, DAY_BEFORE) == 0
    assert reminders(db) == []


def test_cancelling_drops_a_reminder_not_yet_sent(db, appointment):
    send_reminders(db, DAY_BEFORE)
    patient = db.get(Patient, appointment.patient_id)
    appointments.cancel(db, patient, appointment, persona(db, "lefevre"), appointment.version,
                        "Le médecin est absent")

    assert {row.status for row in reminders(db)} == {DeliveryStatus.DROPPED}


def test_a_moved_appointment_is_reminded_again_before_its_new_date(db, appointment):
    send_reminders(db, DAY_BEFORE)
    patient = db.get(Patient, appointment.patient_id)
    appointments.update(db, patient, appointment, persona(db, "lefevre"), appointment.version,
                        {"starts_at": paris(19, 10, 30), "ends_at": paris(19, 10, 50)})

    assert {row.status for row in reminders(db)} == {DeliveryStatus.DROPPED}
    db.refresh(appointment)
    assert appointment.reminder_sent_at is None
    assert send_reminders(db, paris(18, 10)) == 2


def test_the_worker_writes_reminders_as_it_drains(app, db, appointment):
    counts = Relay.for_app(app).drain(DAY_BEFORE)

    assert counts.reminders == 2
    # Nobody in the demo has a device here: written, then dropped for want of one.
    assert {row.last_error for row in reminders(db)} == {"no device"}
