""""Who can see my carnet": a switch per person and part, effective at once, in the ledger."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import ConsentEvent, ConsentKind, DeliveryStatus, Notification, Patient

from .conftest import persona


@pytest.fixture
def carnet(db, demo) -> int:
    return db.exec(select(Patient.id).where(Patient.account_id == persona(db, "jeanne").id)).one()


def _switch(demo_actions, carnet: int, who: int, section: str, visible: str):
    token = demo_actions.csrf_token(f"/carnet/{carnet}/consent")
    return demo_actions.client.post(f"/carnet/{carnet}/consent", data={
        "csrf_token": token, "grantee": who, "section": section, "visible": visible})


def test_jeanne_sees_who_can_see_each_part(demo_actions, carnet):
    demo_actions.sign_in("jeanne")
    page = demo_actions.client.get(f"/carnet/{carnet}/consent",
                                   headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Claire Martin" in page and "Marc Dubois" in page
    assert "Your notebook: cannot see" in page  # Claire, who has the default scopes only


def test_each_person_is_a_closed_disclosure_summed_up_in_one_line(demo_actions, db, carnet):
    """Plain French for a reader with low literacy: the page is a short list of names, each
    closed, with what that person sees in one sentence; a switch brings her back to that
    person, open."""
    import re

    demo_actions.sign_in("jeanne")
    page = demo_actions.client.get(f"/carnet/{carnet}/consent").get_data(as_text=True)
    people = re.findall(r'<li id="person-\d+">\s*<details class="disclosure"( open)?>', page)
    assert len(people) >= 3 and not any(people)
    assert "Voit tout votre carnet." in page  # the care team, by default
    claire = re.search(r"<strong>Claire Martin</strong>.*?</summary>", page, re.S).group(0)
    assert "Voit votre équipe de soins, votre plan de soins et vos rendez-vous." in claire
    marc = persona(db, "marc")
    back = _switch(demo_actions, carnet, marc.id, "notes", "no").headers["Location"]
    assert back.endswith(f"?open={marc.id}#person-{marc.id}")
    page = demo_actions.client.get(back).get_data(as_text=True)
    assert f'<li id="person-{marc.id}">\n      <details class="disclosure" open>' in page


def test_jeanne_opposes_the_pharmacist_on_her_notes_and_it_applies_at_once(
    demo_actions, db, carnet
):
    marc = persona(db, "marc")
    demo_actions.sign_in("marc")
    assert demo_actions.client.get(f"/carnet/{carnet}/notes").status_code == 200
    demo_actions.sign_in("jeanne")
    assert _switch(demo_actions, carnet, marc.id, "notes", "no").status_code == 302
    event = db.exec(select(ConsentEvent).where(ConsentEvent.grantee_account_id == marc.id)).one()
    assert event.kind == ConsentKind.OPPOSE and event.scopes == ["notes"]
    demo_actions.sign_in("marc")
    assert demo_actions.client.get(f"/carnet/{carnet}/notes").status_code == 404
    assert demo_actions.client.get(f"/carnet/{carnet}/plan").status_code == 200
    demo_actions.sign_in("jeanne")
    _switch(demo_actions, carnet, marc.id, "notes", "yes")
    demo_actions.sign_in("marc")
    assert demo_actions.client.get(f"/carnet/{carnet}/notes").status_code == 200


def test_jeanne_shows_her_notebook_to_claire_then_stops(demo_actions, db, carnet):
    claire = persona(db, "claire")
    demo_actions.sign_in("jeanne")
    _switch(demo_actions, carnet, claire.id, "notes", "yes")
    demo_actions.sign_in("claire")
    assert demo_actions.client.get(f"/carnet/{carnet}/notes").status_code == 200
    demo_actions.sign_in("jeanne")
    _switch(demo_actions, carnet, claire.id, "notes", "no")
    demo_actions.sign_in("claire")
    assert demo_actions.client.get(f"/carnet/{carnet}/notes").status_code == 404
    kinds = [e.kind for e in db.exec(select(ConsentEvent).where(
        ConsentEvent.grantee_account_id == claire.id).order_by(ConsentEvent.id))]
    assert kinds[-2:] == [ConsentKind.GRANT, ConsentKind.REVOKE]


def test_a_waiting_notification_of_a_hidden_part_is_dropped(demo_actions, db, carnet):
    claire = persona(db, "claire")
    demo_actions.sign_in("jeanne")
    waiting = Notification(account_id=claire.id, patient_id=carnet, kind="plan_changed",
                           section="plan", url="/")
    db.add(waiting)
    db.commit()
    _switch(demo_actions, carnet, claire.id, "plan", "no")
    db.refresh(waiting)
    assert waiting.status == DeliveryStatus.DROPPED
    told = db.exec(select(Notification).where(Notification.account_id == claire.id,
                                              Notification.kind == "consent_changed")).all()
    assert len(told) == 1


@pytest.mark.parametrize("name", ["claire", "lefevre", "karim", "francoise", "lucas"])
def test_only_jeanne_decides(demo_actions, db, carnet, name):
    marc = persona(db, "marc")
    demo_actions.sign_in(name)
    assert demo_actions.client.get(f"/carnet/{carnet}/consent").status_code == 404
    token = demo_actions.csrf_token("/me/")
    response = demo_actions.client.post(f"/carnet/{carnet}/consent", data={
        "csrf_token": token, "grantee": marc.id, "section": "notes", "visible": "no"})
    assert response.status_code == 404
    assert not db.exec(
        select(ConsentEvent).where(ConsentEvent.grantee_account_id == marc.id)).all()


@pytest.mark.parametrize("data", [
    {"grantee": "999999", "section": "notes", "visible": "no"},
    {"grantee": "", "section": "notes", "visible": "no"},
    {"section": "secrets", "visible": "no"},
    {"section": "notes", "visible": "maybe"},
])
def test_bad_switches_change_nothing(demo_actions, db, carnet, data):
    demo_actions.sign_in("jeanne")
    data = {"grantee": str(persona(db, "marc").id), **data}
    before = len(db.exec(select(ConsentEvent)).all())
    token = demo_actions.csrf_token(f"/carnet/{carnet}/consent")
    response = demo_actions.client.post(f"/carnet/{carnet}/consent",
                                        data={"csrf_token": token, **data})
    assert response.status_code == 404
    assert len(db.exec(select(ConsentEvent)).all()) == before
