"""Changes to the care plan (PPCS), each kept as a revision; edits are safe under concurrency.

Every item carries a version. A change names the version it was based on, and the
update only happens while the row still has that version: a stale save is refused
with the current value and its author, never silently overwritten.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlmodel import Session, col, select

from ..ids import parse_id
from ..models import (
    Account,
    ActionStatus,
    ChangeKind,
    NotificationKind,
    Patient,
    PlanItem,
    PlanItemKind,
    PlanRevision,
)
from ..notifications import notify
from ..types import utcnow
from .validation import InputError, too_long

TITLE_MAX = 200
DETAILS_MAX = 2000
COMMENT_MAX = 1000
PARENT_KIND = {PlanItemKind.GOAL: PlanItemKind.PROBLEM, PlanItemKind.ACTION: PlanItemKind.GOAL}
EDITABLE = ("title", "details", "status", "responsible_account_id", "due_date", "content_slug")


@dataclass
class StaleEdit(Exception):
    """The item changed since the form was opened: here is what it is now, and who did it."""

    current: PlanItem
    by: Account | None


def _snapshot(item: PlanItem, fields=EDITABLE) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in fields}
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _check_text(errors: dict[str, str], field: str, value: str, maximum: int, required: bool):
    if required and not value.strip():
        errors[field] = _("Please write something here.")
    elif len(value) > maximum:
        errors[field] = too_long(maximum, len(value))


def validate(values: dict[str, Any], people: set[int],
             pages: Collection[str] = ()) -> dict[str, Any]:
    """Clean the editable fields of an item; raise InputError with every problem.

    ``people`` are the accounts an action may be given to, ``pages`` the slugs of the
    educational pages it may point at.
    """
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if "title" in values:
        clean["title"] = (values["title"] or "").strip()
        _check_text(errors, "title", clean["title"], TITLE_MAX, required=True)
    if "details" in values:
        clean["details"] = (values["details"] or "").strip()
        _check_text(errors, "details", clean["details"], DETAILS_MAX, required=False)
    if "status" in values:
        try:
            clean["status"] = ActionStatus(values["status"])
        except ValueError:
            errors["status"] = _("Choose a status from the list.")
    if "responsible_account_id" in values:
        raw = values["responsible_account_id"]
        person = parse_id(str(raw))
        if raw in (None, ""):
            clean["responsible_account_id"] = None
        elif person in people:
            clean["responsible_account_id"] = person
        else:
            errors["responsible_account_id"] = _("Choose a person from the list.")
    if "due_date" in values:
        raw = values["due_date"]
        if raw in (None, ""):
            clean["due_date"] = None
        else:
            try:
                clean["due_date"] = raw if isinstance(raw, date) else date.fromisoformat(raw)
            except ValueError:
                errors["due_date"] = _("Give a date like 31/12/2026.")
    if "content_slug" in values:
        clean["content_slug"] = (values["content_slug"] or "").strip()
        if clean["content_slug"] and clean["content_slug"] not in pages:
            errors["content_slug"] = _("Choose a page from the list.")
    if errors:
        raise InputError(errors)
    return clean


def _revise(db: Session, item: PlanItem, actor: Account, change: ChangeKind,
            before: dict, after: dict, comment: str = "") -> None:
    db.add(PlanRevision(plan_item_id=item.id, patient_id=item.patient_id, account_id=actor.id,
                        change=change, version=item.version, before=before, after=after,
                        comment=comment))


def _tell(db: Session, patient: Patient, actor: Account) -> None:
    notify(db, patient, NotificationKind.PLAN_CHANGED, "plan", actor,
           url=f"/carnet/{patient.id}/plan")


def add_item(db: Session, patient: Patient, actor: Account, kind: PlanItemKind,
             values: dict[str, Any], people: set[int], parent: PlanItem | None = None,
             pages: Collection[str] = ()) -> PlanItem:
    """Add a problem, a goal (under a problem) or an action (under a goal)."""
    expected_parent = PARENT_KIND.get(kind)
    if (parent is None) != (expected_parent is None) or (
        parent is not None and (parent.kind != expected_parent or parent.patient_id != patient.id)
    ):
        raise InputError({"parent": _("This item cannot go there.")})
    clean = validate({"title": "", "status": ActionStatus.TODO, "details": "", **values}, people,
                     pages)
    siblings = db.exec(select(sa.func.max(PlanItem.position)).where(
        PlanItem.patient_id == patient.id, PlanItem.parent_id == (parent.id if parent else None)
    )).one()
    item = PlanItem(patient_id=patient.id, kind=kind, parent_id=parent.id if parent else None,
                    position=(siblings or 0) + 1, created_by_id=actor.id, updated_by_id=actor.id,
                    **clean)
    db.add(item)
    db.flush()
    _revise(db, item, actor, ChangeKind.CREATED, {}, _snapshot(item))
    _tell(db, patient, actor)
    db.commit()
    return item


def update_item(db: Session, patient: Patient, item: PlanItem, actor: Account,
                base_version: int, values: dict[str, Any], people: set[int],
                pages: Collection[str] = ()) -> PlanItem:
    """Save changed fields of ``item`` if nobody changed it since ``base_version``."""
    clean = validate(values, people, pages)
    before = _snapshot(item, tuple(clean))
    changed = {k: v for k, v in clean.items() if getattr(item, k) != v}
    if not changed:
        if item.version != base_version:
            raise StaleEdit(item, db.get(Account, item.updated_by_id))
        return item
    updated = db.exec(
        sa.update(PlanItem)
        .where(PlanItem.id == item.id, PlanItem.version == base_version)
        .values(**changed, version=PlanItem.version + 1, updated_by_id=actor.id,
                updated_at=utcnow())
    )
    if updated.rowcount != 1:
        db.refresh(item)  # no rollback: the request's audit event is still to be committed
        raise StaleEdit(item, db.get(Account, item.updated_by_id))
    db.refresh(item)
    after = _snapshot(item, tuple(changed))
    only_status = set(changed) == {"status"}
    _revise(db, item, actor, ChangeKind.STATUS if only_status else ChangeKind.UPDATED,
            {k: before[k] for k in changed}, after)
    _tell(db, patient, actor)
    db.commit()
    return item


def add_comment(db: Session, patient: Patient, item: PlanItem, actor: Account, text: str) -> None:
    """A comment on an item, kept in its history."""
    text = (text or "").strip()
    errors: dict[str, str] = {}
    _check_text(errors, "comment", text, COMMENT_MAX, required=True)
    if errors:
        raise InputError(errors)
    _revise(db, item, actor, ChangeKind.COMMENT, {}, {}, comment=text)
    _tell(db, patient, actor)
    db.commit()


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
    db.commit()


def archive(db: Session, patient: Patient, item: PlanItem, actor: Account,
            base_version: int) -> None:
    """Take an item (and what hangs under it) out of the plan; its history stays."""
    if item.version != base_version:
        raise StaleEdit(item, db.get(Account, item.updated_by_id))
    now = utcnow()
    ids = [item.id]
    frontier = [item.id]
    while frontier:
        frontier = list(db.exec(select(PlanItem.id).where(col(PlanItem.parent_id).in_(frontier))))
        ids += frontier
    db.exec(sa.update(PlanItem).where(col(PlanItem.id).in_(ids))
            .values(archived_at=now, version=PlanItem.version + 1))
    db.refresh(item)
    _revise(db, item, actor, ChangeKind.DELETED, {"title": item.title}, {})
    _tell(db, patient, actor)
    db.commit()
