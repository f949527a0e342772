"""The one place that decides who may read or write which part of a patient's carnet.

French law (Code de la santé publique, L1110-4): inside the care team (équipe de
soins) sharing is presumed and the patient may oppose it, section by section;
outside it — a caregiver, a social worker — nothing is shared without the patient's
explicit grant, which may end at a date. Permissions are a fold of the consent
ledger, never stored beside it. Every access by someone other than the patient,
allowed or refused, is audited; a refusal answers 404, never 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import abort, g
from sqlmodel import Session, select

from .models import (
    SECTIONS,
    Account,
    AuditAction,
    AuditEvent,
    CaregiverLink,
    CareTeamMember,
    ConsentEvent,
    ConsentKind,
    Patient,
    Professional,
    Role,
)
from .types import utcnow

READ = "read"
WRITE = "write"


@dataclass
class Ledger:
    """What the consent ledger says for one grantee of one patient."""

    grants: dict[str, datetime | None] = field(default_factory=dict)  # scope -> end
    opposed: set[str] = field(default_factory=set)

    def granted(self, scope: str, now: datetime) -> bool:
        if scope not in self.grants:
            return False
        ends_at = self.grants[scope]
        return ends_at is None or now < ends_at


def fold(events: Iterable[ConsentEvent]) -> Ledger:
    """Fold one grantee's consent events, oldest first, into the current state."""
    ledger = Ledger()
    for event in events:
        for scope in event.scopes:
            if event.kind == ConsentKind.GRANT:
                ledger.grants[scope] = event.ends_at
            elif event.kind == ConsentKind.REVOKE:
                ledger.grants.pop(scope, None)
            elif event.kind == ConsentKind.OPPOSE:
                ledger.opposed.add(scope)
            elif event.kind == ConsentKind.LIFT_OPPOSITION:
                ledger.opposed.discard(scope)
    return ledger


def _scope(action: str, section: str) -> str:
    return section if action == READ else f"{section}:{action}"


def _decide(db: Session, actor: Account, patient: Patient, now: datetime) -> dict[str, set[str]]:
    """Every (section → actions) ``actor`` may do on ``patient``'s carnet."""
    if actor.id == patient.account_id:
        return {section: {READ, WRITE} for section in SECTIONS}
    if actor.role in (Role.EDITOR, Role.ADMIN) or not actor.is_active:
        return {}
    events = db.exec(
        select(ConsentEvent)
        .where(ConsentEvent.patient_id == patient.id, ConsentEvent.grantee_account_id == actor.id)
        .order_by(ConsentEvent.id)
    ).all()
    ledger = fold(events)
    allowed: dict[str, set[str]] = {}
    if actor.role == Role.PROFESSIONAL:
        if _in_care_team(db, actor, patient):
            for section in SECTIONS:
                if section not in ledger.opposed:
                    allowed[section] = {READ, WRITE}
    elif actor.role == Role.CAREGIVER:
        link = db.exec(
            select(CaregiverLink).where(
                CaregiverLink.patient_id == patient.id,
                CaregiverLink.caregiver_account_id == actor.id,
            )
        ).first()
        if link is None or (link.ends_at is not None and link.ends_at <= now):
            return {}
    else:
        return {}
    for section in SECTIONS:
        for action in (READ, WRITE):
            if ledger.granted(_scope(action, section), now):
                allowed.setdefault(section, set()).add(action)
    return allowed


def _in_care_team(db: Session, actor: Account, patient: Patient) -> bool:
    row = db.exec(
        select(CareTeamMember.id)
        .join(Professional, Professional.id == CareTeamMember.professional_id)
        .where(
            CareTeamMember.patient_id == patient.id,
            CareTeamMember.ended_at.is_(None),  # type: ignore[union-attr]
            Professional.account_id == actor.id,
        )
    ).first()
    return row is not None


def permissions(db: Session, actor: Account | None, patient: Patient) -> dict[str, set[str]]:
    """The sections and actions ``actor`` has on ``patient``, memoized for the request."""
    if actor is None:
        return {}
    cache = g.setdefault("policy_cache", {})
    key = (actor.id, patient.id)
    if key not in cache:
        cache[key] = _decide(db, actor, patient, utcnow())
    return cache[key]


def can(db: Session, actor: Account | None, action: str, patient: Patient, section: str) -> bool:
    """May ``actor`` do ``action`` (read or write) on ``section`` of ``patient``'s carnet?"""
    return action in permissions(db, actor, patient).get(section, set())


def check(
    db: Session,
    actor: Account | None,
    action: str,
    patient: Patient,
    section: str,
    *,
    audit_action: AuditAction | None = None,
    object_type: str = "",
    object_id: int | None = None,
) -> None:
    """Allow, or answer 404; audit the access when the actor is not the patient.

    The audit event joins the request's transaction: the caller commits it with its
    change, or :func:`commit_audit` does for plain reads.
    """
    allowed = can(db, actor, action, patient, section)
    if actor is None or actor.id != patient.account_id:
        db.add(
            AuditEvent(
                patient_id=patient.id,
                actor_account_id=actor.id if actor else None,
                actor_role=actor.role if actor else None,
                section=section,
                action=audit_action or (AuditAction.READ if action == READ else AuditAction.UPDATE),
                allowed=allowed,
                object_type=object_type,
                object_id=object_id,
            )
        )
        if not allowed:
            db.commit()  # a refusal is audited too, then answered like a missing page
    if not allowed:
        abort(404)
