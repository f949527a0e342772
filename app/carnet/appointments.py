"""Appointments: add, move, cancel (with versions, like the plan), questions, and iCalendar."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from ..db import require_version, save_version
from ..models import (
    Account,
    Appointment,
    AppointmentQuestion,
    AppointmentRevision,
    AppointmentStatus,
    ChangeKind,
    NotificationKind,
    Patient,
    Professional,
)
from ..models.base import reworded
from ..notifications import notify, withdraw
from ..tokens import digest
from ..types import utcnow

PARIS = ZoneInfo("Europe/Paris")
FEED_PAST = timedelta(days=90)


def local(value: datetime) -> datetime:
    """An aware datetime as Paris wall-clock time."""
    return value.astimezone(PARIS)


def _snapshot(appointment: Appointment, fields) -> dict[str, Any]:
    """The values of ``fields`` as a revision keeps them: a date and time as an ISO instant in
    UTC ("2026-12-01T08:30:00+00:00"), written in the reader's language when shown."""
    out = {}
    for name in fields:
        value = getattr(appointment, name)
        out[name] = value.astimezone(UTC).isoformat() if isinstance(value, datetime) else (
            value.value if hasattr(value, "value") else value)
    return out


def _revise(db: Session, appointment: Appointment, actor: Account, change: ChangeKind,
            before: dict, after: dict, comment: str = "") -> None:
    db.add(AppointmentRevision(appointment_id=appointment.id, patient_id=appointment.patient_id,
                               account_id=actor.id, change=change, version=appointment.version,
                               before=before, after=after, comment=comment))


def _tell(db: Session, patient: Patient, actor: Account, appointment: Appointment) -> None:
    notify(db, patient, NotificationKind.APPOINTMENT_CHANGED, "appointments", actor,
           url=f"/carnet/{patient.id}/appointments/{appointment.id}")


def _unremind(db: Session, patient: Patient, appointment: Appointment) -> None:
    """A reminder not yet sent is about the old date, or a cancelled appointment: drop it."""
    withdraw(db, NotificationKind.APPOINTMENT_REMINDER,
             f"/carnet/{patient.id}/appointments/{appointment.id}", "appointment changed")


def add(db: Session, patient: Patient, actor: Account, values: dict[str, Any]) -> Appointment:
    """Add an appointment to the patient's carnet, with its fields ``values`` (checked by the
    form)."""
    appointment = Appointment(patient_id=patient.id, uid=f"{uuid4()}@carnet",
                              created_by_id=actor.id, updated_by_id=actor.id, **values)
    db.add(appointment)
    db.flush()
    _revise(db, appointment, actor, ChangeKind.CREATED, {},
            _snapshot(appointment, ("title", "starts_at", "place")))
    _tell(db, patient, actor, appointment)
    return appointment


def update(db: Session, patient: Patient, appointment: Appointment, actor: Account,
           base_version: int, values: dict[str, Any]) -> Appointment:
    """Move or edit an appointment (not a cancelled one), unless someone changed it since
    ``base_version``: then raise :class:`~app.db.StaleEdit`."""
    if appointment.status == AppointmentStatus.CANCELLED:
        raise ValueError("a cancelled appointment cannot be changed")
    changed = {k: v for k, v in values.items() if getattr(appointment, k) != v}
    if not changed:
        require_version(db, appointment, base_version)
        return appointment
    before = _snapshot(appointment, changed)
    worded = reworded(changed, {"title", "place", "address", "details"})
    if "starts_at" in changed:
        # A new date, a new reminder the day before it (the worker's scheduled job).
        save_version(db, appointment, base_version, actor.id,
                     {**changed, **worded, "reminder_sent_at": None})
        _unremind(db, patient, appointment)
    else:
        save_version(db, appointment, base_version, actor.id, {**changed, **worded})
    moved = set(changed) <= {"starts_at", "ends_at"}
    _revise(db, appointment, actor, ChangeKind.MOVED if moved else ChangeKind.UPDATED, before,
            _snapshot(appointment, changed))
    _tell(db, patient, actor, appointment)
    return appointment


def cancel(db: Session, patient: Patient, appointment: Appointment, actor: Account,
           base_version: int, reason: str) -> None:
    """Cancel an appointment; it stays visible, marked cancelled (and so in the calendar)."""
    if appointment.status == AppointmentStatus.CANCELLED:
        return
    save_version(db, appointment, base_version, actor.id, {"status": AppointmentStatus.CANCELLED})
    _unremind(db, patient, appointment)
    _revise(db, appointment, actor, ChangeKind.CANCELLED, {"status": "scheduled"},
            {"status": "cancelled"}, comment=reason)
    _tell(db, patient, actor, appointment)


def add_question(db: Session, appointment: Appointment, actor: Account,
                 text: str) -> AppointmentQuestion:
    """A question the patient wants to ask at this appointment."""
    question = AppointmentQuestion(appointment_id=appointment.id, author_account_id=actor.id,
                                   text=text)
    db.add(question)
    return question


def questions(db: Session, appointment_id: int) -> list[tuple[AppointmentQuestion, Account]]:
    return db.exec(
        select(AppointmentQuestion, Account)
        .join(Account, Account.id == AppointmentQuestion.author_account_id)
        .where(AppointmentQuestion.appointment_id == appointment_id)
        .order_by(AppointmentQuestion.id)
    ).all()


def history(db: Session, appointment_id: int):
    return db.exec(
        select(AppointmentRevision, Account)
        .outerjoin(Account, Account.id == AppointmentRevision.account_id)
        .where(AppointmentRevision.appointment_id == appointment_id)
        .order_by(col(AppointmentRevision.created_at).desc(), col(AppointmentRevision.id).desc())
    ).all()


# iCalendar (RFC 5545) -----------------------------------------------------------------------

def _event(appointment: Appointment, with_whom: Account | None) -> Event:
    event = Event()
    event.add("uid", appointment.uid)  # stable: a calendar updates the event, never doubles it
    event.add("sequence", appointment.version)
    event.add("dtstamp", appointment.updated_at)
    event.add("dtstart", local(appointment.starts_at))
    event.add("dtend", local(appointment.ends_at))
    summary = appointment.title + (f" — {with_whom.full_name}" if with_whom else "")
    event.add("summary", summary)
    location = ", ".join(part for part in (appointment.place, appointment.address) if part)
    if location:
        event.add("location", location)
    if appointment.details:
        event.add("description", appointment.details)
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def calendar(rows: list[tuple[Appointment, Account | None]], name: str) -> bytes:
    """An iCalendar file of these appointments, times in Europe/Paris."""
    cal = Calendar()
    cal.add("prodid", "-//Carnet//Carnet de liaison//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    for appointment, with_whom in rows:
        cal.add_component(_event(appointment, with_whom))
    cal.add_missing_timezones()
    return cal.to_ical()


def new_feed_token(db: Session, patient: Patient) -> str:
    """A new private calendar-feed token; the previous link stops working."""
    token = secrets.token_urlsafe(32)
    patient.calendar_token_hash = digest(token)
    return token


def revoke_feed(db: Session, patient: Patient) -> None:
    patient.calendar_token_hash = None


def patient_by_feed_token(db: Session, token: str) -> Patient | None:
    return db.exec(select(Patient).where(Patient.calendar_token_hash == digest(token))).first()


def feed_rows(db: Session, patient_id: int) -> list[tuple[Appointment, Account | None]]:
    """The appointments a calendar subscription shows: from 90 days ago on, cancelled too."""
    return db.exec(
        select(Appointment, Account)
        .outerjoin(Professional, Professional.id == Appointment.professional_id)
        .outerjoin(Account, Account.id == Professional.account_id)
        .where(Appointment.patient_id == patient_id, Appointment.starts_at >= utcnow() - FEED_PAST)
        .order_by(Appointment.starts_at)
    ).all()
