""""Who saw my carnet" and the consent timeline: the patient's own pages."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Patient

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
