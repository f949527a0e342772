"""Each carnet page makes as many SQL queries with 500 rows as with 5 (no N+1 query), and
as many on a deep page of a long history as on the first; a page read again writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from app.carnet.queries import PATIENTS_PER_PAGE
from app.consent.queries import WHO_SAW_ORDER
from app.models import (
    Account,
    Appointment,
    AppointmentRevision,
    AppointmentStatus,
    AuditAction,
    AuditEvent,
    CareTeamMember,
    CarnetVisit,
    ChangeKind,
    ContentPage,
    ContentStatus,
    Note,
    Patient,
    PlanItem,
    PlanItemKind,
    PlanRevision,
    Professional,
    Role,
    SymptomReport,
)
from app.paging import key_text
from app.symptoms.reports import INBOX_ORDER, REPORTS_ORDER, new_client_id
from app.types import utcnow

from .carnet_actions import patient_in_care_of
from .conftest import DemoActions, persona
from .symptom_actions import questionnaire

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
    "/carnet/{id}/export.fhir.json",
    "/carnet/{id}/action-plan",
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
        _seed(db, patient_in_care_of(db, lefevre, "Patient", f"N° {n}"), 0, 3)

    page = demo_actions.client.get("/patients").get_data(as_text=True)
    assert "Patient N° 19" in page
    assert count("/patients") == before


def test_the_plan_of_action_makes_as_many_queries_with_its_pages_as_without(
    signed_in, db, engine
):
    """Each zone's page is shown with its text: read with the pages, not one query a page."""
    jeanne = _carnet(db, "jeanne")
    pages = db.exec(select(ContentPage).where(
        col(ContentPage.slug).startswith("action-plan-"),
        ContentPage.status == ContentStatus.PUBLISHED)).all()
    assert len({page.slug for page in pages}) >= 6  # heart failure and diabetes, 3 zones each
    path = f"/carnet/{jeanne.id}/action-plan"
    browser = signed_in("jeanne")
    count = QueryCounter(engine, browser.actions)
    count(path)
    with_pages = count(path)

    for page in pages:
        page.status = ContentStatus.RETIRED
    db.commit()
    assert "I call 15 straight away." not in browser.get(path).get_data(as_text=True)
    assert count(path) == with_pages


# Lists that grow with history are paged from a key (app/paging.py): a deep page costs the
# queries of the first. Each is filled with a few hundred rows in one statement a table.
HISTORY = 400


def _writes(engine, client, path: str) -> list[str]:
    """The INSERT, UPDATE and DELETE statements sent while ``path`` is answered."""
    statements: list[str] = []

    def listener(connection, cursor, statement, *args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return statements


def _audit_lines(db, patient: Patient, count: int) -> None:
    """``count`` READ lines of Dr Lefèvre in the carnet, the newest a second ago; every ten
    share their time, so that the order also rests on the id."""
    lefevre, now = persona(db, "lefevre"), utcnow()
    db.execute(sa.insert(AuditEvent), [
        {"patient_id": patient.id, "actor_account_id": lefevre.id, "actor_role": Role.PROFESSIONAL,
         "section": ("plan", "notes", "symptoms")[n % 3], "action": AuditAction.READ,
         "allowed": True, "object_type": "", "object_id": None,
         "created_at": now - timedelta(seconds=1 + n // 10)}
        for n in range(count)])
    db.commit()


def _reports(db, patient: Patient, count: int, acknowledged: bool = False) -> None:
    """``count`` heart-failure reports in the carnet, the newest a minute ago, every other one
    urgent; none acknowledged unless ``acknowledged``."""
    form, author = questionnaire(db, "heart_failure", "fr"), db.get(Account, patient.account_id)
    now, amina = utcnow(), persona(db, "amina")
    answers = {"weight": 72, "breathlessness": 3, "ankles": False, "night_cough": False,
               "tiredness": 3}
    db.execute(sa.insert(SymptomReport), [
        {"patient_id": patient.id, "questionnaire_id": form.id, "client_id": new_client_id(),
         "content_hash": "0" * 64, "answers": answers, "note": "", "urgent": n % 2 == 0,
         "fired_rules": [], "reported_by_account_id": author.id,
         "reported_at": now - timedelta(minutes=1 + n), "created_at": now,
         "acknowledged_by_id": amina.id if acknowledged else None,
         "acknowledged_at": now if acknowledged else None}
        for n in range(count)])
    db.commit()


def _deep(path: str, key: tuple) -> str:
    """``path`` at the page that starts after the row whose sort key is ``key``."""
    return f"{path}?after={key_text(key)}"


def _nth(db, query, order, n: int) -> tuple:
    """The sort key of the ``n``-th row of ``query`` in the list's order (newest first)."""
    return tuple(db.exec(query.order_by(*[sa.desc(c) for c in order]).offset(n).limit(1)).one())


def test_who_saw_my_carnet_makes_as_many_queries_deep_in_a_long_history(
    signed_in, db, engine
):
    jeanne = _carnet(db, "jeanne")
    _audit_lines(db, jeanne, HISTORY)
    browser = signed_in("jeanne")
    first = f"/carnet/{jeanne.id}/who-saw"
    key = _nth(db, select(AuditEvent.created_at, AuditEvent.id).where(
        AuditEvent.patient_id == jeanne.id), WHO_SAW_ORDER, HISTORY - 40)
    deep = _deep(first, key)
    count = QueryCounter(engine, browser.actions)
    assert 'rel="prev"' in browser.get(deep).get_data(as_text=True)
    assert count(deep) == count(first)


def test_the_reports_make_as_many_queries_deep_in_a_long_history(signed_in, db, engine):
    jeanne = _carnet(db, "jeanne")
    _reports(db, jeanne, HISTORY, acknowledged=True)
    browser = signed_in("lefevre")
    first = f"/carnet/{jeanne.id}/symptoms"
    key = _nth(db, select(SymptomReport.reported_at, SymptomReport.id).where(
        SymptomReport.patient_id == jeanne.id), REPORTS_ORDER, HISTORY - 30)
    deep = _deep(first, key)
    count = QueryCounter(engine, browser.actions)
    count(first)
    assert 'rel="prev"' in browser.get(deep).get_data(as_text=True)
    assert count(deep) == count(first)


def test_the_inbox_makes_as_many_queries_deep_in_a_long_history(signed_in, db, engine):
    # Both carnets have reports waiting on every page, so each page audits two carnets.
    jeanne, karim = _carnet(db, "jeanne"), _carnet(db, "karim")
    for carnet in (jeanne, karim):
        _reports(db, carnet, HISTORY // 2)
    browser = signed_in("lefevre")
    key = _nth(db, select(SymptomReport.urgent, SymptomReport.reported_at, SymptomReport.id)
               .where(col(SymptomReport.acknowledged_at).is_(None)), INBOX_ORDER, HISTORY - 40)
    deep = _deep("/inbox", key)
    count = QueryCounter(engine, browser.actions)
    count("/inbox")
    page = browser.get(deep).get_data(as_text=True)
    assert 'rel="prev"' in page and "Jeanne Martin" in page and "Karim Belkacem" in page
    assert count(deep) == count("/inbox")


def test_dr_lefevres_patients_make_as_many_queries_on_a_later_page(signed_in, db, engine):
    lefevre = db.exec(select(Professional).where(
        Professional.account_id == persona(db, "lefevre").id)).one()
    now, many = utcnow(), 2 * PATIENTS_PER_PAGE + 10
    accounts = db.execute(sa.insert(Account).returning(Account.id), [
        {"email": f"patient.{n}@example.net", "first_name": "Patient", "last_name": f"N° {n:03}",
         "title": "", "role": Role.PATIENT, "user_handle": f"patient-{n}",
         "session_generation": 0, "is_active": True, "created_at": now}
        for n in range(many)]).scalars().all()
    patients = db.execute(sa.insert(Patient).returning(Patient.id), [
        {"account_id": account_id, "town": "", "address": "", "phone": "",
         "conditions": ["heart_failure"], "created_at": now} for account_id in accounts
    ]).scalars().all()
    db.execute(sa.insert(CareTeamMember), [
        {"patient_id": patient_id, "professional_id": lefevre.id, "team_role": "member",
         "contact_for": "", "position": 0, "created_at": now} for patient_id in patients])
    db.commit()
    browser = signed_in("lefevre")
    count = QueryCounter(engine, browser.actions)
    count("/patients")
    last = browser.get("/patients?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in last and "Patient N° 109" in last and "Patient N° 000" not in last
    assert count("/patients?page=3") == count("/patients")
    assert count("/patients?q=N%C2%B0+1") == count("/patients")
    # A search is paged like the whole list, its links keeping it.
    found = browser.get("/patients?q=patient").get_data(as_text=True)
    assert "Page 1 of 3" in found and 'href="?q=patient&amp;page=2" rel="next"' in found


def test_jeannes_home_opened_again_within_minutes_writes_nothing(signed_in, db, engine):
    jeanne = _carnet(db, "jeanne")
    home = f"/carnet/{jeanne.id}/"
    browser = signed_in("jeanne")
    browser.get(home)
    # Her visit began an hour ago, the one before yesterday; Dr Lefèvre changed her plan since.
    visit = db.exec(select(CarnetVisit).where(CarnetVisit.patient_id == jeanne.id,
                                              CarnetVisit.account_id == jeanne.account_id)).one()
    visit.changes_since = utcnow() - timedelta(days=1)
    visit.last_visit_at = utcnow() - timedelta(minutes=2)
    db.add(visit)
    db.commit()
    signed_in("lefevre").post(f"/carnet/{jeanne.id}/plan/new", kind="problem",
                              title="Sommeil agité")

    assert _writes(engine, browser.actions.client, home) == []
    page = browser.get(home).get_data(as_text=True)
    assert "What changed since my last visit" in page and "Sommeil agité" in page
    db.refresh(visit)
    assert visit.changes_since < utcnow() - timedelta(hours=23)

    # Six minutes later the visit goes on: written once, "since" still the visit before.
    visit.last_visit_at = utcnow() - timedelta(minutes=6)
    db.add(visit)
    db.commit()
    assert len(_writes(engine, browser.actions.client, home)) == 1
    assert _writes(engine, browser.actions.client, home) == []
    assert "Sommeil agité" in browser.get(home).get_data(as_text=True)
