"""My day: what needs a professional today, across every carnet they may see.

One list, in the order a GP would deal with it:

1. urgent reports no one in the team has marked as seen, oldest first (waiting longest);
2. actions of the plan this professional is responsible for that are overdue or due within
   ``AHEAD`` days, overdue first, then by due date;
3. their appointments today and tomorrow (Paris days), by time;
4. notes by others that name them (their last name) and that they have not read yet,
   oldest first: opening the carnet's notes reads them;
5. actions put on their name that wait for their answer (delegation), oldest first. Until
   they accept one, it is not among their actions (2.);
6. the answers to the access they asked for (or asked on someone's behalf, as a
   coordinator) within the last ``BACK`` days, newest first: given, the carnet opens to
   them; refused, they know. These are their own requests: no section of a carnet is read.

The access policy decides, section by section, which carnets each part may come from: an
opposed section never shows up. The queries are the same few however many patients:
the carnets are decided on in one go, and each part is one query over all of them,
limited to ``PER_KIND`` lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from .. import policy
from ..db import ids_in
from ..models import (
    AccessRequest,
    Account,
    ActionStatus,
    Appointment,
    AppointmentStatus,
    CarnetVisit,
    Delegation,
    Note,
    Patient,
    PlanItem,
    PlanItemKind,
    Professional,
    RequestStatus,
    SymptomReport,
)
from . import queries
from .appointments import PARIS

AHEAD = 7  # days: an action due within a week is on the list
BACK = 7  # days: the answer to an access request stays on the list for a week
PER_KIND = 50  # lines of one kind at most: the rest is on the carnets' own pages

REPORTS, ACTIONS, APPOINTMENTS, NOTES, REQUESTS, ACCESS = (
    "reports", "actions", "appointments", "notes", "requests", "access")
KINDS = (REPORTS, ACTIONS, APPOINTMENTS, NOTES, REQUESTS, ACCESS)
# The section of a carnet each kind reads (the answers to one's own requests read none).
SECTION = {REPORTS: "symptoms", ACTIONS: "plan", APPOINTMENTS: "appointments", NOTES: "notes",
           REQUESTS: "plan"}


@dataclass
class Line:
    """One thing to do: ``what`` is the report, the action, the appointment or the note."""

    kind: str
    what: SymptomReport | PlanItem | Appointment | Note | AccessRequest
    patient: Patient
    owner: Account  # the patient's account: their name
    overdue: bool = False
    due_today: bool = False
    asked_by: Account | None = None  # a request: who put the action on their name
    for_whom: Account | None = None  # an access request: who asked for access


@dataclass
class Day:
    lines: list[Line]
    patients: list[tuple[Patient, Account]]  # every patient on the unfiltered list, by name
    may_acknowledge: set[int]  # carnets whose reports this professional may mark as seen


def paris_day(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def build(db: Session, account: Account, professional: Professional, now: datetime,
          kind: str | None = None, patient_id: int | None = None) -> Day:
    """The day of ``professional`` at ``now``; ``kind`` and ``patient_id`` filter it."""
    carnets = queries.carnets_of(db, professional)
    today = paris_day(now)
    wanted = [kind] if kind in KINDS else list(KINDS)
    found: dict[str, list[Line]] = {}
    everyone: dict[int, tuple[Patient, Account]] = {}
    for part in KINDS:
        if part == ACCESS:
            lines = _answers(db, account, today)
        else:
            readable = [c.id for c in policy.allowed(db, account, carnets, policy.READ,
                                                     SECTION[part])]
            if not readable:
                found[part] = []
                continue
            lines = _PARTS[part](db, account, professional, readable, today)
        for line in lines:
            everyone[line.patient.id] = (line.patient, line.owner)
        found[part] = [line for line in lines
                       if part in wanted and (patient_id is None or line.patient.id == patient_id)]
    reported = {line.patient.id for line in found[REPORTS]}
    may_acknowledge = {c.id for c in policy.allowed(
        db, account, [c for c in carnets if c.id in reported], policy.MANAGE, "symptoms")
        } if reported else set()
    return Day([line for part in KINDS for line in found[part]],
               sorted(everyone.values(), key=lambda pair: (pair[1].last_name,
                                                           pair[1].first_name, pair[0].id)),
               may_acknowledge)


def _in_carnets(db: Session, model, carnets: list[int]):
    """``model``'s rows of ``carnets``, each with its carnet and the patient's account."""
    owner = aliased(Account)
    return (select(model, Patient, owner)
            .join(Patient, Patient.id == model.patient_id)
            .join(owner, owner.id == Patient.account_id)
            .where(ids_in(db, col(model.patient_id), carnets)))


def _urgent_reports(db: Session, account: Account, professional: Professional,
                    carnets: list[int], today: date) -> list[Line]:
    rows = db.exec(_in_carnets(db, SymptomReport, carnets).where(
        col(SymptomReport.urgent).is_(True), col(SymptomReport.acknowledged_at).is_(None))
        .order_by(col(SymptomReport.reported_at), col(SymptomReport.id)).limit(PER_KIND))
    return [Line(REPORTS, report, patient, who) for report, patient, who in rows]


def actions_due(account: Account, today: date) -> list:
    """The conditions on PlanItem of ``account``'s own actions (accepted when delegated) not
    done, overdue or due within ``AHEAD`` days."""
    return [PlanItem.kind == PlanItemKind.ACTION, PlanItem.status != ActionStatus.DONE,
            col(PlanItem.archived_at).is_(None), PlanItem.responsible_account_id == account.id,
            sa.or_(col(PlanItem.delegation).is_(None),
                   PlanItem.delegation == Delegation.ACCEPTED),
            col(PlanItem.due_date).is_not(None),
            col(PlanItem.due_date) <= today + timedelta(days=AHEAD)]


def _actions(db: Session, account: Account, professional: Professional, carnets: list[int],
             today: date) -> list[Line]:
    rows = db.exec(_in_carnets(db, PlanItem, carnets).where(*actions_due(account, today))
                   .order_by(col(PlanItem.due_date), col(PlanItem.id)).limit(PER_KIND))
    return [Line(ACTIONS, item, patient, who, overdue=item.due_date < today,
                 due_today=item.due_date == today) for item, patient, who in rows]


def _appointments(db: Session, account: Account, professional: Professional,
                  carnets: list[int], today: date) -> list[Line]:
    start = datetime.combine(today, time(), PARIS)
    end = datetime.combine(today + timedelta(days=2), time(), PARIS)
    rows = db.exec(_in_carnets(db, Appointment, carnets).where(
        Appointment.professional_id == professional.id,
        Appointment.status == AppointmentStatus.SCHEDULED,
        col(Appointment.starts_at) >= start, col(Appointment.starts_at) < end)
        .order_by(col(Appointment.starts_at), col(Appointment.id)).limit(PER_KIND))
    return [Line(APPOINTMENTS, appointment, patient, who,
                 due_today=paris_day(appointment.starts_at) == today)
            for appointment, patient, who in rows]


def _mentions(db: Session, account: Account, professional: Professional, carnets: list[int],
              today: date) -> list[Line]:
    if not account.last_name.strip():
        return []
    visit = sa.and_(CarnetVisit.patient_id == Note.patient_id,
                    CarnetVisit.account_id == account.id)
    rows = db.exec(_in_carnets(db, Note, carnets).outerjoin(CarnetVisit, visit).where(
        Note.author_account_id != account.id,
        col(Note.body).icontains(account.last_name, autoescape=True),
        sa.or_(col(CarnetVisit.notes_read_at).is_(None),
               col(Note.created_at) > CarnetVisit.notes_read_at))
        .order_by(col(Note.created_at), col(Note.id)).limit(PER_KIND))
    return [Line(NOTES, note, patient, who) for note, patient, who in rows]


def _requests(db: Session, account: Account, professional: Professional, carnets: list[int],
              today: date) -> list[Line]:
    asker = aliased(Account)
    rows = db.exec(_in_carnets(db, PlanItem, carnets).add_columns(asker)
                   .outerjoin(asker, asker.id == PlanItem.delegated_by_id).where(
        PlanItem.kind == PlanItemKind.ACTION, col(PlanItem.archived_at).is_(None),
        PlanItem.responsible_account_id == account.id, PlanItem.delegation == Delegation.ASKED)
        .order_by(col(PlanItem.updated_at), col(PlanItem.id)).limit(PER_KIND))
    return [Line(REQUESTS, item, patient, who, asked_by=by) for item, patient, who, by in rows]


def _answers(db: Session, account: Account, today: date) -> list[Line]:
    since = datetime.combine(today - timedelta(days=BACK), time(), PARIS)
    owner, requester = aliased(Account), aliased(Account)
    rows = db.exec(select(AccessRequest, Patient, owner, requester)
                   .join(Patient, Patient.id == AccessRequest.patient_id)
                   .join(owner, owner.id == Patient.account_id)
                   .join(requester, requester.id == AccessRequest.requester_account_id).where(
        sa.or_(AccessRequest.requester_account_id == account.id,
               AccessRequest.asked_by_id == account.id),
        AccessRequest.status != RequestStatus.PENDING, col(AccessRequest.decided_at) >= since)
        .order_by(col(AccessRequest.decided_at).desc(), col(AccessRequest.id)).limit(PER_KIND))
    return [Line(ACCESS, request, patient, who, for_whom=by)
            for request, patient, who, by in rows]


_PARTS = {REPORTS: _urgent_reports, ACTIONS: _actions, APPOINTMENTS: _appointments,
          NOTES: _mentions, REQUESTS: _requests}


def reads(day: Day) -> list[tuple[int, str]]:
    """The (carnet, section) pairs the list shows something of: each is a read."""
    return sorted({(line.patient.id, SECTION[line.kind]) for line in day.lines
                   if line.kind in SECTION})

