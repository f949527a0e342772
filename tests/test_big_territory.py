"""The big territory for benchmarks, made small: the demo grown to 30 patients.

Dr Lefèvre is the busiest GP of the territory; Jeanne's carnet is the most watched; the
demo's people still sign in as before.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, func, select

from app.demo.big_territory import Size, grow_territory
from app.models import (
    Account,
    AuditEvent,
    CareTeamMember,
    Note,
    Notification,
    Patient,
    Professional,
    Role,
    SymptomReport,
    TeamRole,
)

from .carnet_actions import carnet_id
from .conftest import persona

# Bulk inserts go through each engine's own way of inserting many rows.
pytestmark = pytest.mark.db_engine

SMALL = Size(patients=30, professionals=30, gp_patients=10, reports=400, audit_events=300)


@pytest.fixture
def territory(engine, demo) -> dict[str, int]:
    with Session(engine) as session:
        return grow_territory(session, SMALL)


def _count(db, model, *where) -> int:
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def test_it_grows_the_demo_to_the_size_asked(db, demo, territory):
    assert territory["patient"] == _count(db, Patient) == 30
    assert territory["professional"] == _count(db, Professional) == 30
    assert territory["symptom_report"] == demo["symptom reports"] + 400
    assert territory["audit_event"] == 300
    assert territory["notification"] > 0
    for table in ("plan_item", "appointment", "note", "consent_event", "caregiver_link"):
        assert territory[table] > 0, table


def test_dr_lefevre_is_the_busiest_gp(db, territory):
    attending = select(CareTeamMember.professional_id, func.count().label("n")).where(
        CareTeamMember.team_role == TeamRole.ATTENDING).group_by(CareTeamMember.professional_id)
    loads = dict(db.exec(attending).all())
    lefevre = db.exec(select(Professional).where(
        Professional.account_id == persona(db, "lefevre").id)).one()
    assert loads[lefevre.id] == SMALL.gp_patients
    assert max(loads.values()) == loads[lefevre.id]
    assert sorted(loads.values())[-2] < SMALL.gp_patients


def test_every_generated_patient_has_a_team_and_reports_answer_its_questionnaires(db, territory):
    for patient in db.exec(select(Patient)).all():
        assert _count(db, CareTeamMember, CareTeamMember.patient_id == patient.id) >= 2
    reports = db.exec(select(SymptomReport)).all()
    assert any(report.urgent for report in reports)
    assert all(report.urgent == bool(report.fired_rules) for report in reports)
    acknowledged = [report for report in reports if report.acknowledged_at]
    assert len(acknowledged) > len(reports) / 2


def test_many_audit_lines_are_on_jeannes_carnet(db, territory):
    on_jeanne = _count(db, AuditEvent, AuditEvent.patient_id == carnet_id(db, "jeanne"))
    assert on_jeanne >= SMALL.audit_events * 0.4


def test_the_same_seed_makes_the_same_territory(engine, db, demo):
    def made() -> list[tuple]:
        with Session(engine) as session:
            grow_territory(session, SMALL, now=now)
        return db.exec(select(Account.email, Account.first_name, Account.last_name)
                       .where(col(Account.email).endswith("@example.net"))
                       .order_by(Account.email)).all()

    from app.types import utcnow

    now = utcnow()
    first = made()
    demo_again(engine)
    assert made() == first


def demo_again(engine) -> None:
    from app.demo.territory import load_demo

    with Session(engine) as session:
        load_demo(session)


def test_dr_lefevre_sees_his_new_patients(db, territory, signed_in):
    lefevre = db.exec(select(Professional).where(
        Professional.account_id == persona(db, "lefevre").id)).one()
    names = db.exec(select(Account.last_name).join(Patient, Patient.account_id == Account.id)
                    .join(CareTeamMember, CareTeamMember.patient_id == Patient.id)
                    .where(CareTeamMember.professional_id == lefevre.id,
                           col(Account.email).endswith("@example.net"))).all()
    assert len(names) == SMALL.gp_patients - 2  # besides Jeanne and Karim
    page = signed_in("lefevre").get("/patients")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Martin" in text
    assert all(name in text for name in names)


def test_a_generated_report_shows_in_the_patients_reports(db, territory, signed_in):
    lefevre = persona(db, "lefevre")
    report = db.exec(
        select(SymptomReport)
        .join(CareTeamMember, CareTeamMember.patient_id == SymptomReport.patient_id)
        .join(Professional, Professional.id == CareTeamMember.professional_id)
        .where(Professional.account_id == lefevre.id,
               SymptomReport.patient_id != carnet_id(db, "jeanne"),
               SymptomReport.patient_id != carnet_id(db, "karim"))
        .order_by(col(SymptomReport.reported_at).desc())).first()
    page = signed_in("lefevre").get(f"/carnet/{report.patient_id}/symptoms")
    assert page.status_code == 200
    assert f'id="report-{report.id}"' in page.get_data(as_text=True)


def test_the_demo_sign_in_still_lists_only_the_demos_people(client, territory, signed_in):
    page = client.get("/demo/").get_data(as_text=True)
    assert "Jeanne" in page and "@example.net" not in page
    assert signed_in("jeanne").get("/").status_code == 200


def test_the_load_benchmark_signs_a_generated_patient_in_by_id(db, territory, demo_actions):
    patient = db.exec(select(Account).where(col(Account.email).endswith("@example.net"),
                                            Account.role == Role.PATIENT)).first()
    answer = demo_actions.client.post("/demo/sign-in", data={
        "account_id": patient.id, "csrf_token": demo_actions.csrf_token()})
    assert answer.status_code == 302
    home = demo_actions.client.get("/").get_data(as_text=True)
    assert patient.first_name in home


def test_the_app_adds_rows_after_it(db, territory):
    # Ids were drawn from each table's sequence: the next row the app writes fits after.
    jeanne = persona(db, "jeanne")
    note = Note(patient_id=carnet_id(db, "jeanne"), author_account_id=jeanne.id,
                author_role="patient", body="Une note après le grand territoire.")
    db.add(note)
    db.commit()
    assert note.id > max(db.exec(select(Note.id).where(Note.id != note.id)).all())


def test_the_command_refuses_without_demo_mode_or_the_flag(app, demo, monkeypatch):
    monkeypatch.setitem(app.config, "CARNET_DEMO", False)
    result = app.test_cli_runner().invoke(args=["demo", "--territory", "30"])
    assert result.exit_code != 0
    assert "benchmark" in result.output


def test_the_command_grows_the_territory(app, demo, engine):
    result = app.test_cli_runner().invoke(args=[
        "demo", "--territory", "12", "--reports", "50", "--audit-events", "20"])
    assert result.exit_code == 0, result.output
    assert "Territory made" in result.output
    with Session(engine) as session:
        assert _count(session, Patient) == 12
        assert _count(session, Notification) >= 0
