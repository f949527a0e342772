"""Changes to the care plan (PPCS), each kept as a revision; edits are safe under concurrency.

Every item carries a version. A change names the version it was based on, and the
update only happens while the row still has that version: a stale save is refused
with the current value and its author, never silently overwritten.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ..db import require_version, save_version
from ..models import (
    Account,
    ChangeKind,
    Delegation,
    NotificationKind,
    Patient,
    PlanItem,
    PlanItemKind,
    PlanRevision,
    Role,
)
from ..models.base import reworded
from ..notifications import notify
from ..types import utcnow

PARENT_KIND = {PlanItemKind.GOAL: PlanItemKind.PROBLEM, PlanItemKind.ACTION: PlanItemKind.GOAL}
EDITABLE = ("title", "details", "status", "responsible_account_id", "supervisor_account_id",
            "due_date", "content_slug")
NOT_DELEGATED = {"delegation": None, "delegated_by_id": None, "delegation_note": ""}


def _snapshot(item: PlanItem, fields=EDITABLE) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in fields}
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def fits(kind: PlanItemKind, parent: PlanItem | None) -> bool:
    """Whether an item of ``kind`` may hang under ``parent`` (a problem under nothing)."""
    return PARENT_KIND.get(kind) == (parent.kind if parent else None)


def _revise(db: Session, item: PlanItem, actor: Account, change: ChangeKind,
            before: dict, after: dict, comment: str = "") -> None:
    db.add(PlanRevision(plan_item_id=item.id, patient_id=item.patient_id, account_id=actor.id,
                        change=change, version=item.version, before=before, after=after,
                        comment=comment))


def _tell(db: Session, patient: Patient, actor: Account) -> None:
    notify(db, patient, NotificationKind.PLAN_CHANGED, "plan", actor,
           url=f"/carnet/{patient.id}/plan")


def _delegated(db: Session, actor: Account, responsible_id: int | None) -> dict[str, Any]:
    """An action put on another professional's name is a request, until they answer;
    on one's own name, or on a patient's or a caregiver's, it is not."""
    if responsible_id is None or responsible_id == actor.id or db.exec(select(
            Account.role).where(Account.id == responsible_id)).first() != Role.PROFESSIONAL:
        return NOT_DELEGATED
    return {"delegation": Delegation.ASKED, "delegated_by_id": actor.id, "delegation_note": ""}


def _ask(db: Session, patient: Patient, item: PlanItem, actor: Account) -> None:
    """Tell the professional asked to do ``item``: it waits in their day."""
    if item.delegation == Delegation.ASKED:
        notify(db, patient, NotificationKind.PLAN_CHANGED, "", actor,
               url=f"/carnet/{patient.id}/plan/{item.id}",
               to=[db.get(Account, item.responsible_account_id)])


def add_item(db: Session, patient: Patient, actor: Account, kind: PlanItemKind,
             parent: PlanItem | None, values: dict[str, Any]) -> PlanItem:
    """Add a problem, a goal (under a problem) or an action (under a goal), with its
    fields ``values`` (checked by the form)."""
    if not fits(kind, parent) or (parent is not None and parent.patient_id != patient.id):
        raise ValueError(f"a {kind} cannot go there")
    siblings = db.exec(select(sa.func.max(PlanItem.position)).where(
        PlanItem.patient_id == patient.id, PlanItem.parent_id == (parent.id if parent else None)
    )).one()
    if kind == PlanItemKind.ACTION:
        values = {**values, **_delegated(db, actor, values.get("responsible_account_id"))}
    item = PlanItem(patient_id=patient.id, kind=kind, parent_id=parent.id if parent else None,
                    position=(siblings or 0) + 1, created_by_id=actor.id, updated_by_id=actor.id,
                    **values)
    db.add(item)
    db.flush()
    _revise(db, item, actor, ChangeKind.CREATED, {}, _snapshot(item))
    _tell(db, patient, actor)
    _ask(db, patient, item, actor)
    return item


def update_item(db: Session, patient: Patient, item: PlanItem, actor: Account,
                base_version: int, values: dict[str, Any]) -> PlanItem:
    """Save changed fields of ``item`` if nobody changed it since ``base_version``; else
    raise :class:`~app.db.StaleEdit`."""
    before = _snapshot(item, tuple(values))
    changed = {k: v for k, v in values.items() if getattr(item, k) != v}
    if not changed:
        require_version(db, item, base_version)
        return item
    delegation = (_delegated(db, actor, changed["responsible_account_id"])
                  if "responsible_account_id" in changed else {})
    save_version(db, item, base_version, actor.id,
                 {**changed, **reworded(changed, {"title", "details"}), **delegation})
    after = _snapshot(item, tuple(changed))
    only_status = set(changed) == {"status"}
    _revise(db, item, actor, ChangeKind.STATUS if only_status else ChangeKind.UPDATED,
            {k: before[k] for k in changed}, after)
    _tell(db, patient, actor)
    if delegation:
        _ask(db, patient, item, actor)
    return item


def answer_delegation(db: Session, patient: Patient, item: PlanItem, actor: Account,
                      base_version: int, accepted: bool, note: str) -> PlanItem:
    """The professional asked to do ``item`` accepts it (it is theirs, with ``note``: until
    when, under whose supervision) or declines it (``note``: why). Kept in its history; the
    one who asked is told. The caller checked ``policy.may_answer_delegation``."""
    answer = Delegation.ACCEPTED if accepted else Delegation.DECLINED
    save_version(db, item, base_version, actor.id, {"delegation": answer,
                                                    "delegation_note": note})
    _revise(db, item, actor, ChangeKind.DELEGATION, {"delegation": Delegation.ASKED.value},
            {"delegation": answer.value}, comment=note)
    _tell(db, patient, actor)
    requester = db.get(Account, item.delegated_by_id) if item.delegated_by_id else None
    if requester is not None:
        notify(db, patient, NotificationKind.PLAN_CHANGED, "", actor,
               url=f"/carnet/{patient.id}/plan/{item.id}", to=[requester])
    return item


def add_comment(db: Session, patient: Patient, item: PlanItem, actor: Account, text: str) -> None:
    """A comment on an item, kept in its history."""
    _revise(db, item, actor, ChangeKind.COMMENT, {}, {}, comment=text)
    _tell(db, patient, actor)


def move(db: Session, patient: Patient, item: PlanItem, actor: Account, direction: str) -> None:
    """Swap ``item`` with its neighbour above ("up") or below ("down") among its siblings."""
    siblings = db.exec(
        select(PlanItem)
        .where(PlanItem.patient_id == item.patient_id, PlanItem.parent_id == item.parent_id,
               col(PlanItem.archived_at).is_(None))
        .order_by(PlanItem.position, PlanItem.id)
    ).all()
    index = next(i for i, s in enumerate(siblings) if s.id == item.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return
    ordered = list(siblings)
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, sibling in enumerate(ordered, start=1):
        sibling.position = position
    _revise(db, item, actor, ChangeKind.MOVED, {"position": index + 1}, {"position": other + 1})


def archive(db: Session, patient: Patient, item: PlanItem, actor: Account,
            base_version: int) -> None:
    """Take an item (and what hangs under it) out of the plan, if nobody changed it since
    ``base_version``; its history stays."""
    now = utcnow()
    save_version(db, item, base_version, actor.id, {"archived_at": now})
    under, frontier = [], [item.id]
    while frontier:
        frontier = list(db.exec(select(PlanItem.id).where(col(PlanItem.parent_id).in_(frontier))))
        under += frontier
    if under:
        db.exec(sa.update(PlanItem).where(col(PlanItem.id).in_(under))
                .values(archived_at=now, version=PlanItem.version + 1))
    _revise(db, item, actor, ChangeKind.DELETED, {"title": item.title}, {})
    _tell(db, patient, actor)
