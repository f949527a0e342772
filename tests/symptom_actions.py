"""Helpers for the symptom tests: a report form filled in, and the patient's decisions."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from app.models import (
    ConsentEvent,
    ConsentKind,
    ContentStatus,
    Note,
    Patient,
    Questionnaire,
    SymptomReport,
)
from app.symptoms.reports import new_client_id
from app.types import utcnow

from .conftest import persona

# Jeanne's usual morning: nothing fires against her demo diary (71–73 kg).
CALM = {"weight": "72.5", "breathlessness": "3", "ankles": "no", "night_cough": "no",
        "tiredness": "4"}


def questionnaire(db, code: str = "heart_failure", language: str = "en") -> Questionnaire:
    """The published questionnaire ``code`` in ``language``."""
    return db.exec(select(Questionnaire).where(
        Questionnaire.code == code, Questionnaire.language == language,
        Questionnaire.status == ContentStatus.PUBLISHED)).one()


def report_form(db, code: str = "heart_failure", client_id: str | None = None,
                note: str = "", **answers: str) -> dict[str, str]:
    """The fields a browser sends for a report (heart failure, calm answers by default)."""
    values = dict(CALM) if code == "heart_failure" else {}
    values.update(answers)
    form = {f"answer-{key}": value for key, value in values.items() if value is not None}
    form.update(questionnaire_id=str(questionnaire(db, code).id),
                client_id=client_id or new_client_id(), note=note)
    return form


def decide(db, patient: str, grantee: str, kind: ConsentKind, *scopes: str) -> None:
    """The patient's decision about ``grantee`` (a persona), appended to the ledger."""
    owner = persona(db, patient)
    carnet = db.exec(select(Patient.id).where(Patient.account_id == owner.id)).one()
    db.add(ConsentEvent(patient_id=carnet, kind=kind, grantee_account_id=persona(db, grantee).id,
                        scopes=list(scopes), decided_by_id=owner.id))
    db.commit()


def forget_heart_reports(db, patient_id: int) -> None:
    """Start a heart-failure diary from nothing, so that trends only see the test's reports."""
    ids = select(Questionnaire.id).where(Questionnaire.code == "heart_failure")
    for note in db.exec(select(Note).where(Note.patient_id == patient_id,
                                           col(Note.symptom_report_id).is_not(None))):
        note.symptom_report_id = None
    db.flush()
    for report in db.exec(select(SymptomReport).where(
            SymptomReport.patient_id == patient_id, col(SymptomReport.questionnaire_id).in_(ids))):
        db.delete(report)
    db.commit()


def days_ago(days: float):
    return utcnow() - timedelta(days=days)
