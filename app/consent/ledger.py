"""The patient's decisions, appended to the consent ledger, with immediate effect.

Inside the care team sharing is presumed: switching a section off is an opposition,
switching it back on lifts it. Anyone else (a caregiver, a professional outside the
team) sees a section only once the patient grants it; switching it off revokes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g
from sqlmodel import Session

from .. import policy
from ..models import (
    SECTIONS,
    Account,
    ConsentEvent,
    ConsentKind,
    DeliveryStatus,
    Notification,
    NotificationKind,
    Patient,
    Role,
)
from ..notifications import people_around

WORDING_VERSION = "1"


@dataclass
class Person:
    """Someone around the carnet, and the sections they can see now."""

    account: Account
    in_team: bool
    sections: set[str]


def people_and_access(db: Session, patient: Patient) -> list[Person]:
    """Everyone who could see the carnet (but the patient), with what they see today."""
    others = [a for a in people_around(db, patient) if a.id != patient.account_id]
    team_ids = policy.care_team_account_ids(db, patient)
    people = []
    for account in others:
        allowed = policy.permissions(db, account, patient)
        people.append(Person(account, account.id in team_ids,
                             {s for s, actions in allowed.items() if policy.READ in actions}))
    order = {Role.CAREGIVER: 0, Role.PROFESSIONAL: 1}
    return sorted(people, key=lambda p: (order.get(p.account.role, 2), p.account.last_name))


def set_section(db: Session, patient: Patient, decided_by: Account, grantee: Account,
                section: str, visible: bool) -> ConsentEvent:
    """Show or stop showing one section to one person, from now on."""
    if section not in SECTIONS:
        raise ValueError(section)
    in_team = grantee.id in policy.care_team_account_ids(db, patient)
    if in_team:
        kind = ConsentKind.LIFT_OPPOSITION if visible else ConsentKind.OPPOSE
        scopes = [section]
    else:
        kind = ConsentKind.GRANT if visible else ConsentKind.REVOKE
        scopes = [section] if visible else [section, f"{section}:write"]
    event = ConsentEvent(patient_id=patient.id, kind=kind, grantee_account_id=grantee.id,
                         scopes=scopes, decided_by_id=decided_by.id,
                         wording_version=WORDING_VERSION)
    db.add(event)
    if not visible:
        # Notifications still waiting about this section must not reach this person.
        db.exec(sa.update(Notification).where(
            Notification.account_id == grantee.id, Notification.patient_id == patient.id,
            Notification.section == section,
            Notification.status == DeliveryStatus.PENDING,
        ).values(status=DeliveryStatus.DROPPED))
    db.add(Notification(account_id=grantee.id, patient_id=patient.id,
                        kind=NotificationKind.CONSENT_CHANGED, topic=f"consent-{patient.id}",
                        url="/"))
    g.pop("policy_cache", None)  # the decision applies to this very request too
    db.commit()
    return event
