"""The patient's plan of action: three zones for each condition, and the one a report is in.

- **Green**: all is well, keep going.
- **Amber**: call the nurse or the doctor today; what to watch.
- **Red**: call 15 now.

A questionnaire's alert rule says which zone it means (``"zone"``: amber unless it says
red); a report is in the zone of the worst rule it fires, green when it fires none
(``rules.zone_of_report``). Only the server decides it, from the rules it ran itself:
each fired rule's zone is kept on the report, so a later version of the questionnaire
does not change what a report meant.

What each zone says for a condition is co-written content: the published educational page
whose slug is ``action-plan-<condition>-<zone>`` ("action-plan-heart-failure-amber"), in
plain words, written by an association's editor and reviewed by a professional and a
second editor like any page (``content.workflow``). What to do in each zone is also said
by Carnet itself in every language (the templates), so that the red zone says "call 15"
even where no page was written. Beside the page, the team writes with the patient what is
theirs (a ``ZoneNote``: "my dry weight is 71 kg; call Amina Benali"), edited like any row
of the carnet.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from ..content import reading
from ..db import require_version, save_version, stale
from ..models import Account, ContentPage, NotificationKind, Patient, ZoneNote
from ..models.base import reworded
from ..notifications import notify
from ..types import utcnow
from .questionnaires import AMBER, GREEN, RED, ZONES

NAMES = {GREEN: _l("Green zone"), AMBER: _l("Amber zone"), RED: _l("Red zone")}
# What to do, said by Carnet in every language, whatever the pages say.
TODO = {GREEN: _l("All is well: keep going as planned."),
        AMBER: _l("Call your nurse or your doctor today."),
        RED: _l("Call 15 now.")}


def name(zone: str) -> str:
    """ "Amber zone" """
    return str(NAMES[zone])


def todo(zone: str) -> str:
    """ "Call your nurse or your doctor today." """
    return str(TODO[zone])


def slug(condition: str, zone: str) -> str:
    """The address of the page that says what to do in ``zone`` for ``condition``."""
    return f"action-plan-{condition.replace('_', '-')}-{zone}"


NOTE_MAX = 1000  # characters the team may write for one zone


@dataclass(frozen=True)
class Zone:
    """One zone of a condition's plan of action, with its page when one is published and
    what the team wrote with the patient, if anything."""

    condition: str
    name: str
    page: ContentPage | None
    note: ZoneNote | None = None


def notes(db: Session, patient_id: int) -> dict[tuple[str, str], ZoneNote]:
    """(condition, zone) → what the team wrote for this carnet; one query."""
    return {(note.condition, note.zone): note for note in db.exec(
        select(ZoneNote).where(ZoneNote.patient_id == patient_id))}


def note(db: Session, patient_id: int, condition: str, zone: str) -> ZoneNote | None:
    """What the team wrote for ``zone`` of ``condition`` in this carnet, if anything."""
    return db.exec(select(ZoneNote).where(ZoneNote.patient_id == patient_id,
                                          ZoneNote.condition == condition,
                                          ZoneNote.zone == zone)).first()


def plans(db: Session, patient: Patient, language: str) -> dict[str, list[Zone]]:
    """condition → its three zones (green, amber, red), for each of the carnet's conditions,
    in ``language`` where a page is published in it, else in French, with their text (the
    page shows it); two queries."""
    conditions = [condition for condition in dict.fromkeys(patient.conditions or [])
                  if condition]
    pages = reading.for_slugs(db, [slug(c, zone) for c in conditions for zone in ZONES],
                              language, with_body=True)
    written = notes(db, patient.id)
    return {condition: [Zone(condition, zone, pages.get(slug(condition, zone)),
                             written.get((condition, zone))) for zone in ZONES]
            for condition in conditions}


def advice(db: Session, patient: Patient, condition: str, zone: str, language: str, *,
           with_note: bool) -> Zone:
    """The zone a report put its patient in, with what to do now for ``condition``, and
    what the team wrote for it when ``with_note`` (the reader may read the plan: otherwise
    it is not even fetched)."""
    return Zone(condition, zone, reading.page(db, slug(condition, zone), language),
                note(db, patient.id, condition, zone) if with_note else None)


def write_note(db: Session, patient: Patient, actor: Account, current: ZoneNote | None,
               condition: str, zone: str, text: str, base_version: int) -> ZoneNote | None:
    """Save what the team wrote for ``zone`` of ``condition`` (empty: nothing of their own)
    over ``current``, the note the form was opened on (None: there was none), unless someone
    saved it since ``base_version`` — then :class:`StaleEdit`, as for every row of a carnet.
    The same words again change nothing and tell no one (None when there is still no note);
    new words are in their writer's language."""
    if (current.text if current is not None else "") == text:
        if current is not None:
            require_version(db, current, base_version)
        return current
    if current is not None:
        changed = {"text": text}
        save_version(db, current, base_version, actor.id,
                     {**changed, **reworded(changed, {"text"})})
    else:
        current = ZoneNote(patient_id=patient.id, condition=condition, zone=zone, text=text,
                           updated_by_id=actor.id, updated_at=utcnow())
        try:
            with db.begin_nested():  # two first saves at once: one is first, the other is told
                db.add(current)
        except sa.exc.IntegrityError:
            raise stale(db, note(db, patient.id, condition, zone)) from None
    # Those who read the plan hear that it changed (no words of it in the push).
    notify(db, patient, NotificationKind.PLAN_CHANGED, "plan", actor,
           url=f"/carnet/{patient.id}/action-plan")
    return current

