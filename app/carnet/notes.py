"""The liaison notebook: short dated notes between the patient, caregivers and the team."""

from __future__ import annotations

from datetime import timedelta

from flask import g
from sqlmodel import Session, col, func, select

from ..models import Account, CarnetVisit, Note, NotificationKind, Patient
from ..notifications import notify
from ..paging import page_count
from ..types import utcnow

PER_PAGE = 20
# Opening a carnet again within this time is the same visit: "what changed" stays put.
SAME_VISIT = timedelta(minutes=30)
# A visit is written down at most this often: a home opened again and again during a round
# (back from each page) reads and writes nothing more.
VISIT_WRITTEN_EVERY = timedelta(minutes=5)


def add_note(db: Session, patient: Patient, actor: Account, body: str,
             symptom_report_id: int | None = None) -> Note:
    """Write a note in the patient's notebook, in reply to a symptom report of this carnet
    when ``symptom_report_id`` is given (the caller checks it); its readers are told."""
    note = Note(patient_id=patient.id, author_account_id=actor.id,
                author_role=actor.role.value, body=body, symptom_report_id=symptom_report_id)
    db.add(note)
    db.flush()
    notify(db, patient, NotificationKind.NOTE_ADDED, "notes", actor,
           url=f"/carnet/{patient.id}/notes")
    return note


def page_of_notes(
    db: Session, patient_id: int, page: int
) -> tuple[list[tuple[Note, Account]], int]:
    """One page of notes, newest first, and the number of pages."""
    total = db.exec(
        select(func.count()).select_from(Note).where(Note.patient_id == patient_id)
    ).one()
    pages = page_count(total, PER_PAGE)
    rows = db.exec(
        select(Note, Account)
        .join(Account, Account.id == Note.author_account_id)
        .where(Note.patient_id == patient_id)
        .order_by(col(Note.created_at).desc(), col(Note.id).desc())
        .offset((min(page, pages) - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return list(rows), pages


def visit(db: Session, account: Account, patient: Patient) -> CarnetVisit:
    """Record that ``account`` opens this carnet; a new visit moves "what changed" forward.

    Read-tracking written by a GET, on purpose, like the audit trail: it changes no data of
    the carnet, only what is shown as new to this reader. Within a visit it is written at
    most every ``VISIT_WRITTEN_EVERY``: "what changed" counts from the visit before (its
    ``changes_since``), which only a new visit moves, so skipping a write loses nothing
    but a few minutes of when the visit was last seen going on.
    """
    now = utcnow()
    # A patient's visit of her own carnet came with her session (auth.session.load_account).
    own = g.get("own") if account is g.get("account") else None
    if own is not None and own[Patient] is patient:
        row = own[CarnetVisit]
    else:
        row = db.exec(select(CarnetVisit).where(CarnetVisit.account_id == account.id,
                                                CarnetVisit.patient_id == patient.id)).first()
    if row is None:
        row = CarnetVisit(account_id=account.id, patient_id=patient.id, last_visit_at=now,
                          changes_since=None, notes_read_at=None)
        db.add(row)
    elif row.last_visit_at is None or now - row.last_visit_at > SAME_VISIT:
        row.changes_since = row.last_visit_at
        row.last_visit_at = now
    elif now - row.last_visit_at >= VISIT_WRITTEN_EVERY:
        row.last_visit_at = now
    return row
