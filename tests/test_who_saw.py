""""Who saw my carnet" and the consent timeline: the patient's own pages."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.carnet.appointments import new_feed_token
from app.models import Appointment, AuditEvent, Patient, PlanItem, PlanItemKind

from .conftest import persona


def _jeanne_id(db) -> int:
    return db.exec(select(Patient.id).where(Patient.account_id == persona(db, "jeanne").id)).one()


def _page(demo_actions, path: str) -> str:
    return demo_actions.client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_jeanne_sees_that_dr_lefevre_read_her_care_plan(demo_actions, db):
    carnet = _jeanne_id(db)
    demo_actions.sign_in("lefevre")
    demo_actions.client.get(f"/carnet/{carnet}/plan")
    demo_actions.sign_in("jeanne")
    demo_actions.client.get(f"/carnet/{carnet}/plan")  # her own read is not listed
    page = _page(demo_actions, f"/carnet/{carnet}/who-saw")
    assert page.count("read your care plan") == 1
    assert "Dr Paul Lefèvre read your care plan." in page


def test_a_refused_attempt_is_listed_too(demo_actions, db):
    carnet = _jeanne_id(db)
    demo_actions.sign_in("lucas")
    assert demo_actions.client.get(f"/carnet/{carnet}/notes").status_code == 404
    demo_actions.sign_in("jeanne")
    page = _page(demo_actions, f"/carnet/{carnet}/who-saw")
    assert "Lucas Moreau tried to open" in page and "It was refused." in page


@pytest.mark.parametrize("name", ["claire", "lefevre", "karim", "francoise"])
def test_only_jeanne_reads_her_audit_trail_and_her_decisions(demo_actions, db, name):
    carnet = _jeanne_id(db)
    demo_actions.sign_in(name)
    assert demo_actions.client.get(f"/carnet/{carnet}/who-saw").status_code == 404
    assert demo_actions.client.get(f"/carnet/{carnet}/consent/timeline").status_code == 404


def test_the_timeline_tells_jeannes_decisions_in_plain_words(demo_actions, db):
    demo_actions.sign_in("jeanne")
    page = _page(demo_actions, f"/carnet/{_jeanne_id(db)}/consent/timeline")
    assert "You let Claire Martin see" in page and "your care plan" in page


def test_an_attempt_on_jeannes_sharing_choices_is_audited(demo_actions, db):
    carnet = _jeanne_id(db)
    demo_actions.sign_in("lefevre")
    assert demo_actions.client.get(f"/carnet/{carnet}/consent").status_code == 404
    assert demo_actions.client.get(f"/carnet/{carnet}/calendar").status_code == 404
    demo_actions.sign_in("jeanne")
    page = _page(demo_actions, f"/carnet/{carnet}/who-saw")
    assert "Dr Paul Lefèvre tried to open your sharing choices. It was refused." in page
    assert "Dr Paul Lefèvre tried to open your calendar link. It was refused." in page


# What each access is called: read, added, changed, removed, printed, downloaded, refused --

def _lines(db, name: str) -> list[tuple[str, str, bool]]:
    """(section, action, allowed) of what ``name`` did in Jeanne's carnet, oldest first."""
    db.expire_all()
    return [(e.section, e.action.value, e.allowed) for e in db.exec(
        select(AuditEvent).where(AuditEvent.actor_account_id == persona(db, name).id)
        .order_by(AuditEvent.id))]


def _who_saw(signed_in, carnet: int) -> str:
    return signed_in("jeanne").get(f"/carnet/{carnet}/who-saw").get_data(as_text=True)


def _version(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


@pytest.mark.db_engine
def test_dr_lefevre_opening_two_forms_and_leaving_reads_jeannes_carnet_and_changes_nothing(
    signed_in, db, jeanne_id
):
    lefevre = signed_in("lefevre")
    item = _jeannes_action(db, jeanne_id)
    assert lefevre.get(f"/carnet/{jeanne_id}/plan/{item}/edit").status_code == 200
    assert lefevre.get(f"/carnet/{jeanne_id}/appointments/new").status_code == 200

    assert _lines(db, "lefevre") == [("plan", "read", True), ("appointments", "read", True)]
    page = _who_saw(signed_in, jeanne_id)
    assert "Dr Paul Lefèvre read your care plan." in page
    assert "Dr Paul Lefèvre read your appointments." in page
    assert "changed" not in page


@pytest.mark.db_engine
def test_a_refused_save_is_a_read_and_only_a_saved_one_a_change(signed_in, db, jeanne_id):
    lefevre = signed_in("lefevre")
    item = _jeannes_action(db, jeanne_id)
    path = f"/carnet/{jeanne_id}/plan/{item}"
    version = _version(lefevre.get(f"{path}/edit").get_data(as_text=True))
    assert lefevre.post(path, title="", version=version).status_code == 400
    stale = str(int(version) + 1)  # someone saved meanwhile, as far as this form knows
    assert lefevre.post(path, title="Me peser à jeun", version=stale).status_code == 409
    assert "changed" not in _who_saw(signed_in, jeanne_id)
    assert ("plan", "update", True) not in _lines(db, "lefevre")

    assert lefevre.post(path, title="Me peser à jeun", version=version).status_code == 302
    assert _lines(db, "lefevre").count(("plan", "update", True)) == 1
    assert _who_saw(signed_in, jeanne_id).count("Dr Paul Lefèvre changed your care plan.") == 1


@pytest.mark.db_engine
def test_adding_and_removing_a_plan_item_are_told_as_such(signed_in, db, jeanne_id):
    lefevre = signed_in("lefevre")
    assert lefevre.post(f"/carnet/{jeanne_id}/plan/new", kind="problem",
                        title="Sommeil").status_code == 302
    added = db.exec(select(PlanItem).where(PlanItem.patient_id == jeanne_id,
                                           PlanItem.title == "Sommeil")).one()
    assert lefevre.post(f"/carnet/{jeanne_id}/plan/{added.id}/delete", confirm="yes",
                        version=added.version).status_code == 302

    assert [line for line in _lines(db, "lefevre") if line[1] != "read"] == [
        ("plan", "create", True), ("plan", "delete", True)]
    page = _who_saw(signed_in, jeanne_id)
    assert "Dr Paul Lefèvre added something to your care plan." in page
    assert "Dr Paul Lefèvre removed something from your care plan." in page


@pytest.mark.db_engine
def test_claire_printing_the_carnet_and_downloading_an_appointment_are_exports(
    signed_in, db, jeanne_id
):
    claire = signed_in("claire")
    appointment = db.exec(select(Appointment.id).where(
        Appointment.patient_id == jeanne_id)).first()
    assert claire.get(f"/carnet/{jeanne_id}/print").status_code == 200
    assert claire.get(
        f"/carnet/{jeanne_id}/appointments/{appointment}/calendar.ics").status_code == 200

    lines = _lines(db, "claire")  # each part Jeanne shares with her, printed; then the file
    assert {action for _section, action, _allowed in lines} == {"export"}
    assert lines[-1] == ("appointments", "export", True) and ("plan", "export", True) in lines
    page = _who_saw(signed_in, jeanne_id)
    assert "Claire Martin printed your care plan." in page
    assert "Claire Martin downloaded your appointments." in page
    assert "Claire Martin read" not in page


@pytest.mark.db_engine
def test_jeannes_calendar_link_in_use_is_told_once_a_day(app, client, signed_in, db, jeanne_id):
    with app.test_request_context():
        token = new_feed_token(db, db.get(Patient, jeanne_id))
        db.commit()
    for _ in range(3):  # her calendar app asks every hour or so
        assert client.get(f"/calendar/{token}.ics").status_code == 200
    page = _who_saw(signed_in, jeanne_id)
    assert page.count("Your calendar link was used: a calendar app copied your appointments.") == 1


def test_a_refused_change_is_told_as_a_refused_change(signed_in, db, jeanne_id):
    # Claire reads the plan, but only the care team keeps it.
    assert signed_in("claire").post(f"/carnet/{jeanne_id}/plan/new", kind="problem",
                                    title="Sommeil").status_code == 404
    assert _lines(db, "claire") == [("plan", "create", False)]
    assert ("Claire Martin tried to add something to your care plan. It was refused."
            in _who_saw(signed_in, jeanne_id))


def _jeannes_action(db, carnet: int) -> int:
    return db.exec(select(PlanItem.id).where(PlanItem.patient_id == carnet,
                                             PlanItem.kind == PlanItemKind.ACTION)).first()
