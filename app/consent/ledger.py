"""The patient's decisions, appended to the consent ledger, with immediate effect (the
request commits them; nothing here does).

Inside the care team sharing is presumed: switching a section off is an opposition,
switching it back on lifts it. Anyone else (a caregiver, a professional outside the
team) sees a section only once the patient grants it, possibly until a date; switching
it off revokes it. Write scopes ("notes:write": may write in the notebook,
"symptoms:write": may report how the patient feels) are granted the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlmodel import Session, col, select

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
from ..notifications import notify, people_around
from ..types import utcnow

WORDING_VERSION = "2"  # the wording of "Who can see my carnet" the patient decided on
WRITE_SCOPES = ("notes:write", "symptoms:write")
SCOPES = (*SECTIONS, *WRITE_SCOPES)
PARIS = ZoneInfo("Europe/Paris")
# The furthest last day of a grant: beyond, the patient means "no end" (an empty date).
UNTIL_HORIZON = timedelta(days=100 * 365)


@dataclass
class Person:
    """Someone around the carnet, what they can see and do now, and until when."""

    account: Account
    in_team: bool
    sections: set[str]
    scopes: set[str]  # granted and still running: sections and write scopes
    ends_at: datetime | None  # when what they were granted stops, if it does

    @property
    def may_be_granted(self) -> bool:
        """Outside the team, sharing is a grant that can carry an end date."""
        return not self.in_team

    @property
    def until(self) -> date | None:
        """The last day they can see the carnet (the end is midnight after it)."""
        if self.ends_at is None:
            return None
        return (self.ends_at.astimezone(PARIS) - timedelta(seconds=1)).date()


def until_error(day: date) -> str | None:
    """Why ``day`` cannot be the last day of a grant, if it cannot: it is past, or further
    than anyone means (31/12/9999 has no midnight after it to end on)."""
    today = utcnow().astimezone(PARIS).date()
    if day < today:
        return _("This date is already past. Choose today or a later day.")
    if day > today + UNTIL_HORIZON:
        return _("This date is too far away. Leave it empty for no end.")
    return None


def end_of_day(day: date | None) -> datetime | None:
    """Midnight after ``day`` in France, in UTC: a grant "until 30 June" lasts all that day."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1), time(0), PARIS).astimezone(utcnow().tzinfo)


def _ledgers(db: Session, patient: Patient, grantee_ids: Iterable[int]) -> dict[int, policy.Ledger]:
    """The folded ledger of each grantee, in one query."""
    events = db.exec(select(ConsentEvent).where(
        ConsentEvent.patient_id == patient.id,
        col(ConsentEvent.grantee_account_id).in_(list(grantee_ids)),
    ).order_by(ConsentEvent.id)).all()
    return {grantee_id: policy.fold(e for e in events if e.grantee_account_id == grantee_id)
            for grantee_id in grantee_ids}


def _running(ledger: policy.Ledger, now: datetime) -> set[str]:
    return {scope for scope in ledger.grants if ledger.granted(scope, now)}


def _common_end(ledger: policy.Ledger, scopes: set[str]) -> datetime | None:
    """The end shared by what is granted (the latest one), or None if anything is open-ended."""
    ends = [ledger.grants[scope] for scope in scopes]
    if not ends or any(end is None for end in ends):
        return None
    return max(ends)


def people_and_access(db: Session, patient: Patient) -> list[Person]:
    """Everyone who could see the carnet (but the patient), with what they see today."""
    others = [a for a in people_around(db, patient) if a.id != patient.account_id]
    team_ids = policy.care_team_account_ids(db, patient)
    ledgers = _ledgers(db, patient, [a.id for a in others])
    now = utcnow()
    people = []
    for account in others:
        allowed = policy.permissions(db, account, patient)
        in_team = account.id in team_ids
        running = _running(ledgers[account.id], now) if not in_team else set()
        people.append(Person(
            account, in_team, {s for s, actions in allowed.items() if policy.READ in actions},
            running, _common_end(ledgers[account.id], running),
        ))
    order = {Role.CAREGIVER: 0, Role.PROFESSIONAL: 1}
    return sorted(people, key=lambda p: (order.get(p.account.role, 2), p.account.last_name))


def _append(db: Session, patient: Patient, decided_by: Account, grantee: Account,
            kind: ConsentKind, scopes: list[str], ends_at: datetime | None = None) -> ConsentEvent:
    event = ConsentEvent(patient_id=patient.id, kind=kind, grantee_account_id=grantee.id,
                         scopes=scopes, ends_at=ends_at, decided_by_id=decided_by.id,
                         wording_version=WORDING_VERSION)
    db.add(event)
    if kind in (ConsentKind.REVOKE, ConsentKind.OPPOSE):
        # Notifications still waiting about a hidden section must not reach this person.
        sections = {scope for scope in scopes if scope in SECTIONS}
        if sections:
            db.exec(sa.update(Notification).where(
                Notification.account_id == grantee.id, Notification.patient_id == patient.id,
                col(Notification.section).in_(sections),
                Notification.status == DeliveryStatus.PENDING,
            ).values(status=DeliveryStatus.DROPPED))
    notify(db, patient, NotificationKind.CONSENT_CHANGED, "", decided_by, "/", to=[grantee])
    policy.forget()  # the decision applies to this very request too
    return event


def set_scope(db: Session, patient: Patient, decided_by: Account, grantee: Account,
              scope: str, visible: bool) -> ConsentEvent:
    """Show or stop showing one section (or allow one kind of writing) to one person."""
    if scope not in SCOPES:
        raise ValueError(scope)
    in_team = grantee.id in policy.care_team_account_ids(db, patient)
    if in_team:
        if scope not in SECTIONS:
            raise ValueError(scope)  # inside the team, writing goes with seeing
        kind = ConsentKind.LIFT_OPPOSITION if visible else ConsentKind.OPPOSE
        event = _append(db, patient, decided_by, grantee, kind, [scope])
    elif visible:
        ledger = _ledgers(db, patient, [grantee.id])[grantee.id]
        running = _running(ledger, utcnow())
        # Writing in the notebook needs reading it; a new part lasts as long as the rest.
        scopes = [scope, "notes"] if scope == "notes:write" else [scope]
        event = _append(db, patient, decided_by, grantee, ConsentKind.GRANT, scopes,
                        _common_end(ledger, running))
    else:
        scopes = [scope] if ":" in scope else [scope, f"{scope}:write"]
        event = _append(db, patient, decided_by, grantee, ConsentKind.REVOKE, scopes)
    return event


def set_section(db: Session, patient: Patient, decided_by: Account, grantee: Account,
                section: str, visible: bool) -> ConsentEvent:
    """Show or stop showing one section to one person, from now on."""
    if section not in SECTIONS:
        raise ValueError(section)
    return set_scope(db, patient, decided_by, grantee, section, visible)


def grant(db: Session, patient: Patient, decided_by: Account, grantee: Account,
          scopes: Iterable[str], until: date | None = None) -> ConsentEvent:
    """Let someone outside the team see (and do) ``scopes``, until the end of ``until``
    (flushed: the change that goes with it, an invitation or an accepted request, needs its
    id)."""
    scopes = [scope for scope in SCOPES if scope in set(scopes)]
    if "notes:write" in scopes and "notes" not in scopes:
        scopes.append("notes")
    if not scopes:
        raise ValueError("nothing to grant")
    event = _append(db, patient, decided_by, grantee, ConsentKind.GRANT, scopes,
                    end_of_day(until))
    db.flush()
    return event


def set_until(db: Session, patient: Patient, decided_by: Account, grantee: Account,
              until: date | None) -> ConsentEvent | None:
    """Make everything granted to one person last until ``until`` (or with no end)."""
    ledger = _ledgers(db, patient, [grantee.id])[grantee.id]
    running = _running(ledger, utcnow())
    if not running:
        return None
    event = _append(db, patient, decided_by, grantee, ConsentKind.GRANT, sorted(running),
                    end_of_day(until))
    return event


def stop_sharing(db: Session, patient: Patient, decided_by: Account,
                 grantee: Account) -> ConsentEvent:
    """One tap: this person (outside the team) no longer sees or does anything."""
    if grantee.id in policy.care_team_account_ids(db, patient):
        raise ValueError("the care team is opposed section by section")
    event = _append(db, patient, decided_by, grantee, ConsentKind.REVOKE, list(SCOPES))
    return event
