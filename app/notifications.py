"""The outbox: who is told about a change, written in the same transaction as the change.

A notification row carries no health data: the push worker builds a localized "something
changed in Carnet" message and a link from its kind, and checks the access policy again
when it sends.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from . import policy
from .models import (
    Account,
    CaregiverLink,
    CareTeamMember,
    ConsentEvent,
    Notification,
    NotificationKind,
    Patient,
    Professional,
    Role,
)

# Who hears of each kind of change (among those allowed to read the section).
AUDIENCE: dict[NotificationKind, set[Role]] = {
    NotificationKind.PLAN_CHANGED: {Role.PATIENT, Role.CAREGIVER},
    NotificationKind.APPOINTMENT_CHANGED: {Role.PATIENT, Role.CAREGIVER},
    NotificationKind.NOTE_ADDED: {Role.PATIENT, Role.CAREGIVER, Role.PROFESSIONAL},
    NotificationKind.SYMPTOM_REPORT: {Role.PROFESSIONAL},
}


def people_around(db: Session, patient: Patient) -> list[Account]:
    """The patient, their caregivers, their care team and anyone they granted access to."""
    team = select(Professional.account_id).join(
        CareTeamMember, CareTeamMember.professional_id == Professional.id
    ).where(CareTeamMember.patient_id == patient.id, col(CareTeamMember.ended_at).is_(None))
    caregivers = select(CaregiverLink.caregiver_account_id).where(
        CaregiverLink.patient_id == patient.id)
    grantees = select(ConsentEvent.grantee_account_id).where(
        ConsentEvent.patient_id == patient.id)
    return list(db.exec(select(Account).where(
        (Account.id == patient.account_id) | col(Account.id).in_(team)
        | col(Account.id).in_(caregivers) | col(Account.id).in_(grantees)
    )).all())


def notify(db: Session, patient: Patient, kind: NotificationKind, section: str,
           actor: Account | None, url: str, urgent: bool = False) -> list[Notification]:
    """Queue one notification per person who should hear of this change (not its author)."""
    roles = AUDIENCE.get(kind, {Role.PATIENT})
    rows = []
    for account in people_around(db, patient):
        if actor is not None and account.id == actor.id:
            continue
        if account.role not in roles or not policy.can(db, account, policy.READ, patient,
                                                        section):
            continue
        row = Notification(account_id=account.id, patient_id=patient.id, kind=kind,
                           section=section, urgent=urgent, topic=f"{kind.value}-{patient.id}",
                           url=url)
        db.add(row)
        rows.append(row)
    return rows
