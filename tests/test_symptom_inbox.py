"""A professional's inbox: new reports of the patients they may see, urgent first."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.models import AuditEvent, ConsentKind, SymptomReport

from .carnet_actions import carnet_id
from .conftest import persona
from .symptom_actions import decide, report_form
from .test_symptom_reading import _count_queries, _seed, next_page


def _shown(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li id="report-(\d+)"', page)]


def test_dr_lefevre_sees_the_reports_not_yet_seen_urgent_first(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db))
    jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db, breathlessness="9"))
    page = signed_in("lefevre").get("/inbox").get_data(as_text=True)
    shown = [db.get(SymptomReport, i) for i in _shown(page)]
    assert shown and all(r.acknowledged_at is None for r in shown)
    # Jeanne's, and another of his patients' with reports not yet seen (Karim's). Which
    # other carnets have some depends on the hour the demo was made: any of them may show,
    # never one without unseen reports.
    waiting = set(db.exec(select(SymptomReport.patient_id).where(
        SymptomReport.patient_id != jeanne_id, SymptomReport.acknowledged_at.is_(None))).all())
    others = {r.patient_id for r in shown} - {jeanne_id}
    assert jeanne_id in {r.patient_id for r in shown} and others and others <= waiting
    urgent = [r.urgent for r in shown]
    assert urgent == sorted(urgent, reverse=True) and urgent[0]
    assert "Jeanne Martin" in page and "Severe breathlessness (7 or more out of 10)" in page


def test_a_report_marked_as_seen_leaves_the_inbox(signed_in, db, jeanne_id):
    signed_in("jeanne").post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db))
    amina = signed_in("amina")
    report_id = _shown(amina.get("/inbox").get_data(as_text=True))[0]
    response = amina.post(f"/carnet/{jeanne_id}/symptoms/{report_id}/acknowledge",
                          back="inbox")
    assert response.status_code == 303 and response.location == "/inbox"
    assert report_id not in _shown(amina.get("/inbox").get_data(as_text=True))


def test_marc_opposed_on_symptoms_does_not_see_jeannes_reports(signed_in, db, jeanne_id):
    marc = signed_in("marc")
    assert jeanne_id in {db.get(SymptomReport, i).patient_id
                         for i in _shown(marc.get("/inbox").get_data(as_text=True))}
    decide(db, "jeanne", "marc", ConsentKind.OPPOSE, "symptoms")
    page = marc.get("/inbox").get_data(as_text=True)
    assert jeanne_id not in {db.get(SymptomReport, i).patient_id for i in _shown(page)}
    assert _shown(page)  # Karim's and Louise's are still there


def test_each_carnet_shown_in_the_inbox_is_audited(signed_in, db, jeanne_id):
    signed_in("lefevre").get("/inbox")
    events = db.exec(select(AuditEvent).where(
        AuditEvent.actor_account_id == persona(db, "lefevre").id,
        AuditEvent.section == "symptoms")).all()
    assert jeanne_id in {e.patient_id for e in events} and all(e.allowed for e in events)


@pytest.mark.parametrize("name", ["jeanne", "claire", "francoise"])
def test_the_inbox_is_for_professionals(signed_in, name):
    assert signed_in(name).get("/inbox").status_code == 404


@pytest.mark.db_engine
def test_the_inbox_makes_as_many_queries_with_1000_reports_as_with_30(
    signed_in, engine, db, jeanne_id
):
    """Both of Dr Lefèvre's patients have reports on every page, so that each page audits
    the same carnets; only the number of reports grows."""
    karim_id = carnet_id(db, "karim")
    client = signed_in("lefevre").actions.client
    for _ in range(3):
        for carnet in (jeanne_id, karim_id):
            _seed(db, carnet, 5)
    paths = ["/inbox", next_page(client, "/inbox")]
    for path in paths:
        _count_queries(engine, client, path)
    with_30 = [_count_queries(engine, client, path) for path in paths]
    for _ in range(97):
        for carnet in (jeanne_id, karim_id):
            _seed(db, carnet, 5)
    paths = ["/inbox", next_page(client, "/inbox")]
    page = client.get(paths[1]).get_data(as_text=True)
    assert 'rel="prev">Previous</a>' in page and "Karim Belkacem" in page
    assert "Jeanne Martin" in page
    assert [_count_queries(engine, client, path) for path in paths] == with_30
