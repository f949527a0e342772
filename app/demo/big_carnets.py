"""The carnets of the big territory: care plans, appointments, notes, and visits.

Each condition brings its plan (a problem, a goal, its actions), each patient a few
appointments with their team, past and upcoming, and a few liaison notes; every plan item
and appointment has its "created" revision, as the app writes it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.models import (
    ActionStatus,
    Appointment,
    AppointmentKind,
    AppointmentRevision,
    AppointmentStatus,
    CarnetVisit,
    ChangeKind,
    DeliveryStatus,
    Note,
    Notification,
    NotificationKind,
    PlanItem,
    PlanItemKind,
    PlanRevision,
    Profession,
    Role,
)

from . import big_content as content

if TYPE_CHECKING:
    from .big_territory import Person, Pro, Territory


def add_carnets(t: Territory) -> None:
    """Plans, appointments, notes and visits for every generated patient."""
    _plans(t)
    _appointments(t)
    for person in t.people:
        _notes(t, person)
        _visits(t, person)


def _since(t: Territory, person: Person, max_days: float = 365) -> datetime:
    """A moment after the carnet was made, within ``max_days`` of now."""
    age = min(max_days, (t.now - person.created_at).total_seconds() / 86400)
    return t.days_ago(0.05, max(age, 0.1))


def _member(person: Person, who: str) -> int:
    """The account responsible for a plan action: the patient, or the team's professional."""
    if who == "patient":
        return person.account_id
    return next((p.account_id for p in person.team if p.profession == who),
                person.team[0].account_id)


def _item(person: Person, kind: PlanItemKind, title: str, when: datetime, position: int,
          **more) -> dict:
    gp = person.team[0].account_id
    return {"patient_id": person.id, "kind": kind, "title": title, "position": position,
            "status": ActionStatus.IN_PROGRESS, "created_by_id": gp, "created_at": when,
            "updated_by_id": gp, "updated_at": when, **more}


def _plans(t: Territory) -> None:
    """A problem, its goal and its actions per condition, inserted level by level (a goal
    needs its problem's id)."""
    problems, goals, actions = [], [], []
    for person in t.people:
        for position, condition in enumerate(person.conditions):
            problem, goal, steps = content.PLANS[condition]
            when = person.created_at + timedelta(hours=1)
            problems.append(_item(person, PlanItemKind.PROBLEM, problem, when, position))
            goals.append(_item(person, PlanItemKind.GOAL, goal, when, 0))
            actions.append([
                _item(person, PlanItemKind.ACTION, title, when, n, status=ActionStatus.TODO,
                      responsible_account_id=_member(person, who),
                      due_date=(t.now + timedelta(days=t.rng.randint(-10, 60))).date())
                for n, (title, who) in enumerate(steps)])
    problem_ids = t.out.insert_ids(PlanItem, problems)
    for goal, problem_id in zip(goals, problem_ids, strict=True):
        goal["parent_id"] = problem_id
    goal_ids = t.out.insert_ids(PlanItem, goals)
    flat = []
    for steps, goal_id in zip(actions, goal_ids, strict=True):
        for step in steps:
            step["parent_id"] = goal_id
            _maybe_done(t, step)
            flat.append(step)
    action_ids = t.out.insert_ids(PlanItem, flat)
    for item, item_id in zip(problems + goals + flat, problem_ids + goal_ids + action_ids,
                             strict=True):
        _plan_revisions(t, item, item_id)


def _maybe_done(t: Territory, step: dict) -> None:
    """A third of the actions have been done since, by the person responsible."""
    if t.rng.random() < 0.33:
        done_at = step["created_at"] + (t.now - step["created_at"]) * t.rng.uniform(0.2, 0.95)
        step.update(status=ActionStatus.DONE, version=2, updated_at=done_at,
                    updated_by_id=step["responsible_account_id"])


def _plan_revisions(t: Territory, item: dict, item_id: int) -> None:
    """The "created" revision of a plan item, and its status change if it was done."""
    common = {"plan_item_id": item_id, "patient_id": item["patient_id"]}
    t.out.add(PlanRevision, {
        **common, "account_id": item["created_by_id"], "change": ChangeKind.CREATED,
        "version": 1, "before": {}, "after": {"title": item["title"],
                  "status": "todo" if item["kind"] == PlanItemKind.ACTION else "in_progress"},
        "created_at": item["created_at"]})
    if item["status"] == ActionStatus.DONE:
        t.out.add(PlanRevision, {
            **common, "account_id": item["updated_by_id"], "change": ChangeKind.STATUS,
            "version": 2, "before": {"status": "todo"}, "after": {"status": "done"},
            "created_at": item["updated_at"]})


def _where(pro: Pro, kind: AppointmentKind, person: Person) -> tuple[str, str]:
    if kind == AppointmentKind.HOME_VISIT:
        return "Domicile", person.address
    if kind == AppointmentKind.TELECONSULTATION:
        return "Téléconsultation", ""
    structure = content.STRUCTURES.get(pro.profession, "Maison de santé de {town}")
    return structure.format(town=pro.town), f"place de la Mairie, 26470 {pro.town}"


def _appointments(t: Territory) -> None:
    """Two past and two upcoming appointments per patient; one in ten cancelled."""
    rows = []
    for person in t.people:
        for past in (True, True, False, False):
            pro = t.rng.choice(person.team[:1] * 2 + person.team)
            kind = (AppointmentKind.HOME_VISIT if pro.profession == Profession.NURSE
                    else AppointmentKind.TELECONSULTATION if pro.profession == Profession.IPA
                    else AppointmentKind.VISIT)
            day = _since(t, person, 90) if past else t.now + timedelta(days=t.rng.uniform(1, 45))
            starts_at = day.replace(hour=t.rng.randint(7, 16), minute=t.rng.choice((0, 15, 30, 45)),
                                    second=0, microsecond=0)
            booked = max(person.created_at, min(starts_at, t.now) - timedelta(
                days=t.rng.uniform(1, 20)))
            place, address = _where(pro, kind, person)
            rows.append({
                "patient_id": person.id, "professional_id": pro.id, "kind": kind,
                "title": content.APPOINTMENT_TITLES.get(pro.profession, "Consultation"),
                "starts_at": starts_at, "ends_at": starts_at + timedelta(minutes=30),
                "place": place, "address": address,
                "uid": f"{uuid.UUID(int=t.rng.getrandbits(128), version=4)}@carnet",
                "created_by_id": pro.account_id, "created_at": booked,
                "updated_by_id": pro.account_id, "updated_at": booked})
            if t.rng.random() < 0.1 and booked < t.now - timedelta(hours=1):
                cancelled = booked + (t.now - booked) * t.rng.uniform(0.1, 0.9)
                rows[-1].update(status=AppointmentStatus.CANCELLED, version=2,
                                updated_at=cancelled,
                                details="Annulé : le cabinet est fermé ce jour-là.")
    for row, appointment_id in zip(rows, t.out.insert_ids(Appointment, rows), strict=True):
        common = {"appointment_id": appointment_id, "patient_id": row["patient_id"],
                  "account_id": row["created_by_id"]}
        t.out.add(AppointmentRevision, {
            **common, "change": ChangeKind.CREATED, "version": 1, "before": {},
            "after": {"title": row["title"], "kind": row["kind"].value, "status": "scheduled",
                      "starts_at": row["starts_at"].isoformat(), "place": row["place"]},
            "created_at": row["created_at"]})
        if row.get("status") == AppointmentStatus.CANCELLED:
            t.out.add(AppointmentRevision, {
                **common, "change": ChangeKind.CANCELLED, "version": 2,
                "before": {"status": "scheduled", "details": ""},
                "after": {"status": "cancelled", "details": row["details"]},
                "created_at": row["updated_at"]})


def _notes(t: Territory, person: Person) -> None:
    """A few liaison notes from the patient, the team and the caregiver; the patient was
    told of the team's recent ones."""
    for _ in range(t.rng.randint(1, 4)):
        draw = t.rng.random()
        if draw < 0.1 and person.caregiver_id:
            author, role, body = person.caregiver_id, Role.CAREGIVER, content.NOTES_BY_CAREGIVER
        elif draw < 0.5:
            author, role, body = person.account_id, Role.PATIENT, content.NOTES_BY_PATIENT
        else:
            author, role = t.rng.choice(person.team).account_id, Role.PROFESSIONAL
            body = content.NOTES_BY_PROFESSIONAL
        when = _since(t, person)
        t.out.add(Note, {"patient_id": person.id, "author_account_id": author,
                         "author_role": role.value, "body": t.rng.choice(body),
                         "created_at": when})
        if role == Role.PROFESSIONAL and t.now - when < timedelta(days=30):
            t.out.add(Notification, {
                "account_id": person.account_id, "patient_id": person.id,
                "kind": NotificationKind.NOTE_ADDED, "section": "notes",
                "topic": f"note_added-{person.id}", "url": f"/carnet/{person.id}/notes",
                "status": DeliveryStatus.SENT, "created_at": when, "not_before": when,
                "attempts": 1, "sent_at": when + timedelta(seconds=3)})


def _visits(t: Territory, person: Person) -> None:
    """When the patient, and most often the GP, last opened the carnet."""
    readers = [person.account_id] + ([person.team[0].account_id] if t.rng.random() < 0.7
                                     else [])
    for account_id in readers:
        seen = _since(t, person, 10)
        t.out.add(CarnetVisit, {
            "account_id": account_id, "patient_id": person.id, "last_visit_at": seen,
            "changes_since": seen - timedelta(days=2), "notes_read_at": seen})
