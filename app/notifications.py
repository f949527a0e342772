"""The outbox: who is told about a change, written in the same transaction as the change.

A notification row carries no health data: the push worker builds a localized "something
changed in Carnet" message and a link from its kind, and checks the access policy again
when it sends.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from . import policy
from .models import (
    Account,
    CaregiverLink,
    CareTeamMember,
    ConsentEvent,
    DeliveryStatus,
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
    NotificationKind.APPOINTMENT_REMINDER: {Role.PATIENT, Role.CAREGIVER},
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
           actor: Account | None, url: str, urgent: bool = False,
           expires_at: datetime | None = None, now: datetime | None = None,
           to: list[Account] | None = None) -> list[Notification]:
    """Queue one notification per person who should hear of this change (not its author).

    ``expires_at``: not worth sending after (a reminder, once its appointment starts);
    ``now``: when it is written (the worker's scheduled jobs pass their clock);
    ``to``: the very people a change is about (a decision on what they see, a request
    waiting for the patient), told whatever they may read: ``section`` is then "", which
    the worker does not check again.
    Each person's own choices (kinds, quiet hours, digest) are applied by the worker.
    """
    roles = AUDIENCE.get(kind, {Role.PATIENT})
    rows = []
    for account in people_around(db, patient) if to is None else to:
        if actor is not None and account.id == actor.id:
            continue
        if to is None and (account.role not in roles or not policy.can(
                db, account, policy.READ, patient, section)):
            continue
        row = Notification(account_id=account.id, patient_id=patient.id, kind=kind,
                           section=section, urgent=urgent, topic=f"{kind.value}-{patient.id}",
                           url=url, expires_at=expires_at)
        if now is not None:
            row.created_at = row.not_before = now
        db.add(row)
        rows.append(row)
    return rows


def withdraw(db: Session, kind: NotificationKind, url: str, reason: str) -> None:
    """Drop the notifications of ``kind`` about ``url`` not yet on their way (a reminder of
    an appointment that was just cancelled or moved)."""
    db.exec(sa.update(Notification).where(
        Notification.kind == kind, Notification.url == url,
        Notification.status == DeliveryStatus.PENDING, Notification.attempts == 0,
    ).values(status=DeliveryStatus.DROPPED, last_error=reason))
