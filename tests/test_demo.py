"""The demo territory: believable people and carnets, reset by each load."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.carnet import queries
from app.demo.territory import load_demo
from app.models import (
    Account,
    Appointment,
    CaregiverLink,
    CareTeamMember,
    Note,
    Patient,
    PlanItem,
    Professional,
    Role,
    SymptomReport,
    TeamRole,
)
from app.types import utcnow

from .conftest import EMAILS, persona

# The demo territory loaded and reset on each engine.
pytestmark = pytest.mark.db_engine


def test_every_persona_exists_with_an_example_org_email(db, demo):
    expected_roles = {
        "jeanne": Role.PATIENT, "karim": Role.PATIENT, "louise": Role.PATIENT,
        "claire": Role.CAREGIVER, "lefevre": Role.PROFESSIONAL, "amina": Role.PROFESSIONAL,
        "sophie": Role.PROFESSIONAL, "marc": Role.PROFESSIONAL, "julie": Role.PROFESSIONAL,
        "lucas": Role.PROFESSIONAL, "nadia": Role.PROFESSIONAL, "francoise": Role.EDITOR,
    }
    for name, role in expected_roles.items():
        assert persona(db, name).role == role, name
    assert set(EMAILS.values()) <= set(db.exec(select(Account.email)).all())


def test_reloading_resets_the_demo(db, engine, demo):
    from sqlmodel import Session

    with Session(engine) as session:
        again = load_demo(session)
    assert again == demo
    assert db.exec(select(func.count()).select_from(Account)).one() == demo["accounts"]


def test_jeanne_has_a_full_carnet(db, demo):
    jeanne = db.exec(select(Patient).where(Patient.account_id == persona(db, "jeanne").id)).one()
    assert set(jeanne.conditions) == {"heart_failure", "diabetes_t2"}
    for model in (PlanItem, Appointment, SymptomReport, Note):
        count = db.exec(
            select(func.count()).select_from(model).where(model.patient_id == jeanne.id)
        ).one()
        assert count >= 3, model.__name__
    upcoming, past = queries.appointments(db, jeanne.id, utcnow())
    assert upcoming and past


def test_dr_lefevre_is_the_attending_doctor_of_jeanne_and_karim(db, demo):
    lefevre = persona(db, "lefevre")
    professional = db.exec(select(Professional).where(Professional.account_id == lefevre.id)).one()
    attended = db.exec(
        select(Account.email)
        .join(Patient, Patient.account_id == Account.id)
        .join(CareTeamMember, CareTeamMember.patient_id == Patient.id)
        .where(CareTeamMember.professional_id == professional.id,
               CareTeamMember.team_role == TeamRole.ATTENDING)
    ).all()
    assert {EMAILS["jeanne"], EMAILS["karim"]} <= set(attended)


def test_lucas_is_not_in_jeannes_team_and_claire_is_her_caregiver(db, demo):
    jeanne = db.exec(select(Patient).where(Patient.account_id == persona(db, "jeanne").id)).one()
    team_emails = {m.account.email for m in queries.care_team(db, jeanne.id)}
    assert EMAILS["lucas"] not in team_emails
    assert EMAILS["amina"] in team_emails
    link = db.exec(select(CaregiverLink).where(CaregiverLink.patient_id == jeanne.id)).one()
    assert link.caregiver_account_id == persona(db, "claire").id


def test_the_demo_command_loads_the_territory(app, demo):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo territory loaded" in result.output
