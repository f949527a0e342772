"""Reads of a carnet, each a fixed number of SQL queries whatever the amount of data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ..models import (
    Account,
    Appointment,
    AppointmentRevision,
    AppointmentStatus,
    CaregiverLink,
    CareTeamMember,
    CarnetVisit,
    ConsentEvent,
    Note,
    Patient,
    PlanItem,
    PlanItemKind,
    PlanRevision,
    Professional,
    Role,
    SymptomReport,
    TeamRole,
)
from ..paging import page_count
from ..types import UTCDateTime


@dataclass
class TeamMember:
    member: CareTeamMember
    professional: Professional
    account: Account


@dataclass
class PlanNode:
    item: PlanItem
    responsible: Account | None
    changed_by: Account | None
    supervisor: Account | None = None
    children: list[PlanNode] = field(default_factory=list)


@dataclass
class AppointmentRow:
    appointment: Appointment
    professional: Professional | None
    account: Account | None


# The queries of a carnet's home are built once, their values bound at each run: building
# a statement and its cache key cost about as much as running it (0.1–0.2 ms each, on a
# page asked for more than any other).
PATIENT_ID = sa.bindparam("patient_id")


@cache
def _care_team_query(roles: tuple[TeamRole, ...]):
    query = (
        select(CareTeamMember, Professional, Account)
        .join(Professional, Professional.id == CareTeamMember.professional_id)
        .join(Account, Account.id == Professional.account_id)
        .where(CareTeamMember.patient_id == PATIENT_ID, col(CareTeamMember.ended_at).is_(None))
        .order_by(CareTeamMember.position, CareTeamMember.id)
    )
    if roles:
        query = query.where(col(CareTeamMember.team_role).in_([r.value for r in roles]))
    return query


def care_team(db: Session, patient_id: int, roles: tuple[TeamRole, ...] = ()) -> list[TeamMember]:
    """The patient's care team, in the order the patient sees it (optionally some roles only)."""
    rows = db.exec(_care_team_query(tuple(roles)), params={"patient_id": patient_id}).all()
    return [TeamMember(*row) for row in rows]


def plan_tree(db: Session, patient_id: int) -> list[PlanNode]:
    """The care plan as problems → goals → actions, in one query."""
    responsible, changed_by, supervisor = aliased(Account), aliased(Account), aliased(Account)
    rows = db.exec(
        select(PlanItem, responsible, changed_by, supervisor)
        .outerjoin(responsible, responsible.id == PlanItem.responsible_account_id)
        .outerjoin(changed_by, changed_by.id == PlanItem.updated_by_id)
        .outerjoin(supervisor, supervisor.id == PlanItem.supervisor_account_id)
        .where(PlanItem.patient_id == patient_id, col(PlanItem.archived_at).is_(None))
        .order_by(PlanItem.position, PlanItem.id)
    ).all()
    nodes = {item.id: PlanNode(item, who, by, over) for item, who, by, over in rows}
    roots: list[PlanNode] = []
    for node in nodes.values():
        parent = nodes.get(node.item.parent_id)
        if parent is not None:
            parent.children.append(node)
        elif node.item.kind == PlanItemKind.PROBLEM or node.item.parent_id is None:
            roots.append(node)
    return roots




def _appointments_query(patient_id: int):
    return (
        select(Appointment, Professional, Account)
        .outerjoin(Professional, Professional.id == Appointment.professional_id)
        .outerjoin(Account, Account.id == Professional.account_id)
        .where(Appointment.patient_id == patient_id)
    )


_NEXT_APPOINTMENT = (
    _appointments_query(PATIENT_ID)
    .where(Appointment.starts_at >= sa.bindparam("now", type_=UTCDateTime),
           Appointment.status == AppointmentStatus.SCHEDULED)
    .order_by(Appointment.starts_at)
    .limit(1)
)


def next_appointment(db: Session, patient_id: int, now: datetime) -> AppointmentRow | None:
    row = db.exec(_NEXT_APPOINTMENT, params={"patient_id": patient_id, "now": now}).first()
    return AppointmentRow(*row) if row else None


def appointments(
    db: Session, patient_id: int, now: datetime, limit: int = 50
) -> tuple[list[AppointmentRow], list[AppointmentRow]]:
    """Upcoming appointments (soonest first) and past ones (latest first)."""
    upcoming = db.exec(
        _appointments_query(patient_id)
        .where(Appointment.starts_at >= now)
        .order_by(Appointment.starts_at)
        .limit(limit)
    ).all()
    past = db.exec(
        _appointments_query(patient_id)
        .where(Appointment.starts_at < now)
        .order_by(col(Appointment.starts_at).desc())
        .limit(limit)
    ).all()
    return [AppointmentRow(*r) for r in upcoming], [AppointmentRow(*r) for r in past]


PATIENTS_PER_PAGE = 50
SEARCH_MAX = 100  # characters of a name searched for


def _patients_of(professional: Professional):
    """The carnets of this professional's care teams, and of the patients who granted them
    access from outside the team (the policy then keeps those they may still open)."""
    in_team = select(CareTeamMember.patient_id).where(
        CareTeamMember.professional_id == professional.id, col(CareTeamMember.ended_at).is_(None))
    granted = select(ConsentEvent.patient_id).where(
        ConsentEvent.grantee_account_id == professional.account_id)
    return col(Patient.id).in_(in_team) | col(Patient.id).in_(granted)


def carnets_of(db: Session, professional: Professional) -> list[sa.Row]:
    """The carnets of :func:`_patients_of`, as rows of only what the policy decides on (the
    id and the patient's account): deciding for a GP's 300 patients at once (the inbox) need
    not load their names and conditions, nor make 300 ORM objects."""
    return list(db.execute(sa.select(Patient.id, Patient.account_id)
                           .where(_patients_of(professional))).all())


def page_of_patients(db: Session, professional: Professional, page: int, search: str = ""
                     ) -> tuple[list[tuple[Patient, Account]], int, int]:
    """One page of the patients of :func:`_patients_of` by name (``page``, or the last one
    when there are fewer), those whose name holds every word of ``search`` when it has
    any: (rows, page, pages), in two queries."""
    condition = [_patients_of(professional)]
    for word in search.split()[:5]:
        condition.append(col(Account.last_name).icontains(word, autoescape=True)
                         | col(Account.first_name).icontains(word, autoescape=True))
    total = db.exec(select(sa.func.count()).select_from(Patient)
                    .join(Account, Account.id == Patient.account_id).where(*condition)).one()
    pages = page_count(total, PATIENTS_PER_PAGE)
    page = min(page, pages)
    rows = db.exec(
        select(Patient, Account)
        .join(Account, Account.id == Patient.account_id)
        .where(*condition)
        .order_by(Account.last_name, Account.first_name, Patient.id)
        .offset((page - 1) * PATIENTS_PER_PAGE).limit(PATIENTS_PER_PAGE)
    ).all()
    return list(rows), page, pages


def carnets_helped_by(db: Session, account_id: int) -> list[tuple[Patient, Account]]:
    """The carnets a caregiver is linked to."""
    return db.exec(
        select(Patient, Account)
        .join(CaregiverLink, CaregiverLink.patient_id == Patient.id)
        .join(Account, Account.id == Patient.account_id)
        .where(CaregiverLink.caregiver_account_id == account_id)
        .order_by(Account.last_name, Account.first_name)
    ).all()


def people_of(db: Session, patient: Patient) -> list[tuple[Account, str]]:
    """Who can be responsible for an action: the patient, their caregivers, their care team."""
    caregivers = select(CaregiverLink.caregiver_account_id).where(
        CaregiverLink.patient_id == patient.id)
    team = select(Professional.account_id).join(
        CareTeamMember, CareTeamMember.professional_id == Professional.id
    ).where(CareTeamMember.patient_id == patient.id, col(CareTeamMember.ended_at).is_(None))
    accounts = db.exec(
        select(Account).where(
            (Account.id == patient.account_id) | col(Account.id).in_(caregivers)
            | col(Account.id).in_(team)
        ).order_by(Account.last_name, Account.first_name)
    ).all()
    order = {Role.PATIENT: 0, Role.CAREGIVER: 1}
    return sorted(((a, a.role) for a in accounts), key=lambda pair: order.get(pair[1], 2))


def plan_node(tree: list[PlanNode], item_id: int) -> PlanNode | None:
    """The node of ``item_id`` in a plan tree."""
    stack = list(tree)
    while stack:
        node = stack.pop()
        if node.item.id == item_id:
            return node
        stack.extend(node.children)
    return None


def item_history(db: Session, item_id: int, limit: int = 100):
    """The revisions and comments of one plan item, newest first, with their authors."""
    return db.exec(
        select(PlanRevision, Account)
        .outerjoin(Account, Account.id == PlanRevision.account_id)
        .where(PlanRevision.plan_item_id == item_id)
        .order_by(col(PlanRevision.created_at).desc(), col(PlanRevision.id).desc())
        .limit(limit)
    ).all()


def appointment_row(db: Session, appointment: Appointment) -> AppointmentRow:
    """An appointment with its professional and their account."""
    professional = db.get(Professional, appointment.professional_id) if (
        appointment.professional_id) else None
    account = db.get(Account, professional.account_id) if professional else None
    return AppointmentRow(appointment, professional, account)


@dataclass
class Change:
    """One line of "What changed": a revision of a plan item or of an appointment."""

    section: str  # "plan" or "appointments"
    revision: PlanRevision | AppointmentRevision
    title: str
    author: Account | None
    target_id: int


# What "What changed" lists in each section: the revisions, and the rows they revise.
REVISED = {"plan": (PlanRevision, PlanItem, PlanRevision.plan_item_id),
           "appointments": (AppointmentRevision, Appointment, AppointmentRevision.appointment_id)}


def _change_sources(patient_id: int, sections: set[str], since: datetime | None,
                    exclude_account_id: int | None):
    sources = []
    for section, (model, _target, _key) in REVISED.items():
        if section not in sections:
            continue
        query = select(sa.literal(section).label("section"), model.id.label("rid"),
                       model.created_at.label("at")).where(model.patient_id == patient_id)
        if since is not None:
            query = query.where(model.created_at > since)
        if exclude_account_id is not None:
            query = query.where(col(model.account_id) != exclude_account_id)
        sources.append(query)
    return sources


def changes(db: Session, patient_id: int, sections: set[str], *, since: datetime | None = None,
            exclude_account_id: int | None = None, limit: int = 20,
            offset: int = 0) -> tuple[list[Change], int]:
    """Changes of the plan and appointments, newest first, and how many there are in all."""
    sources = _change_sources(patient_id, sections, since, exclude_account_id)
    if not sources:
        return [], 0
    union = sa.union_all(*sources).subquery()
    # The count rides on the page (a window over the whole union): one round trip.
    rows = db.exec(
        select(union.c.section, union.c.rid, sa.func.count().over())
        .order_by(union.c.at.desc(), union.c.rid.desc()).limit(limit).offset(offset)
    ).all()
    if rows:
        total = rows[0][2]
    else:  # nothing on this page: none at all, or a page past the end
        total = db.exec(select(sa.func.count()).select_from(union)).one() if offset else 0
    page = [(section, rid) for section, rid, _total in rows]
    found: dict[tuple[str, int], Change] = {}
    for section, (model, target, key) in REVISED.items():
        wanted = [rid for s, rid in page if s == section]
        if not wanted:
            continue
        for revision, row, author in db.exec(
            select(model, target, Account)
            .join(target, target.id == key)
            .outerjoin(Account, Account.id == model.account_id)
            .where(col(model.id).in_(wanted))
        ):
            found[section, revision.id] = Change(section, revision, row.title, author, row.id)
    return [found[s, r] for s, r in page if (s, r) in found], total


def unread_notes(db: Session, patient_id: int, account_id: int, since: datetime | None,
                 limit: int = 3) -> tuple[list[tuple[Note, Account]], int]:
    """Notes by others written after ``since``: the newest few, and how many."""
    rows = db.exec(_unread_notes_query(since is not None, limit), params={
        "patient_id": patient_id, "account_id": account_id, "since": since}).all()
    return [(note, author) for note, author, _total in rows], rows[0][2] if rows else 0


@cache
def _unread_notes_query(since: bool, limit: int):
    condition = [Note.patient_id == PATIENT_ID,
                 Note.author_account_id != sa.bindparam("account_id")]
    if since:
        condition.append(Note.created_at > sa.bindparam("since", type_=UTCDateTime))
    return (
        select(Note, Account, sa.func.count().over())  # and how many, in the same query
        .join(Account, Account.id == Note.author_account_id)
        .where(*condition).order_by(col(Note.created_at).desc()).limit(limit)
    )


# The sections whose news a professional's list of patients counts.
NEWS_SECTIONS = frozenset({"notes", "plan", "appointments", "symptoms"})


def news_for(db: Session, account_id: int, counted: dict[int, set[str]]
             ) -> dict[int, dict[str, int]]:
    """What is new for a professional in each carnet since their last visit, in four queries
    at most: notes and plan or appointment changes by others, and reports not yet
    acknowledged — in the sections ``counted`` names for each carnet, and no others."""
    news: dict[int, dict[str, int]] = {pid: {} for pid in counted}

    def among(section: str) -> list[int]:
        return [pid for pid, sections in counted.items() if section in sections]

    def newer(model, author_column, section: str, label: str) -> None:
        patient_ids = among(section)
        if not patient_ids:
            return
        visit = sa.and_(CarnetVisit.patient_id == model.patient_id,
                        CarnetVisit.account_id == account_id)
        rows = db.exec(
            select(model.patient_id, sa.func.count())
            .outerjoin(CarnetVisit, visit)
            .where(col(model.patient_id).in_(patient_ids), author_column != account_id,
                   sa.or_(col(CarnetVisit.last_visit_at).is_(None),
                          model.created_at > CarnetVisit.last_visit_at))
            .group_by(model.patient_id)
        ).all()
        for patient_id, count in rows:
            news[patient_id][label] = news[patient_id].get(label, 0) + count

    newer(Note, Note.author_account_id, "notes", "notes")
    newer(PlanRevision, col(PlanRevision.account_id), "plan", "changes")
    newer(AppointmentRevision, col(AppointmentRevision.account_id), "appointments", "changes")
    if among("symptoms"):
        for patient_id, count, urgent in db.exec(
            select(SymptomReport.patient_id, sa.func.count(),
                   sa.func.sum(sa.case((col(SymptomReport.urgent), 1), else_=0)))
            .where(col(SymptomReport.patient_id).in_(among("symptoms")),
                   col(SymptomReport.acknowledged_at).is_(None))
            .group_by(SymptomReport.patient_id)
        ).all():
            news[patient_id]["reports"] = count
            news[patient_id]["urgent"] = int(urgent or 0)
    return news
