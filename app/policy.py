"""The one place that decides who may read or write which part of a patient's carnet.

French law (Code de la santé publique, L1110-4): inside the care team (équipe de
soins) sharing is presumed and the patient may oppose it, section by section;
outside it — a caregiver, a social worker — nothing is shared without the patient's
explicit grant, which may end at a date. Permissions are a fold of the consent
ledger, never stored beside it. Every access by someone other than the patient,
allowed or refused, is audited (by the way into a carnet, ``app/carnet/access.py``, which
asks this module); a refusal answers 404, never 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import g
from sqlmodel import Session, col, select

from .db import ids_in
from .models import (
    SECTIONS,
    Account,
    CaregiverLink,
    CareTeamMember,
    ConsentEvent,
    ConsentKind,
    Delegation,
    HealthLink,
    InvitationKind,
    Patient,
    PlanItem,
    Profession,
    Professional,
    Role,
    TeamRole,
)
from .types import utcnow

READ = "read"
WRITE = "write"  # take part: a note, a comment, the status of one's own action
MANAGE = "manage"  # keep the plan and the appointments up to date: the care team
# Parts that only the patient opens: their sharing choices and audit trail, their calendar link.
OWNER_ONLY = {"consent", "calendar"}


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


def decide(
    events: Iterable[ConsentEvent], in_team: bool, linked: bool, now: datetime
) -> dict[str, set[str]]:
    """What one professional or caregiver may do on one carnet (section → actions).

    ``events`` are the patient's decisions about them, oldest first; ``in_team``: they
    are in the current care team; ``linked``: they may be near the carnet at all (every
    professional; a caregiver while their link lasts).
    """
    if not linked:
        return {}
    if in_team and not events:  # most of a GP's patients: the team's presumed sharing
        return dict(_TEAM_SHARING)
    ledger = fold(events)
    allowed: dict[str, set[str]] = {}
    for section in SECTIONS:
        if in_team:
            # Sharing is presumed in the team, and the patient's opposition always wins,
            # even over a grant made while the professional was still outside the team.
            if section not in ledger.opposed:
                allowed[section] = {READ, WRITE, MANAGE}
            continue
        actions = {action for action in (READ, WRITE)
                   if ledger.granted(_scope(action, section), now)}
        if actions:
            allowed[section] = actions
    return allowed


_TEAM_SHARING = {section: frozenset({READ, WRITE, MANAGE}) for section in SECTIONS}


def _decide_many(
    db: Session, actor: Account, patients: list[Patient], now: datetime
) -> dict[int, dict[str, set[str]]]:
    """Every (section → actions) ``actor`` may do on each carnet, in three queries at most."""
    decided: dict[int, dict[str, set[str]]] = {}
    others = []
    for patient in patients:
        if actor.id == patient.account_id:
            decided[patient.id] = {section: {READ, WRITE} for section in SECTIONS}
        else:
            decided[patient.id] = {}
            others.append(patient.id)
    if not others or actor.role not in (Role.PROFESSIONAL, Role.CAREGIVER) or not actor.is_active:
        return decided
    events = db.exec(
        select(ConsentEvent)
        .where(ids_in(db, col(ConsentEvent.patient_id), others),
               ConsentEvent.grantee_account_id == actor.id)
        .order_by(ConsentEvent.id)
    ).all()
    if actor.role == Role.PROFESSIONAL:
        # Inside the care team sharing is presumed; the patient may oppose it by section.
        presumed = set(db.exec(
            select(CareTeamMember.patient_id)
            .join(Professional, Professional.id == CareTeamMember.professional_id)
            .where(ids_in(db, col(CareTeamMember.patient_id), others),
                   col(CareTeamMember.ended_at).is_(None), Professional.account_id == actor.id)
        ).all())
        linked = set(others)
    else:
        presumed = set()
        linked = {
            link.patient_id for link in db.exec(
                select(CaregiverLink).where(ids_in(db, col(CaregiverLink.patient_id), others),
                                            CaregiverLink.caregiver_account_id == actor.id))
            if link.ends_at is None or now < link.ends_at
        }
    ledgers: dict[int, list[ConsentEvent]] = {patient_id: [] for patient_id in others}
    for event in events:  # in ledger order, each patient's own
        ledgers[event.patient_id].append(event)
    for patient_id in others:
        decided[patient_id] = decide(ledgers[patient_id], patient_id in presumed,
                                     patient_id in linked, now)
    return decided


class Decisions:
    """What the policy has decided during one request (or one job of a worker): each
    person's permissions on each carnet, so that a page asking many questions costs the
    queries of one decision. A change of the consent ledger forgets them (:func:`forget`).
    """

    def __init__(self) -> None:
        self._allowed: dict[tuple[int, int], dict[str, set[str]]] = {}

    def preload(self, db: Session, actor: Account, patients: list[Patient]) -> None:
        missing = [p for p in patients if (actor.id, p.id) not in self._allowed]
        if not missing:
            return
        for patient_id, allowed in _decide_many(db, actor, missing, utcnow()).items():
            self._allowed[(actor.id, patient_id)] = allowed

    def permissions(self, db: Session, actor: Account, patient: Patient) -> dict[str, set[str]]:
        # Asked once per carnet and section on a list page (900 times on a GP's inbox):
        # the decided answer at once.
        allowed = self._allowed.get((actor.id, patient.id))
        if allowed is None:
            self.preload(db, actor, [patient])
            allowed = self._allowed[(actor.id, patient.id)]
        return allowed

    def forget(self) -> None:
        self._allowed.clear()


def decisions() -> Decisions:
    """The decisions of the current request (or job)."""
    if "policy_decisions" not in g:
        g.policy_decisions = Decisions()
    return g.policy_decisions


def forget() -> None:
    """Decide afresh from now on: the consent ledger or the care team has just changed, and
    its change applies to the rest of this very request (or job)."""
    decisions().forget()


def preload(db: Session, actor: Account | None, patients: list[Patient]) -> None:
    """Decide for many carnets at once (a list page), so each later check costs no query."""
    if actor is not None:
        decisions().preload(db, actor, patients)


def permissions(db: Session, actor: Account | None, patient: Patient) -> dict[str, set[str]]:
    """The sections and actions ``actor`` has on ``patient``, decided once a request."""
    if actor is None:
        return {}
    return decisions().permissions(db, actor, patient)


def can(db: Session, actor: Account | None, action: str, patient: Patient, section: str) -> bool:
    """May ``actor`` do ``action`` (read, write, manage) on ``section`` of ``patient``'s carnet?"""
    if section in OWNER_ONLY:
        return is_owner(actor, patient)
    return action in permissions(db, actor, patient).get(section, set())


def readable_sections(db: Session, actor: Account | None, patients: list[Patient]
                      ) -> dict[int, set[str]]:
    """The sections ``actor`` may read in each carnet of a list page (what a count there
    may count), in the queries of one :func:`preload`."""
    preload(db, actor, patients)
    return {patient.id: {section for section in SECTIONS if can(db, actor, READ, patient,
                                                                  section)}
            for patient in patients}


def allowed(db: Session, actor: Account | None, patients: list, action: str, section: str
            ) -> list:
    """Those of ``patients`` (list pages: anything with ``id`` and ``account_id``) whose
    ``section`` ``actor`` may ``action``, as :func:`can` decides each, in the queries of
    one :func:`preload` — a GP's inbox asks it for his 300 carnets."""
    if section in OWNER_ONLY:
        return [patient for patient in patients if is_owner(actor, patient)]
    if actor is None:
        return []
    chosen = decisions()
    chosen.preload(db, actor, patients)
    return [patient for patient in patients
            if action in chosen.permissions(db, actor, patient).get(section, ())]


def may_set_status(
    db: Session, actor: Account | None, patient: Patient, responsible_account_id: int | None
) -> bool:
    """The care team sets any action's status; the person responsible for it, their own."""
    if can(db, actor, MANAGE, patient, "plan"):
        return True
    return (
        actor is not None
        and responsible_account_id == actor.id
        and can(db, actor, READ, patient, "plan")
    )


def may_answer_delegation(db: Session, actor: Account | None, patient: Patient,
                          item: PlanItem) -> bool:
    """Only the professional an action was put on answers its request, while it waits and
    while they may read the plan."""
    return (actor is not None and item.delegation == Delegation.ASKED
            and item.responsible_account_id == actor.id
            and can(db, actor, READ, patient, "plan"))


def is_owner(actor: Account | None, patient: Patient) -> bool:
    """The patient themself: the only one who decides on consent and reads the audit trail."""
    return actor is not None and actor.id == patient.account_id


def may_open_health_link(link: HealthLink, now: datetime) -> bool:
    """A hand-over link (SMART Health Link) the patient made gives its copy to whoever
    holds it — and its passcode, when she set one (checked by app/fhir/health_links.py) —
    until it expires, she ends it, or the sixth wrong passcode ends it."""
    return link.ended_at is None and now < link.expires_at


def care_team_account_ids(db: Session, patient: Patient) -> set[int]:
    """The accounts of the patient's current care team (équipe de soins)."""
    return set(db.exec(
        select(Professional.account_id)
        .join(CareTeamMember, CareTeamMember.professional_id == Professional.id)
        .where(CareTeamMember.patient_id == patient.id, col(CareTeamMember.ended_at).is_(None))
    ).all())


def may_ask_on_behalf(db: Session, actor: Account | None, patient: Patient) -> bool:
    """The coordinator of the patient's care team may ask the patient to let a professional
    outside the team in; the patient still decides."""
    if actor is None or actor.role != Role.PROFESSIONAL or not can(db, actor, MANAGE, patient,
                                                                  "team"):
        return False
    return db.exec(
        select(CareTeamMember.id)
        .join(Professional, Professional.id == CareTeamMember.professional_id)
        .where(CareTeamMember.patient_id == patient.id, col(CareTeamMember.ended_at).is_(None),
               Professional.account_id == actor.id,
               (CareTeamMember.team_role == TeamRole.REFERENT)
               | (Professional.profession == Profession.COORDINATOR))
    ).first() is not None


def may_author(actor: Account | None) -> bool:
    """Association editors and professionals write and review educational pages and
    questionnaires. That space holds no patient data, and being an author opens none:
    an editor is neither in a care team nor linked to a carnet, so every carnet says 404."""
    return actor is not None and actor.is_active and actor.role in (Role.EDITOR,
                                                                    Role.PROFESSIONAL)


def may_ask_access(db: Session, actor: Account | None, patient: Patient) -> bool:
    """Only a professional outside the patient's care team has something to ask with the
    link the patient handed them (``/access/<token>``); the patient still decides."""
    return (actor is not None and actor.role == Role.PROFESSIONAL and actor.is_active
            and actor.id not in care_team_account_ids(db, patient))


def may_invite(db: Session, actor: Account | None, kind: InvitationKind,
               patient: Patient | None = None) -> bool:
    """Who may invite whom: a professional opens a carnet for a patient; an administrator
    or the territory's coordinator invites a professional; whoever may write in a care team
    brings a professional into it; the patient alone invites a caregiver."""
    if actor is None or not actor.is_active:
        return False
    if kind == InvitationKind.TEAM_MEMBER:
        return patient is not None and can(db, actor, WRITE, patient, "team")
    if kind == InvitationKind.CAREGIVER:
        return patient is not None and is_owner(actor, patient)
    if kind == InvitationKind.PROFESSIONAL and actor.role == Role.ADMIN:
        return True
    if actor.role != Role.PROFESSIONAL or kind not in (InvitationKind.PATIENT,
                                                        InvitationKind.PROFESSIONAL):
        return False
    from .auth.session import own_professional  # found with the session when it is g.account

    professional = own_professional(actor)
    profession = professional.profession if professional is not None else None
    if kind == InvitationKind.PATIENT:
        return profession is not None
    return profession == Profession.COORDINATOR
