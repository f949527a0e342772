"""Load the demo territory, the CPTS du Pays de Serre, into an emptied database.

The people and their carnets are described as data in :mod:`.territory_content`; this
module turns them into rows. Times are computed from now, so that whenever the demo is
loaded Jeanne has past and upcoming appointments and a report made this morning.
Loading again resets everything.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from app.models import (
    AccessRequest,
    Account,
    ActionStatus,
    Appointment,
    AppointmentRevision,
    AppointmentStatus,
    CaregiverLink,
    CareTeamMember,
    CarnetVisit,
    ChangeKind,
    ConsentEvent,
    ConsentKind,
    ContentPage,
    Note,
    Patient,
    PlanItem,
    PlanItemKind,
    PlanRevision,
    Professional,
    Questionnaire,
    SymptomReport,
    metadata,
)
from app.symptoms.questionnaires import load_questionnaires
from app.symptoms.reports import content_hash
from app.types import utcnow

from . import territory_content as content
from .action_plans import ACTION_PLANS
from .pages_content import PAGES, load_pages
from .territory_content import AfterAlert, Ago, Item, Report, Visit

PARIS = ZoneInfo("Europe/Paris")
LEVELS = (PlanItemKind.PROBLEM, PlanItemKind.GOAL, PlanItemKind.ACTION)

COUNTED = {
    "accounts": Account,
    "patients": Patient,
    "professionals": Professional,
    "care team members": CareTeamMember,
    "caregiver links": CaregiverLink,
    "consent events": ConsentEvent,
    "plan items": PlanItem,
    "plan revisions": PlanRevision,
    "appointments": Appointment,
    "appointment revisions": AppointmentRevision,
    "questionnaires": Questionnaire,
    "educational pages": ContentPage,
    "symptom reports": SymptomReport,
    "notes": Note,
    "carnet visits": CarnetVisit,
}


@dataclass
class _Demo:
    """The loader's working state: the session, the clock, and the rows made so far."""

    db: Session
    now: datetime
    accounts: dict[str, Account] = field(default_factory=dict)
    patients: dict[str, Patient] = field(default_factory=dict)
    professionals: dict[str, Professional] = field(default_factory=dict)
    questionnaires: dict[tuple[str, str], Questionnaire] = field(default_factory=dict)
    alert_report: SymptomReport | None = None

    @property
    def today(self) -> date:
        """Today in France."""
        return self.now.astimezone(PARIS).date()

    @property
    def alert_at(self) -> datetime:
        """When Jeanne's urgent report was made: 08:15 today, or 2 hours ago if earlier."""
        return min(self.wall_clock(0, "08:15"), self.now - timedelta(hours=2))

    def wall_clock(self, day: int, hhmm: str) -> datetime:
        """``day`` days from today at ``hhmm``, Paris wall-clock, as a UTC datetime."""
        hour, minute = map(int, hhmm.split(":"))
        local = datetime.combine(self.today + timedelta(days=day), time(hour, minute), PARIS)
        return local.astimezone(UTC)

    def at(self, when: Ago | AfterAlert) -> datetime:
        """The UTC time of a past moment of the content; refuse one that is not past."""
        if isinstance(when, AfterAlert):
            moment = self.alert_at + timedelta(minutes=when.minutes)
        else:
            moment = self.wall_clock(-when.days, when.time)
        if moment > self.now:
            raise ValueError(f"demo content in the future: {when}")
        return moment

    def add(self, row: Any) -> Any:
        """Add a row and flush it, so that its id is known."""
        self.db.add(row)
        self.db.flush()
        return row


def load_demo(session: Session) -> dict[str, int]:
    """Empty every table, load the demo territory, commit, and count what was made."""
    _empty(session)
    demo = _Demo(session, utcnow())
    _people(demo)
    _patients(demo)
    _teams(demo)
    _caregivers(demo)
    _access_requests(demo)
    _questionnaires(demo)
    load_pages(session, demo.accounts, demo.at, PAGES + ACTION_PLANS)
    for key, outline in content.PLANS.items():
        _plan(demo, demo.patients[key], outline)
    for key, visits in content.APPOINTMENTS.items():
        for visit in visits:
            _appointment(demo, key, visit)
    for report in content.REPORTS:
        _report(demo, report)
    _notes(demo)
    _visits(demo)
    session.commit()
    return {
        label: session.exec(select(sa.func.count()).select_from(model)).one()
        for label, model in COUNTED.items()
    }


def _empty(db: Session) -> None:
    """Delete every row, dependants first (alembic_version is not in the metadata)."""
    for table in reversed(metadata.sorted_tables):
        db.exec(table.delete())


def _email(first_name: str, last_name: str) -> str:
    """firstname.lastname@example.org, in lowercase ASCII ("Lefèvre" gives "lefevre")."""
    name = f"{first_name}.{last_name}".replace(" ", "-").lower()
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return f"{ascii_name}@example.org"


def _people(demo: _Demo) -> None:
    """Every account, and the Professional row of each professional."""
    for key, person in content.PEOPLE.items():
        joined = demo.at(Ago(person.joined, "09:00"))
        account = demo.accounts[key] = demo.add(
            Account(
                email=_email(person.first_name, person.last_name),
                first_name=person.first_name, last_name=person.last_name, title=person.title,
                role=person.role, user_handle=secrets.token_urlsafe(32),
                created_at=joined,
            )
        )
        if person.profession is not None:
            demo.professionals[key] = demo.add(
                Professional(
                    account_id=account.id, profession=person.profession, rpps=person.rpps,
                    structure=person.structure, phone=person.phone, created_at=joined,
                )
            )


def _birth_date(today: date, age: int, days_since_birthday: int) -> date:
    """The birth date of someone ``age`` years old whose birthday was some days ago."""
    birthday = today - timedelta(days=days_since_birthday)
    if (birthday.month, birthday.day) == (2, 29):
        birthday -= timedelta(days=1)
    return birthday.replace(year=birthday.year - age)


def _patients(demo: _Demo) -> None:
    """A carnet for each patient."""
    for key, record in content.PATIENTS.items():
        account = demo.accounts[key]
        demo.patients[key] = demo.add(
            Patient(
                account_id=account.id,
                birth_date=_birth_date(demo.today, record.age, record.birthday),
                town=record.town, address=record.home, phone=content.PEOPLE[key].phone,
                conditions=list(record.conditions), created_at=account.created_at,
            )
        )


def _teams(demo: _Demo) -> None:
    """Each patient's care team, added by the médecin traitant when the carnet was made."""
    for key, members in content.TEAMS.items():
        patient = demo.patients[key]
        added_by = demo.accounts[members[0].who]
        for position, member in enumerate(members):
            demo.add(
                CareTeamMember(
                    patient_id=patient.id, professional_id=demo.professionals[member.who].id,
                    team_role=member.role, contact_for=member.contact_for, position=position,
                    added_by_id=added_by.id, created_at=patient.created_at,
                )
            )


def _caregivers(demo: _Demo) -> None:
    """Caregiver links, and the patient's consent grants to each caregiver."""
    for caregiver in content.CAREGIVERS:
        patient = demo.patients[caregiver.patient]
        account = demo.accounts[caregiver.who]
        demo.add(
            CaregiverLink(
                patient_id=patient.id, caregiver_account_id=account.id,
                relationship=caregiver.relationship, phone=caregiver.phone,
                created_at=demo.at(caregiver.since),
            )
        )
        for when, scopes in caregiver.grants:
            demo.add(
                ConsentEvent(
                    patient_id=patient.id, kind=ConsentKind.GRANT, grantee_account_id=account.id,
                    scopes=list(scopes), decided_by_id=patient.account_id,
                    created_at=demo.at(when),
                )
            )


def _access_requests(demo: _Demo) -> None:
    """Requests of professionals outside the team, waiting for the patient's answer."""
    for spec in content.ACCESS_REQUESTS:
        demo.add(AccessRequest(
            patient_id=demo.patients[spec.patient].id,
            requester_account_id=demo.accounts[spec.who].id, scopes=list(spec.sections),
            message=spec.message, created_at=demo.at(spec.when),
            asked_by_id=demo.accounts[spec.asked_by].id if spec.asked_by else None,
        ))


def _questionnaires(demo: _Demo) -> None:
    """Publish every questionnaire of app/questionnaires, written with the association."""
    published = demo.at(Ago(90, "10:00"))
    for row, _what in load_questionnaires(demo.db, now=published,
                                          author_id=demo.accounts["petit"].id):
        row.created_at = published - timedelta(days=10)
        demo.questionnaires[row.code, row.language] = row


def _plan(demo: _Demo, patient: Patient, outline: tuple[Item, ...]) -> None:
    """A care plan from its outline: a goal hangs on the problem above, an action on the goal."""
    parents: dict[PlanItemKind, PlanItem] = {}
    siblings: dict[int | None, int] = {}  # parent id -> children so far
    for spec in outline:
        level = LEVELS.index(spec.kind)
        parent = parents[LEVELS[level - 1]] if level else None
        position = siblings.get(parent and parent.id, 0)
        siblings[parent and parent.id] = position + 1
        parents[spec.kind] = _plan_item(demo, patient, spec, parent, position)


def _plan_item(
    demo: _Demo, patient: Patient, spec: Item, parent: PlanItem | None, position: int
) -> PlanItem:
    """One plan item with its "created" revision, and its later status change if any."""
    author = demo.accounts[spec.by]
    created_at = demo.at(spec.when)
    item = demo.add(
        PlanItem(
            patient_id=patient.id, kind=spec.kind, parent_id=parent.id if parent else None,
            title=spec.title, details=spec.details, status=spec.status, position=position,
            content_slug=spec.page,
            responsible_account_id=demo.accounts[spec.who].id if spec.who else None,
            due_date=demo.today + timedelta(days=spec.due) if spec.due is not None else None,
            created_by_id=author.id, created_at=created_at,
            updated_by_id=author.id, updated_at=created_at,
        )
    )
    after = {"title": spec.title, "status": spec.status.value}
    _revise(demo, item, author, ChangeKind.CREATED, ({}, after), created_at)
    if spec.change:
        _change_status(demo, item, spec.change)
    return item


def _change_status(demo: _Demo, item: PlanItem, change: content.Change) -> None:
    """Move a plan item to the change's status, as its next version."""
    account = demo.accounts[change.by]
    changed_at = demo.at(change.when)
    if changed_at <= item.updated_at:
        raise ValueError(f"demo plan change before its item: {item.title}")
    before = {"status": item.status.value}
    item.status = ActionStatus(change.to)
    item.version += 1
    item.updated_by_id = account.id
    item.updated_at = changed_at
    after = {"status": item.status.value}
    _revise(demo, item, account, ChangeKind.STATUS, (before, after), changed_at, change.comment)


def _revise(
    demo: _Demo,
    row: PlanItem | Appointment,
    account: Account,
    change: ChangeKind,
    changes: tuple[dict, dict],
    when: datetime,
    comment: str = "",
) -> None:
    """Record a change (before, after) of a plan item or an appointment, at its version."""
    before, after = changes
    common = {"patient_id": row.patient_id, "account_id": account.id, "change": change,
              "version": row.version, "before": before, "after": after, "created_at": when}
    if isinstance(row, PlanItem):
        demo.add(PlanRevision(plan_item_id=row.id, comment=comment, **common))
    else:
        demo.add(AppointmentRevision(appointment_id=row.id, **common))


def _appointment(demo: _Demo, patient_key: str, visit: Visit) -> None:
    """An appointment with its "created" revision, and its cancellation if any."""
    patient = demo.patients[patient_key]
    author = demo.accounts[visit.by]
    booked_at = demo.at(visit.booked)
    starts_at = demo.wall_clock(visit.day, visit.at)
    if visit.place == "home":
        place, address = "Domicile", patient.address
    else:
        place, address = content.PLACES[visit.place]
    appointment = demo.add(
        Appointment(
            patient_id=patient.id,
            professional_id=demo.professionals[visit.pro].id if visit.pro else None,
            kind=visit.kind, title=visit.title, details=visit.details,
            starts_at=starts_at, ends_at=starts_at + timedelta(minutes=visit.minutes),
            place=place, address=address, uid=f"{uuid4()}@carnet",
            created_by_id=author.id, created_at=booked_at,
            updated_by_id=author.id, updated_at=booked_at,
        )
    )
    after = {"title": visit.title, "kind": visit.kind.value, "status": appointment.status.value,
             "starts_at": starts_at.isoformat(), "place": place}
    _revise(demo, appointment, author, ChangeKind.CREATED, ({}, after), booked_at)
    if visit.cancelled:
        _cancel(demo, appointment, visit.cancelled)


def _cancel(demo: _Demo, appointment: Appointment, change: content.Change) -> None:
    """Cancel an appointment; the reason goes into its details."""
    account = demo.accounts[change.by]
    cancelled_at = demo.at(change.when)
    before = {"status": appointment.status.value, "details": appointment.details}
    appointment.status = AppointmentStatus.CANCELLED
    appointment.details = change.comment
    appointment.version += 1
    appointment.updated_by_id = account.id
    appointment.updated_at = cancelled_at
    after = {"status": appointment.status.value, "details": appointment.details}
    _revise(demo, appointment, account, ChangeKind.CANCELLED, (before, after), cancelled_at)


def _report(demo: _Demo, spec: Report) -> None:
    """A symptom report on the French questionnaire, with the alert rules it set off."""
    questionnaire = demo.questionnaires[spec.code, "fr"]
    rules = {rule["key"]: rule for rule in questionnaire.definition["rules"]}
    fired = [
        {key: rules[name][key] for key in ("key", "kind", "item", "label")}
        for name in spec.fires
    ]
    answers = dict(spec.answers)
    note = answers.pop("comment", "")  # "Anything else?" is the report's note
    patient = demo.patients[spec.patient]
    reported_at = demo.at(spec.when)
    acknowledged_at = reported_at + timedelta(minutes=spec.ack.minutes) if spec.ack else None
    if acknowledged_at and acknowledged_at > demo.now:
        raise ValueError(f"demo acknowledgement in the future: {spec}")
    report = demo.add(
        SymptomReport(
            patient_id=patient.id, questionnaire_id=questionnaire.id,
            client_id=str(uuid4()),
            content_hash=content_hash(patient.id, questionnaire.id, answers, note),
            answers=answers, note=note, urgent=bool(fired), fired_rules=fired,
            reported_by_account_id=demo.accounts[spec.by].id,
            reported_at=reported_at, created_at=reported_at,
            acknowledged_by_id=demo.accounts[spec.ack.by].id if spec.ack else None,
            acknowledged_at=acknowledged_at,
        )
    )
    if fired:
        demo.alert_report = report


def _notes(demo: _Demo) -> None:
    """The liaison notes; the author's role is the one their account has."""
    for spec in content.NOTES:
        author = demo.accounts[spec.author]
        demo.add(
            Note(
                patient_id=demo.patients[spec.patient].id, author_account_id=author.id,
                author_role=author.role.value, body=spec.body,
                symptom_report_id=demo.alert_report.id if spec.on_alert else None,
                created_at=demo.at(spec.when),
            )
        )


def _visits(demo: _Demo) -> None:
    """When accounts last opened a carnet, so that newer changes show as new."""
    for account_key, patient_key, when in content.VISITS:
        seen_at = demo.at(when)
        demo.add(
            CarnetVisit(
                account_id=demo.accounts[account_key].id,
                patient_id=demo.patients[patient_key].id,
                last_visit_at=seen_at,
                changes_since=seen_at,
                notes_read_at=seen_at,
            )
        )
