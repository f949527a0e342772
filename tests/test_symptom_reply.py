"""From the inbox, a professional replies to a report with a liaison note that refers to it;
only when they may write in the notebook, and only about a report of that carnet."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import AuditEvent, ConsentKind, Note, SymptomReport

from .carnet_actions import carnet_id, stored
from .conftest import persona
from .symptom_actions import decide, report_form


def _new_report(signed_in, db, jeanne_id, **answers) -> SymptomReport:
    signed_in("jeanne").post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db, **answers))
    return db.exec(select(SymptomReport).order_by(SymptomReport.id.desc())).first()


def test_dr_lefevre_replies_to_an_urgent_report_from_his_inbox(signed_in, db, jeanne_id):
    report = _new_report(signed_in, db, jeanne_id, breathlessness="8")
    lefevre = signed_in("lefevre")
    inbox = lefevre.get("/inbox").get_data(as_text=True)
    link = f"/carnet/{jeanne_id}/notes?reply_to={report.id}#new-note"
    assert f'<a class="button" href="{link}">Reply with a note</a>' in inbox

    page = lefevre.get(link.split("#")[0]).get_data(as_text=True)
    assert f'<input type="hidden" name="symptom_report_id" value="{report.id}">' in page
    assert "In reply to a symptom report" in page and "My heart today" in page
    assert f'href="/carnet/{jeanne_id}/symptoms#report-{report.id}"' in page
    audit = db.exec(select(AuditEvent).where(
        AuditEvent.actor_account_id == persona(db, "lefevre").id,
        AuditEvent.object_type == "symptom_report")).all()
    assert [(e.section, e.object_id, e.allowed) for e in audit] == [
        ("symptoms", report.id, True)]

    response = lefevre.post(f"/carnet/{jeanne_id}/notes", body="Je passe vous voir demain.",
                            symptom_report_id=str(report.id))
    assert response.status_code == 302
    note = db.exec(select(Note).order_by(Note.id.desc())).first()
    assert (note.body, note.symptom_report_id) == ("Je passe vous voir demain.", report.id)

    notebook = signed_in("jeanne").get(f"/carnet/{jeanne_id}/notes").get_data(as_text=True)
    assert (f'<a href="/carnet/{jeanne_id}/symptoms#report-{report.id}">'
            "In reply to a symptom report</a>") in notebook


def test_a_reply_that_is_refused_keeps_the_report_it_answers(signed_in, db, jeanne_id):
    report = _new_report(signed_in, db, jeanne_id)
    response = signed_in("lefevre").post(f"/carnet/{jeanne_id}/notes", body=" ",
                                         symptom_report_id=str(report.id))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Please write your note." in page
    assert f'name="symptom_report_id" value="{report.id}"' in page


def test_claire_who_reads_the_notes_but_not_the_reports_sees_no_link(signed_in, db, jeanne_id):
    report = _new_report(signed_in, db, jeanne_id)
    signed_in("lefevre").post(f"/carnet/{jeanne_id}/notes", body="Je passe demain.",
                              symptom_report_id=str(report.id))
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "notes")
    page = signed_in("claire").get(f"/carnet/{jeanne_id}/notes").get_data(as_text=True)
    assert "In reply to a symptom report" in page and "#report-" not in page


def test_no_reply_link_for_a_professional_who_may_not_write_notes(signed_in, db, jeanne_id):
    report = _new_report(signed_in, db, jeanne_id)
    decide(db, "jeanne", "marc", ConsentKind.OPPOSE, "notes")
    inbox = signed_in("marc").get("/inbox").get_data(as_text=True)
    assert f'id="report-{report.id}"' in inbox
    assert f"reply_to={report.id}" not in inbox


@pytest.mark.parametrize("value", ["abc", "-1", "1e3", "99999999", "9" * 40, "１"])
def test_a_reply_to_nothing_is_404_and_stores_nothing(signed_in, db, jeanne_id, value):
    lefevre = signed_in("lefevre")
    before = stored(db, ("note", "notification"))
    assert lefevre.get(f"/carnet/{jeanne_id}/notes?reply_to={value}").status_code == 404
    response = lefevre.post(f"/carnet/{jeanne_id}/notes", body="Bonjour",
                            symptom_report_id=value)
    assert response.status_code == 404
    assert stored(db, ("note", "notification")) == before


def test_a_reply_to_another_carnets_report_is_404(signed_in, db, jeanne_id):
    karims = db.exec(select(SymptomReport).where(
        SymptomReport.patient_id == carnet_id(db, "karim"))).first()
    lefevre = signed_in("lefevre")
    before = stored(db, ("note", "notification"))
    assert lefevre.get(f"/carnet/{jeanne_id}/notes?reply_to={karims.id}").status_code == 404
    assert lefevre.post(f"/carnet/{jeanne_id}/notes", body="Bonjour",
                        symptom_report_id=str(karims.id)).status_code == 404
    assert stored(db, ("note", "notification")) == before


def test_claire_may_write_notes_but_not_about_a_report_she_may_not_read(
    signed_in, db, jeanne_id
):
    report = _new_report(signed_in, db, jeanne_id)
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "notes", "notes:write")
    claire = signed_in("claire")
    before = stored(db, ("note", "notification"))
    assert claire.post(f"/carnet/{jeanne_id}/notes", body="Bonjour",
                       symptom_report_id=str(report.id)).status_code == 404
    assert stored(db, ("note", "notification")) == before
    assert claire.post(f"/carnet/{jeanne_id}/notes", body="Bonjour").status_code == 302
