"""The worker's scheduled jobs: tomorrow's appointment reminders and the daily digests.

Each pass of each worker looks for what is due; a compare-and-set on a column
(``Appointment.reminder_sent_at``, ``NotificationPreference.last_digest_at``) in the same
transaction as the notifications it writes lets one worker only do each one, however
many run: on PostgreSQL the second ``UPDATE`` waits for the first one's row lock and then
finds the condition false; on SQLite writers take turns. A crash before the commit leaves
neither the mark nor the notifications, so the next pass does it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ..models import (
    Appointment,
    AppointmentStatus,
    DeliveryStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    Patient,
)
from ..notifications import notify
from .preferences import PARIS, _at, last_digest_time, next_digest_time

# Reminders go out from 10:00 (Paris) the day before: in the day, never at night, and
# before the evening digest, which folds them for those who chose it.
REMINDER_TIME = time(10, 0)
FOLDED = "folded into a digest"


@dataclass
class Done:
    reminders: int = 0  # notifications written
    digests: int = 0
    folded: int = 0


def reminder_due(starts_at: datetime, now: datetime) -> bool:
    """True on the day before the appointment (Paris), from ``REMINDER_TIME`` to midnight.

    An appointment added later that day is reminded at once; one added on the day itself
    gets none (the reminder says "tomorrow").
    """
    day = starts_at.astimezone(PARIS).date()
    return _at(day - timedelta(days=1), REMINDER_TIME) <= now < _at(day, time(0, 0))


def send_reminders(db: Session, now: datetime) -> int:
    """One APPOINTMENT_REMINDER per person allowed to see the appointments (the patient,
    the caregivers so allowed), once per appointment, alive until it starts."""
    candidates = db.exec(select(Appointment.id, Appointment.starts_at).where(
        Appointment.status == AppointmentStatus.SCHEDULED,
        col(Appointment.reminder_sent_at).is_(None),
        col(Appointment.starts_at) > now,
        col(Appointment.starts_at) <= now + timedelta(days=2),
    ).order_by(col(Appointment.starts_at))).all()
    db.commit()  # the read ends before the writes, as in claim()
    written = 0
    for appointment_id, starts_at in candidates:
        if not reminder_due(starts_at, now):
            continue
        taken = db.exec(sa.update(Appointment).where(
            Appointment.id == appointment_id, col(Appointment.reminder_sent_at).is_(None),
            Appointment.status == AppointmentStatus.SCHEDULED,
        ).values(reminder_sent_at=now))
        if taken.rowcount != 1:
            db.rollback()  # another worker did it, or it was cancelled meanwhile
            continue
        appointment = db.get(Appointment, appointment_id)
        patient = db.get(Patient, appointment.patient_id)
        rows = notify(db, patient, NotificationKind.APPOINTMENT_REMINDER, "appointments", None,
                      url=f"/carnet/{patient.id}/appointments/{appointment.id}",
                      expires_at=appointment.starts_at, now=now)
        db.commit()
        written += len(rows)
    return written


def send_digests(db: Session, now: datetime) -> tuple[int, int]:
    """For each account with the daily digest whose digest time has come: fold its waiting
    non-urgent notifications into one DIGEST notification. (digests made, rows folded)"""
    since = last_digest_time(now)
    due = [NotificationPreference.daily_digest == sa.true(),
           sa.or_(col(NotificationPreference.last_digest_at).is_(None),
                  col(NotificationPreference.last_digest_at) < since)]
    candidates = db.exec(select(NotificationPreference.id, NotificationPreference.account_id,
                                NotificationPreference.muted_kinds).where(*due)).all()
    db.commit()
    digests = folded = 0
    for preference_id, account_id, muted in candidates:
        taken = db.exec(sa.update(NotificationPreference).where(
            NotificationPreference.id == preference_id, *due).values(last_digest_at=now))
        if taken.rowcount != 1:
            db.rollback()
            continue
        count = db.exec(sa.update(Notification).where(
            Notification.account_id == account_id,
            Notification.status == DeliveryStatus.PENDING,
            Notification.attempts == 0,
            Notification.urgent == sa.false(),
            Notification.kind != NotificationKind.DIGEST,
            col(Notification.kind).not_in(list(muted or [])),
            col(Notification.not_before) <= now,
            # A row in another worker's fan-out right now is left to it.
            sa.or_(col(Notification.lease_until).is_(None), col(Notification.lease_until) < now),
        ).values(status=DeliveryStatus.DROPPED, last_error=FOLDED,
                 lease_until=None)).rowcount
        if count:
            db.add(Notification(account_id=account_id, kind=NotificationKind.DIGEST,
                                topic="digest", url="/", created_at=now, not_before=now,
                                expires_at=next_digest_time(now)))
            digests += 1
            folded += count
        db.commit()
    return digests, folded


def run(db: Session, now: datetime) -> Done:
    """Every scheduled job, once."""
    digests, folded = send_digests(db, now)
    return Done(reminders=send_reminders(db, now), digests=digests, folded=folded)
