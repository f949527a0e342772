"""Each carnet page makes as many SQL queries with 500 rows as with 5 (no N+1 query)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.models import (
    Account,
    Appointment,
    AppointmentRevision,
    AppointmentStatus,
    CareTeamMember,
    ChangeKind,
    Note,
    Patient,
    PlanItem,
    PlanItemKind,
    PlanRevision,
    Professional,
    Role,
)
from app.types import utcnow

from .conftest import DemoActions, persona

# SQL query counts.
pytestmark = pytest.mark.db_engine

CARNET_PAGES = [
    "/carnet/{id}/",
    "/carnet/{id}/plan",
    "/carnet/{id}/plan/{item}",
    "/carnet/{id}/appointments",
    "/carnet/{id}/appointments/{appointment}",
    "/carnet/{id}/notes",
    "/carnet/{id}/notes?page=2",
    "/carnet/{id}/changes",
    "/carnet/{id}/changes?page=2",
    "/carnet/{id}/print",
]


def _carnet(db, name: str) -> Patient:
    return db.exec(select(Patient).where(Patient.account_id == persona(db, name).id)).one()


def _seed(db, patient: Patient, first: int, count: int) -> None:
    """``count`` more plan items, appointments and notes in a carnet, each with its revision.

    Their authors take turns (the patient, the GP, the nurse), half the appointments are
    past, some are cancelled, and plan and appointment changes alternate in time, so that
    every page (a page of "What changed" too) has something of each kind to show.
    """
    authors = [persona(db, name) for name in ("lefevre", "amina")] + [
        db.get(Account, patient.account_id)]
    team = db.exec(select(CareTeamMember.professional_id).where(
        CareTeamMember.patient_id == patient.id).order_by(CareTeamMember.id)).all()
    goal = db.exec(select(PlanItem).where(PlanItem.patient_id == patient.id,
                                          PlanItem.kind == PlanItemKind.GOAL)
                   .order_by(PlanItem.id)).first()
    now = utcnow()
    numbers = range(first, first + count)
    under_goal = {n: goal is not None and n % 3 != 0 for n in numbers}
    items = [
        PlanItem(patient_id=patient.id, title=f"Action {n}", position=100 + n,
                 kind=PlanItemKind.ACTION if under_goal[n] else PlanItemKind.PROBLEM,
                 parent_id=goal.id if under_goal[n] else None,
                 responsible_account_id=authors[n % 3].id, created_by_id=authors[n % 3].id,
                 updated_by_id=authors[n % 3].id)
        for n in numbers
    ]
    appointments = [
        Appointment(patient_id=patient.id, professional_id=team[n % len(team)],
                    title=f"Rendez-vous {n}", uid=f"seed-{patient.id}-{n}@carnet",
                    starts_at=now + timedelta(days=n % 2 * 2 - 1, minutes=n),
                    ends_at=now + timedelta(days=n % 2 * 2 - 1, minutes=n + 30),
                    status=AppointmentStatus.CANCELLED if n % 7 == 0 else (
                        AppointmentStatus.SCHEDULED),
                    created_by_id=authors[n % 3].id, updated_by_id=authors[n % 3].id)
        for n in numbers
    ]
    db.add_all(items + appointments)
    db.flush()
    db.add_all(
        PlanRevision(plan_item_id=item.id, patient_id=patient.id, account_id=item.created_by_id,
                     change=ChangeKind.CREATED, after={"title": item.title},
                     created_at=now - timedelta(seconds=n))
        for n, item in zip(numbers, items, strict=True)
    )
    db.add_all(
        AppointmentRevision(appointment_id=a.id, patient_id=patient.id,
                            account_id=a.created_by_id, change=ChangeKind.CREATED,
                            after={"title": a.title}, created_at=now - timedelta(seconds=n))
        for n, a in zip(numbers, appointments, strict=True)
    )
    db.add_all(
        Note(patient_id=patient.id, author_account_id=authors[n % 3].id,
             author_role=authors[n % 3].role.value, body=f"Note {n}")
        for n in numbers
    )
    db.commit()


class QueryCounter:
    """Counts the SQL statements sent while one page is answered."""

    def __init__(self, engine, actions: DemoActions):
        self.engine = engine
        self.client = actions.client

    def __call__(self, path: str) -> int:
        statements: list[str] = []

        def listener(connection, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(self.engine, "before_cursor_execute", listener)
        try:
            response = self.client.get(path)
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", listener)
        assert response.status_code == 200, path
        return len(statements)


@pytest.mark.parametrize("name", ["jeanne", "lefevre"])
def test_each_carnet_page_makes_as_many_queries_with_500_rows_as_with_5(
    demo_actions, db, engine, name
):
    jeanne, karim = _carnet(db, "jeanne"), _carnet(db, "karim")
    for carnet in (jeanne, karim):
        _seed(db, carnet, 0, 5)
    item = db.exec(select(PlanItem.id).where(PlanItem.title == "Action 1",
                                             PlanItem.patient_id == jeanne.id)).one()
    appointment = db.exec(select(Appointment.id).where(Appointment.uid == f"seed-{jeanne.id}-1"
                                                       "@carnet")).one()
    pages = [page.format(id=jeanne.id, item=item, appointment=appointment)
             for page in CARNET_PAGES] + (["/patients"] if name == "lefevre" else [])
    demo_actions.sign_in(name)
    count = QueryCounter(engine, demo_actions)
    for page in pages:  # the first visit of a carnet writes rows later visits only update
        count(page)
    with_5 = {page: count(page) for page in pages}

    for carnet in (jeanne, karim):
        _seed(db, carnet, 5, 495)
    with_500 = {page: count(page) for page in pages}

    assert with_500 == with_5


def test_dr_lefevres_patients_make_as_many_queries_with_20_more_patients(
    demo_actions, db, engine
):
    lefevre = db.exec(select(Professional).where(
        Professional.account_id == persona(db, "lefevre").id)).one()
    demo_actions.sign_in("lefevre")
    count = QueryCounter(engine, demo_actions)
    count("/patients")
    before = count("/patients")

    for n in range(20):
        account = Account(email=f"patient.{n}@example.net", first_name="Patient",
                          last_name=f"N° {n}", role=Role.PATIENT, user_handle=f"patient-{n}")
        db.add(account)
        db.flush()
        patient = Patient(account_id=account.id)
        db.add(patient)
        db.flush()
        db.add(CareTeamMember(patient_id=patient.id, professional_id=lefevre.id))
        db.commit()
        _seed(db, patient, 0, 3)

    page = demo_actions.client.get("/patients").get_data(as_text=True)
    assert "Patient N° 19" in page
    assert count("/patients") == before
