"""The week's summary: per patient, what changed in the last seven days and what is due in
the next seven, across every carnet a professional may see.

What changed is what others did — reports (and how many were urgent), changes of the plan
and of the appointments, notes — since midnight (Paris) seven days before today: on
Monday morning, when those who chose it are told of it, that is the whole week before.
What a professional did himself he knows. What is due: his own actions overdue or due
within ``my_day.AHEAD`` days, as on My day, and the patient's appointments until then.

As on My day, the policy decides section by section which carnets each part may come from
(an opposed section never shows up), and each part is one query over all of them, grouped
by carnet: the queries are the same few for 10 patients or 1,000. The patients with
something to say come first when an urgent report or an overdue action of his is among it,
then by name; a page shows ``PER_PAGE`` of them, and only their lines are loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from .. import policy
from ..db import ids_in
from ..models import (
    Account,
    Appointment,
    AppointmentRevision,
    AppointmentStatus,
    ChangeKind,
    Note,
    Patient,
    PlanItem,
    PlanRevision,
    Professional,
    SymptomReport,
)
from ..paging import page_count
from . import my_day, queries
from .appointments import PARIS

WEEK = 7  # days looked back on
PER_PAGE = 50  # patients on a page


@dataclass(frozen=True)
class Window:
    """The days a summary made at ``now`` looks back on and ahead to."""

    now: datetime
    today: date  # in Paris
    since: datetime  # midnight, Paris, ``WEEK`` days before today
    until: datetime  # midnight, Paris, after the last day of what is due

    @classmethod
    def at(cls, now: datetime) -> Window:
        today = my_day.paris_day(now)
        return cls(now, today, datetime.combine(today - timedelta(days=WEEK), time(), PARIS),
                   datetime.combine(today + timedelta(days=my_day.AHEAD + 1), time(), PARIS))


@dataclass
class PatientWeek:
    """One patient's week: counts of what changed, of what is due; on a page, its lines."""

    patient_id: int
    reports: int = 0
    urgent: int = 0
    plan_changes: int = 0
    notes: int = 0
    added: int = 0  # appointments added, changed (moved, edited) and cancelled
    changed: int = 0
    cancelled: int = 0
    due: int = 0  # his actions overdue or due soon, of which overdue
    overdue: int = 0
    upcoming: int = 0  # appointments
    patient: Patient | None = None
    owner: Account | None = None  # the patient's account: their name
    actions: list[PlanItem] = field(default_factory=list)
    appointments: list[queries.AppointmentRow] = field(default_factory=list)
    read_from: dict[str, str] = field(default_factory=dict)  # each count's name: its section

    def sections(self) -> set[str]:
        """The sections this week says something of."""
        return set(self.read_from.values())

    @property
    def changed_anything(self) -> bool:
        return any((self.reports, self.plan_changes, self.notes, self.added, self.changed,
                    self.cancelled))


@dataclass
class Week:
    window: Window
    patients: list[PatientWeek]  # this page's, in order, with their lines
    page: int
    pages: int


def summarise(db: Session, account: Account, professional: Professional,
              window: Window) -> list[PatientWeek]:
    """The weeks of ``professional``'s patients who have something to say in ``window``
    (counts only)."""
    carnets = queries.carnets_of(db, professional)
    found: dict[int, PatientWeek] = {}
    for section, part in _PARTS:
        readable = [c.id for c in policy.allowed(db, account, carnets, policy.READ, section)]
        if not readable:
            continue
        for patient_id, name, count in part(db, account, readable, window):
            week = found.setdefault(patient_id, PatientWeek(patient_id))
            setattr(week, name, getattr(week, name) + count)
            week.read_from[name] = section
    return list(found.values())


def build(db: Session, account: Account, professional: Professional, now: datetime,
          page: int = 1) -> Week:
    """Page ``page`` of the summary of ``professional``'s week at ``now``."""
    window = Window.at(now)
    ordered = _in_order(db, summarise(db, account, professional, window))
    pages = page_count(len(ordered), PER_PAGE)
    page = min(page, pages)
    shown = ordered[(page - 1) * PER_PAGE:page * PER_PAGE]
    _fill(db, account, shown, window)
    return Week(window, shown, page, pages)


def reads(week: Week) -> list[tuple[int, str]]:
    """The (carnet, section) pairs the page shows something of: each is a read."""
    return sorted({(patient_week.patient_id, section) for patient_week in week.patients
                   for section in patient_week.sections()})


# -- the parts: (carnet, what, how many) ------------------------------------------------

Counted = Iterator[tuple[int, str, int]]


def _counts(db: Session, model, carnets: list[int], conditions: list, *by) -> list:
    """Rows (carnet, *by, how many) of ``model``'s rows in ``carnets`` meeting ``conditions``."""
    columns = [model.patient_id, *by]
    return db.exec(select(*columns, sa.func.count()).where(
        ids_in(db, col(model.patient_id), carnets), *conditions).group_by(*columns)).all()


def _reports(db: Session, account: Account, carnets: list[int], window: Window) -> Counted:
    for patient_id, urgent, count in _counts(db, SymptomReport, carnets, [
            col(SymptomReport.reported_at) >= window.since], SymptomReport.urgent):
        yield patient_id, "reports", count
        if urgent:
            yield patient_id, "urgent", count


def _plan_changes(db: Session, account: Account, carnets: list[int], window: Window) -> Counted:
    for patient_id, count in _counts(db, PlanRevision, carnets, [
            col(PlanRevision.created_at) >= window.since,
            col(PlanRevision.account_id).is_distinct_from(account.id)]):
        yield patient_id, "plan_changes", count


def _notes(db: Session, account: Account, carnets: list[int], window: Window) -> Counted:
    for patient_id, count in _counts(db, Note, carnets, [
            col(Note.created_at) >= window.since, Note.author_account_id != account.id]):
        yield patient_id, "notes", count


APPOINTMENT_CHANGE = {ChangeKind.CREATED: "added", ChangeKind.CANCELLED: "cancelled"}


def _appointment_changes(db: Session, account: Account, carnets: list[int],
                         window: Window) -> Counted:
    for patient_id, change, count in _counts(db, AppointmentRevision, carnets, [
            col(AppointmentRevision.created_at) >= window.since,
            col(AppointmentRevision.account_id).is_distinct_from(account.id)],
            AppointmentRevision.change):
        yield patient_id, APPOINTMENT_CHANGE.get(change, "changed"), count


def _actions(db: Session, account: Account, carnets: list[int], window: Window) -> Counted:
    for patient_id, due_date, count in _counts(
            db, PlanItem, carnets, my_day.actions_due(account, window.today), PlanItem.due_date):
        yield patient_id, "due", count
        if due_date < window.today:
            yield patient_id, "overdue", count


def _coming(window: Window) -> list:
    """The conditions on Appointment of those still to come within the window."""
    return [Appointment.status == AppointmentStatus.SCHEDULED,
            col(Appointment.starts_at) >= window.now, col(Appointment.starts_at) < window.until]


def _appointments(db: Session, account: Account, carnets: list[int], window: Window) -> Counted:
    for patient_id, count in _counts(db, Appointment, carnets, _coming(window)):
        yield patient_id, "upcoming", count


_PARTS = (("symptoms", _reports), ("plan", _plan_changes), ("notes", _notes),
          ("appointments", _appointment_changes), ("plan", _actions),
          ("appointments", _appointments))


# -- a page -----------------------------------------------------------------------------

def _in_order(db: Session, weeks: list[PatientWeek]) -> list[PatientWeek]:
    """Those with an urgent report first (the most first), then with overdue actions, then
    by name: only the names are read, for every patient, in one query."""
    if not weeks:
        return []
    names = {patient_id: (last, first) for patient_id, last, first in db.exec(
        select(Patient.id, Account.last_name, Account.first_name)
        .join(Account, Account.id == Patient.account_id)
        .where(ids_in(db, col(Patient.id), [week.patient_id for week in weeks])))}
    return sorted((week for week in weeks if week.patient_id in names), key=lambda week: (
        -week.urgent, -week.overdue, *names[week.patient_id], week.patient_id))


def _fill(db: Session, account: Account, shown: list[PatientWeek], window: Window) -> None:
    """The page's patients, their actions due and their appointments to come: a query each."""
    if not shown:
        return
    by_id = {week.patient_id: week for week in shown}
    for patient, owner in db.exec(select(Patient, Account).join(
            Account, Account.id == Patient.account_id).where(ids_in(db, col(Patient.id), by_id))):
        by_id[patient.id].patient, by_id[patient.id].owner = patient, owner
    due = [week.patient_id for week in shown if week.due]
    if due:
        for item in db.exec(select(PlanItem).where(
                ids_in(db, col(PlanItem.patient_id), due),
                *my_day.actions_due(account, window.today))
                .order_by(col(PlanItem.due_date), col(PlanItem.id))):
            by_id[item.patient_id].actions.append(item)
    coming = [week.patient_id for week in shown if week.upcoming]
    if coming:
        with_whom = aliased(Account)
        for row in db.exec(select(Appointment, Professional, with_whom)
                           .outerjoin(Professional, Professional.id == Appointment.professional_id)
                           .outerjoin(with_whom, with_whom.id == Professional.account_id)
                           .where(ids_in(db, col(Appointment.patient_id), coming), *_coming(window))
                           .order_by(col(Appointment.starts_at), col(Appointment.id))):
            by_id[row[0].patient_id].appointments.append(queries.AppointmentRow(*row))
