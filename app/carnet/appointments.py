"""Appointments: add, move, cancel (with versions, like the plan), questions, and iCalendar."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from ..ids import parse_id
from ..models import (
    Account,
    Appointment,
    AppointmentKind,
    AppointmentQuestion,
    AppointmentRevision,
    AppointmentStatus,
    ChangeKind,
    NotificationKind,
    Patient,
    Professional,
)
from ..notifications import notify, withdraw
from ..types import utcnow
from .validation import InputError, too_long

PARIS = ZoneInfo("Europe/Paris")
LIMITS = {"title": 200, "place": 200, "address": 300, "details": 2000}
QUESTION_MAX = 500
REASON_MAX = 500
FEED_PAST = timedelta(days=90)


@dataclass
class StaleAppointment(Exception):
    current: Appointment
    by: Account | None


def local(value: datetime) -> datetime:
    """An aware datetime as Paris wall-clock time."""
    return value.astimezone(PARIS)


def validate(values: dict[str, Any], professionals: set[int], now: datetime) -> dict[str, Any]:
    """Clean an appointment form; raise InputError with every problem at once."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for field, maximum in LIMITS.items():
        text = (values.get(field) or "").strip()
        if len(text) > maximum:
            errors[field] = too_long(maximum, len(text))
        clean[field] = text
    if not clean["title"]:
        errors["title"] = _("Please write what the appointment is for.")
    try:
        clean["kind"] = AppointmentKind(values.get("kind") or "")
    except ValueError:
        errors["kind"] = _("Choose a kind of appointment from the list.")
    raw = values.get("professional_id") or ""
    professional = parse_id(str(raw))
    if raw == "":
        clean["professional_id"] = None
    elif professional in professionals:
        clean["professional_id"] = professional
    else:
        errors["professional_id"] = _("Choose a professional from the list.")
    try:
        day = date.fromisoformat(values.get("day") or "")
    except ValueError:
        errors["day"] = _("Give a date like 31/12/2026.")
        day = None
    start = end = None
    for field in ("start", "end"):
        try:
            parsed = time.fromisoformat(values.get(field) or "")
        except ValueError:
            errors[field] = _("Give a time like 14:30.")
            continue
        if field == "start":
            start = parsed
        else:
            end = parsed
    if day and day < local(now).date():
        # Said before combining: 01/01/0001 at 00:05 in Paris is before the first UTC instant.
        errors["day"] = _("This date and time are already past.")
    elif day and start:
        clean["starts_at"] = datetime.combine(day, start, PARIS).astimezone(now.tzinfo)
        if clean["starts_at"] <= now:
            errors["day"] = _("This date and time are already past.")
        if end:
            clean["ends_at"] = datetime.combine(day, end, PARIS).astimezone(now.tzinfo)
            if clean["ends_at"] <= clean["starts_at"]:
                errors["end"] = _("The end must come after the start.")
    if errors:
        raise InputError(errors)
    return clean


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


def add(db: Session, patient: Patient, actor: Account, values: dict[str, Any],
        professionals: set[int]) -> Appointment:
    """Add an appointment to the patient's carnet."""
    clean = validate(values, professionals, utcnow())
    appointment = Appointment(patient_id=patient.id, uid=f"{uuid4()}@carnet",
                              created_by_id=actor.id, updated_by_id=actor.id, **clean)
    db.add(appointment)
    db.flush()
    _revise(db, appointment, actor, ChangeKind.CREATED, {},
            _snapshot(appointment, ("title", "starts_at", "place")))
    _tell(db, patient, actor, appointment)
    db.commit()
    return appointment


def _save(db: Session, appointment: Appointment, actor: Account, base_version: int,
          changed: dict[str, Any]) -> None:
    updated = db.exec(
        sa.update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.version == base_version)
        .values(**changed, version=Appointment.version + 1, updated_by_id=actor.id,
                updated_at=utcnow())
    )
    if updated.rowcount != 1:
        db.refresh(appointment)  # no rollback: the request's audit event is still to be committed
        raise StaleAppointment(appointment, db.get(Account, appointment.updated_by_id))
    db.refresh(appointment)


def update(db: Session, patient: Patient, appointment: Appointment, actor: Account,
           base_version: int, values: dict[str, Any], professionals: set[int]) -> Appointment:
    """Move or edit an appointment, unless someone changed it since ``base_version``."""
    if appointment.status == AppointmentStatus.CANCELLED:
        raise InputError({"title": _("A cancelled appointment cannot be changed.")})
    clean = validate(values, professionals, utcnow())
    changed = {k: v for k, v in clean.items() if getattr(appointment, k) != v}
    if not changed:
        if appointment.version != base_version:
            raise StaleAppointment(appointment, db.get(Account, appointment.updated_by_id))
        return appointment
    before = _snapshot(appointment, changed)
    if "starts_at" in changed:
        # A new date, a new reminder the day before it (the worker's scheduled job).
        _save(db, appointment, actor, base_version, {**changed, "reminder_sent_at": None})
        _unremind(db, patient, appointment)
    else:
        _save(db, appointment, actor, base_version, changed)
    moved = set(changed) <= {"starts_at", "ends_at"}
    _revise(db, appointment, actor, ChangeKind.MOVED if moved else ChangeKind.UPDATED, before,
            _snapshot(appointment, changed))
    _tell(db, patient, actor, appointment)
    db.commit()
    return appointment


def cancel(db: Session, patient: Patient, appointment: Appointment, actor: Account,
           base_version: int, reason: str) -> None:
    """Cancel an appointment; it stays visible, marked cancelled (and so in the calendar)."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise InputError({"reason": too_long(REASON_MAX, len(reason))})
    if appointment.status == AppointmentStatus.CANCELLED:
        return
    _save(db, appointment, actor, base_version, {"status": AppointmentStatus.CANCELLED})
    _unremind(db, patient, appointment)
    _revise(db, appointment, actor, ChangeKind.CANCELLED, {"status": "scheduled"},
            {"status": "cancelled"}, comment=reason)
    _tell(db, patient, actor, appointment)
    db.commit()


def add_question(db: Session, appointment: Appointment, actor: Account, text: str) -> None:
    """A question the patient wants to ask at this appointment."""
    text = (text or "").strip()
    if not text:
        raise InputError({"question": _("Please write your question.")})
    if len(text) > QUESTION_MAX:
        raise InputError({"question": too_long(QUESTION_MAX, len(text))})
    db.add(AppointmentQuestion(appointment_id=appointment.id, author_account_id=actor.id,
                               text=text))
    db.commit()


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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(db: Session, patient: Patient) -> str:
    """A new private calendar-feed token; the previous link stops working."""
    token = secrets.token_urlsafe(32)
    patient.calendar_token_hash = _token_hash(token)
    db.commit()
    return token


def revoke_feed(db: Session, patient: Patient) -> None:
    patient.calendar_token_hash = None
    db.commit()


def patient_by_feed_token(db: Session, token: str) -> Patient | None:
    return db.exec(select(Patient).where(Patient.calendar_token_hash == _token_hash(token))).first()


def feed_rows(db: Session, patient_id: int) -> list[tuple[Appointment, Account | None]]:
    """The appointments a calendar subscription shows: from 90 days ago on, cancelled too."""
    return db.exec(
        select(Appointment, Account)
        .outerjoin(Professional, Professional.id == Appointment.professional_id)
        .outerjoin(Account, Account.id == Professional.account_id)
        .where(Appointment.patient_id == patient_id, Appointment.starts_at >= utcnow() - FEED_PAST)
        .order_by(Appointment.starts_at)
    ).all()
