"""The worker's scheduled jobs: tomorrow's appointment reminders, the daily digests and the
professionals' weekly summaries.

Each pass of each worker looks for what is due; a compare-and-set on a column
(``Appointment.reminder_sent_at``, ``NotificationPreference.last_digest_at`` and
``last_weekly_at``) in the same transaction as the notifications it writes lets one worker
only do each one, however many run: on PostgreSQL the second ``UPDATE`` waits for the first
one's row lock and then finds the condition false; on SQLite writers take turns. A crash
before the commit leaves neither the mark nor the notifications, so the next pass does it
again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from .. import policy
from ..carnet import my_week
from ..models import (
    Account,
    Appointment,
    AppointmentStatus,
    DeliveryStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    Patient,
    Professional,
    Role,
)
from ..notifications import notify
from .preferences import (
    PARIS,
    SUMMARIES,
    _at,
    last_digest_time,
    last_weekly_time,
    next_digest_time,
    next_weekly_time,
)

# Reminders go out from 10:00 (Paris) the day before: in the day, never at night, and
# before the evening digest, which folds them for those who chose it.
REMINDER_TIME = time(10, 0)
FOLDED = "folded into a digest"
WEEKLY_URL = "/day/week"  # the carnet blueprint's my_week (no request here for url_for)


@dataclass
class Done:
    reminders: int = 0  # notifications written
    digests: int = 0
    folded: int = 0
    weekly: int = 0  # weekly summaries written


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


def _not_made_since(chosen, made_at, since: datetime) -> list:
    """Conditions on NotificationPreference: ``chosen`` is on, and what it chooses was last
    made (``made_at``) before ``since``, or never."""
    return [chosen == sa.true(), sa.or_(col(made_at).is_(None), col(made_at) < since)]


def _claimed(db: Session, candidates, due: list, mark: dict) -> Iterator[list]:
    """The rest of each candidate row (a preference's id first) whose preference this worker
    marks with ``mark`` while ``due`` still holds: the compare-and-set, so that no other
    worker does the same. The caller commits the mark with what it writes."""
    for preference_id, *rest in candidates:
        taken = db.exec(sa.update(NotificationPreference).where(
            NotificationPreference.id == preference_id, *due).values(**mark))
        if taken.rowcount != 1:
            db.rollback()  # another worker did it meanwhile
            continue
        yield rest


def send_digests(db: Session, now: datetime) -> tuple[int, int]:
    """For each account with the daily digest whose digest time has come: fold its waiting
    non-urgent notifications into one DIGEST notification. (digests made, rows folded)"""
    due = _not_made_since(NotificationPreference.daily_digest,
                          NotificationPreference.last_digest_at, last_digest_time(now))
    candidates = db.exec(select(NotificationPreference.id, NotificationPreference.account_id,
                                NotificationPreference.muted_kinds).where(*due)).all()
    db.commit()
    digests = folded = 0
    for account_id, muted in _claimed(db, candidates, due, {"last_digest_at": now}):
        count = db.exec(sa.update(Notification).where(
            Notification.account_id == account_id,
            Notification.status == DeliveryStatus.PENDING,
            Notification.attempts == 0,
            Notification.urgent == sa.false(),
            col(Notification.kind).not_in(list(SUMMARIES)),
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


def send_weekly_summaries(db: Session, now: datetime) -> int:
    """For each professional with the weekly summary who has not had this week's: one
    WEEKLY_SUMMARY notification, about no carnet, when any of their patients has something
    to say (the page it links to decides and audits again when it is read)."""
    due = _not_made_since(NotificationPreference.weekly_summary,
                          NotificationPreference.last_weekly_at, last_weekly_time(now))
    candidates = db.exec(select(NotificationPreference.id, Account, Professional)
                         .join(Account, Account.id == NotificationPreference.account_id)
                         .join(Professional, Professional.account_id == Account.id)
                         .where(*due, Account.role == Role.PROFESSIONAL,
                                Account.is_active == sa.true())).all()
    db.commit()
    written = 0
    for account, professional in _claimed(db, candidates, due, {"last_weekly_at": now}):
        policy.forget()  # one professional's decisions at a time
        if my_week.summarise(db, account, professional, my_week.Window.at(now)):
            db.add(Notification(account_id=account.id, kind=NotificationKind.WEEKLY_SUMMARY,
                                topic="weekly", url=WEEKLY_URL, created_at=now,
                                not_before=now, expires_at=next_weekly_time(now)))
            written += 1
        db.commit()
    return written


def run(db: Session, now: datetime) -> Done:
    """Every scheduled job, once."""
    digests, folded = send_digests(db, now)
    return Done(reminders=send_reminders(db, now), digests=digests, folded=folded,
                weekly=send_weekly_summaries(db, now))
