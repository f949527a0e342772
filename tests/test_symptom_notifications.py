"""Each report tells, in its own transaction, exactly the team members allowed to see it."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.models import ConsentKind, Notification, NotificationKind, Patient, SymptomReport
from app.symptoms import reports

from .carnet_actions import stored
from .conftest import persona
from .symptom_actions import decide, report_form

# Jeanne's care team: her GP, the home nurse, the IPA, the cardiologist, the pharmacist and
# the coordinator (Thomas Garnier and Nadia Haddad have no persona in conftest).
TEAM = {"paul.lefevre", "amina.benali", "sophie.girard", "thomas.garnier", "marc.dubois",
        "nadia.haddad"}


def _told(db, report_id: int | None = None) -> dict[str, bool]:
    db.expire_all()
    rows = db.exec(select(Notification).where(
        Notification.kind == NotificationKind.SYMPTOM_REPORT)).all()
    from app.models import Account

    return {db.get(Account, row.account_id).email.split("@")[0]: row.urgent for row in rows}


def test_a_report_tells_each_team_member_once_and_not_its_author(signed_in, db, jeanne_id):
    signed_in("jeanne").post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db))
    told = _told(db)
    assert set(told) == TEAM
    assert not any(told.values())
    row = db.exec(select(Notification).where(
        Notification.kind == NotificationKind.SYMPTOM_REPORT)).first()
    assert row.url == f"/carnet/{jeanne_id}/symptoms" and row.section == "symptoms"


def test_an_urgent_report_makes_urgent_notifications(signed_in, db, jeanne_id):
    signed_in("jeanne").post(f"/carnet/{jeanne_id}/symptoms/new",
                             **report_form(db, breathlessness="9"))
    told = _told(db)
    assert set(told) == TEAM and all(told.values())


def test_jeanne_opposes_the_pharmacist_on_symptoms_and_he_is_not_told(signed_in, db, jeanne_id):
    decide(db, "jeanne", "marc", ConsentKind.OPPOSE, "symptoms")
    signed_in("jeanne").post(f"/carnet/{jeanne_id}/symptoms/new",
                             **report_form(db, breathlessness="9"))
    assert set(_told(db)) == TEAM - {"marc.dubois"}


def test_a_caregivers_report_tells_the_team_not_the_caregiver_nor_lucas(signed_in, db, jeanne_id):
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms", "symptoms:write")
    decide(db, "jeanne", "lucas", ConsentKind.GRANT, "appointments")
    signed_in("claire").post(f"/carnet/{jeanne_id}/symptoms/new",
                             **report_form(db, breathlessness="7"))
    told = _told(db)
    assert set(told) == TEAM and all(told.values())


@pytest.mark.db_engine
def test_a_replay_tells_no_one_again(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    form = report_form(db)
    jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **form)
    before = stored(db, ("notification", "symptom_report"))
    jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **form)
    assert stored(db, ("notification", "symptom_report")) == before


def test_a_report_is_not_kept_when_the_team_cannot_be_told(app, engine, db, jeanne_id,
                                                           monkeypatch):
    """The report and its notifications are one transaction: both are kept, or neither."""
    real_notify = reports.notify

    def notify_then_fail(*args, **kwargs):
        assert real_notify(*args, **kwargs)
        raise RuntimeError("the outbox is broken")

    monkeypatch.setattr(reports, "notify", notify_then_fail)
    form = report_form(db)
    before = stored(db, ("notification", "symptom_report"))
    with app.test_request_context(), Session(engine) as session:
        patient = session.get(Patient, jeanne_id)
        with pytest.raises(RuntimeError):
            reports.submit_report(session, patient, persona(session, "jeanne"),
                                  reports.Submission.from_form(form))
        session.rollback()
    assert stored(db, ("notification", "symptom_report")) == before
    assert db.exec(select(SymptomReport).where(
        SymptomReport.client_id == form["client_id"])).first() is None
