"""Caregivers: the patient chooses what they see and may do, at invitation and later,
until a date if she wants, and takes it all back in one tap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app import policy
from app.consent.ledger import PARIS
from app.models import Account, CaregiverLink, ConsentEvent, ConsentKind, Note, Patient

from .carnet_actions import carnet_id, stored
from .conftest import persona

LEDGER = ("consent_event", "caregiver_link", "invitation")
INVITED = (*LEDGER, "account")


def _invite_paul(jeanne, **choices):
    return jeanne.post("/me/caregivers/invite", first_name="Paul", last_name="Martin",
                       email="paul.martin@example.net", relationship="mon fils", **choices)


def _paul(db) -> Account:
    return db.exec(select(Account).where(Account.email == "paul.martin@example.net")).one()


def test_jeanne_invites_paul_to_see_the_plan_write_notes_and_report_for_her(
    signed_in, db, jeanne_id
):
    jeanne = signed_in("jeanne")
    response = _invite_paul(jeanne, sections=["plan"], may_write_notes="y",
                            may_report_symptoms="y")
    assert response.status_code == 302
    grant = db.exec(select(ConsentEvent).where(
        ConsentEvent.grantee_account_id == _paul(db).id)).one()
    assert grant.kind == ConsentKind.GRANT and grant.ends_at is None
    assert sorted(grant.scopes) == ["notes", "notes:write", "plan", "symptoms:write"]


@pytest.mark.db_engine
def test_an_end_date_ends_the_caregivers_access_after_that_day(app, signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    today = policy.utcnow().astimezone(PARIS).date()  # a day is a French one, even at 00:30
    _invite_paul(jeanne, sections=["team", "plan"], until=(today + timedelta(days=3)).isoformat())
    paul, carnet = _paul(db), db.get(Patient, jeanne_id)
    grant = db.exec(select(ConsentEvent).where(ConsentEvent.grantee_account_id == paul.id)).one()
    assert grant.ends_at > policy.utcnow() + timedelta(days=3)
    with app.test_request_context():
        assert policy.permissions(db, paul, carnet) == {"team": {"read"}, "plan": {"read"}}
    with app.test_request_context():
        events = db.exec(select(ConsentEvent).where(ConsentEvent.grantee_account_id == paul.id))
        ledger = policy.fold(events)
        assert not ledger.granted("plan", grant.ends_at)
        assert ledger.granted("plan", grant.ends_at - timedelta(seconds=1))


def test_the_choices_page_shows_what_the_invitation_ticks_by_default(signed_in):
    page = signed_in("jeanne").get("/me/caregivers/invite").get_data(as_text=True)
    for section in ("team", "plan", "appointments"):
        assert f'value="{section}" checked' in page
    assert 'value="notes" checked' not in page and 'value="symptoms" checked' not in page


def test_an_invitation_that_lets_the_caregiver_do_nothing_is_refused(signed_in, db):
    jeanne = signed_in("jeanne")
    before = stored(db, INVITED)
    response = _invite_paul(jeanne)
    assert response.status_code == 400
    assert "Tick at least one thing they can see or do." in response.get_data(as_text=True)
    assert stored(db, INVITED) == before


def test_an_end_date_in_the_past_is_refused(signed_in, db):
    jeanne = signed_in("jeanne")
    before = stored(db, INVITED)
    yesterday = (policy.utcnow() - timedelta(days=2)).date().isoformat()
    response = _invite_paul(jeanne, sections=["plan"], until=yesterday)
    assert response.status_code == 400
    assert "This date is already past." in response.get_data(as_text=True)
    assert stored(db, INVITED) == before


def test_jeanne_lets_claire_write_notes_later_and_claire_is_labelled_as_caregiver(
    signed_in, db, jeanne_id
):
    claire = persona(db, "claire")
    jeanne = signed_in("jeanne")
    for scope in ("notes", "notes:write"):
        assert jeanne.post(f"/carnet/{jeanne_id}/consent", grantee=claire.id, section=scope,
                           visible="yes").status_code == 302
    page = jeanne.get(f"/carnet/{jeanne_id}/consent").get_data(as_text=True)
    assert "Can write in your notebook." in page
    as_claire = signed_in("claire")
    assert as_claire.post(f"/carnet/{jeanne_id}/notes",
                          body="Maman a bien dormi.").status_code == 302
    note = db.exec(select(Note).where(Note.author_account_id == claire.id)).one()
    assert note.author_role == "caregiver"
    notebook = as_claire.get(f"/carnet/{jeanne_id}/notes").get_data(as_text=True)
    assert "Claire Martin (caregiver)" in notebook


def test_jeanne_sets_then_removes_an_end_date_for_claire(signed_in, db, jeanne_id):
    claire = persona(db, "claire")
    jeanne = signed_in("jeanne")
    day = (policy.utcnow() + timedelta(days=10)).date()
    assert jeanne.post(f"/carnet/{jeanne_id}/consent/until", grantee=claire.id,
                       until=day.isoformat()).status_code == 302
    page = jeanne.get(f"/carnet/{jeanne_id}/consent").get_data(as_text=True)
    assert "Claire can see this until" in page
    jeanne.post(f"/carnet/{jeanne_id}/consent/until", grantee=claire.id, until="")
    page = jeanne.get(f"/carnet/{jeanne_id}/consent").get_data(as_text=True)
    assert "No end date." in page


def test_a_bad_end_date_is_explained_and_changes_nothing(signed_in, db, jeanne_id):
    claire = persona(db, "claire")
    jeanne = signed_in("jeanne")
    before = stored(db, LEDGER)
    response = jeanne.post(f"/carnet/{jeanne_id}/consent/until", grantee=claire.id,
                           until="31/02/2027")
    assert response.status_code == 400
    assert "Please give a date" in response.get_data(as_text=True)
    assert stored(db, LEDGER) == before


def test_one_tap_stops_sharing_everything_with_claire(signed_in, db, jeanne_id):
    claire = persona(db, "claire")
    jeanne = signed_in("jeanne")
    jeanne.post(f"/carnet/{jeanne_id}/consent", grantee=claire.id, section="notes:write",
                visible="yes")
    assert signed_in("claire").get(f"/carnet/{jeanne_id}/plan").status_code == 200
    assert jeanne.post(f"/carnet/{jeanne_id}/consent/stop",
                       grantee=claire.id, confirm="1").status_code == 302
    as_claire = signed_in("claire")
    for path in ("", "plan", "team", "appointments", "notes"):
        assert as_claire.get(f"/carnet/{jeanne_id}/{path}").status_code == 404
    assert f"/carnet/{jeanne_id}/" not in as_claire.get("/carnets").get_data(as_text=True)
    timeline = jeanne.get(f"/carnet/{jeanne_id}/consent/timeline").get_data(as_text=True)
    assert "You stopped sharing everything with Claire Martin." in timeline
    # She stays Jeanne's caregiver: Jeanne can show her something again later.
    assert db.exec(select(CaregiverLink).where(
        CaregiverLink.caregiver_account_id == claire.id)).one()


def test_the_care_team_cannot_be_stopped_in_one_tap(signed_in, db, jeanne_id):
    lefevre = persona(db, "lefevre")
    jeanne = signed_in("jeanne")
    before = stored(db, LEDGER)
    assert jeanne.post(f"/carnet/{jeanne_id}/consent/stop",
                       grantee=lefevre.id).status_code == 404
    assert jeanne.post(f"/carnet/{jeanne_id}/consent", grantee=lefevre.id,
                       section="notes:write", visible="no").status_code == 404
    assert stored(db, LEDGER) == before


def test_only_jeanne_changes_what_claire_may_do(signed_in, db, jeanne_id):
    claire = persona(db, "claire")
    before = stored(db, LEDGER)
    for name in ("claire", "lefevre", "karim"):
        someone = signed_in(name)
        assert someone.post(f"/carnet/{jeanne_id}/consent/stop",
                            grantee=claire.id).status_code == 404
        assert someone.post(f"/carnet/{jeanne_id}/consent/until", grantee=claire.id,
                            until="").status_code == 404
    assert stored(db, LEDGER) == before
    assert carnet_id(db, "jeanne") == jeanne_id
