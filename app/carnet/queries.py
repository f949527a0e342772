"""Reads of a carnet, each a fixed number of SQL queries whatever the amount of data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ..models import (
    Account,
    Appointment,
    AppointmentStatus,
    CaregiverLink,
    CareTeamMember,
    Patient,
    PlanItem,
    PlanItemKind,
    PlanRevision,
    Professional,
    TeamRole,
)


@dataclass
class TeamMember:
    member: CareTeamMember
    professional: Professional
    account: Account


@dataclass
class PlanNode:
    item: PlanItem
    responsible: Account | None
    children: list[PlanNode] = field(default_factory=list)


@dataclass
class AppointmentRow:
    appointment: Appointment
    professional: Professional | None
    account: Account | None


def care_team(db: Session, patient_id: int, roles: tuple[TeamRole, ...] = ()) -> list[TeamMember]:
    """The patient's care team, in the order the patient sees it (optionally some roles only)."""
    query = (
        select(CareTeamMember, Professional, Account)
        .join(Professional, Professional.id == CareTeamMember.professional_id)
        .join(Account, Account.id == Professional.account_id)
        .where(CareTeamMember.patient_id == patient_id, col(CareTeamMember.ended_at).is_(None))
        .order_by(CareTeamMember.position, CareTeamMember.id)
    )
    if roles:
        query = query.where(col(CareTeamMember.team_role).in_([r.value for r in roles]))
    return [TeamMember(*row) for row in db.exec(query).all()]


def plan_tree(db: Session, patient_id: int) -> list[PlanNode]:
    """The care plan as problems → goals → actions, in one query."""
    responsible = aliased(Account)
    rows = db.exec(
        select(PlanItem, responsible)
        .outerjoin(responsible, responsible.id == PlanItem.responsible_account_id)
        .where(PlanItem.patient_id == patient_id, col(PlanItem.archived_at).is_(None))
        .order_by(PlanItem.position, PlanItem.id)
    ).all()
    nodes = {item.id: PlanNode(item, account) for item, account in rows}
    roots: list[PlanNode] = []
    for node in nodes.values():
        parent = nodes.get(node.item.parent_id)
        if parent is not None:
            parent.children.append(node)
        elif node.item.kind == PlanItemKind.PROBLEM or node.item.parent_id is None:
            roots.append(node)
    return roots


def latest_plan_changes(db: Session, patient_id: int, limit: int = 5):
    """The newest changes of the care plan, with the item and who made them."""
    return db.exec(
        select(PlanRevision, PlanItem, Account)
        .join(PlanItem, PlanItem.id == PlanRevision.plan_item_id)
        .outerjoin(Account, Account.id == PlanRevision.account_id)
        .where(PlanRevision.patient_id == patient_id)
        .order_by(col(PlanRevision.created_at).desc(), col(PlanRevision.id).desc())
        .limit(limit)
    ).all()


def _appointments_query(patient_id: int):
    return (
        select(Appointment, Professional, Account)
        .outerjoin(Professional, Professional.id == Appointment.professional_id)
        .outerjoin(Account, Account.id == Professional.account_id)
        .where(Appointment.patient_id == patient_id)
    )


def next_appointment(db: Session, patient_id: int, now: datetime) -> AppointmentRow | None:
    row = db.exec(
        _appointments_query(patient_id)
        .where(Appointment.starts_at >= now, Appointment.status == AppointmentStatus.SCHEDULED)
        .order_by(Appointment.starts_at)
        .limit(1)
    ).first()
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


def patients_of(db: Session, professional_id: int) -> list[tuple[Patient, Account]]:
    """The patients whose care team includes this professional."""
    return db.exec(
        select(Patient, Account)
        .join(CareTeamMember, CareTeamMember.patient_id == Patient.id)
        .join(Account, Account.id == Patient.account_id)
        .where(
            CareTeamMember.professional_id == professional_id,
            col(CareTeamMember.ended_at).is_(None),
        )
        .order_by(Account.last_name, Account.first_name)
    ).all()


def carnets_helped_by(db: Session, account_id: int) -> list[tuple[Patient, Account]]:
    """The carnets a caregiver is linked to."""
    return db.exec(
        select(Patient, Account)
        .join(CaregiverLink, CaregiverLink.patient_id == Patient.id)
        .join(Account, Account.id == Patient.account_id)
        .where(CaregiverLink.caregiver_account_id == account_id)
        .order_by(Account.last_name, Account.first_name)
    ).all()
