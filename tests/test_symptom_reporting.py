"""Reporting how one feels: one screen, stored exactly once, bad input refused field by field."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.models import (
    AuditAction,
    AuditEvent,
    ConsentKind,
    ContentStatus,
    Questionnaire,
    SymptomReport,
)

from .carnet_actions import stored
from .conftest import persona
from .symptom_actions import decide, forget_heart_reports, questionnaire, report_form

TABLES = ("symptom_report", "notification")


def _reports(db, patient_id: int) -> list[SymptomReport]:
    db.expire_all()
    return list(db.exec(select(SymptomReport).where(SymptomReport.patient_id == patient_id)
                        .order_by(SymptomReport.id)))


def test_the_form_asks_each_question_with_a_label_a_legend_and_big_choices(signed_in, jeanne_id):
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/symptoms/new").get_data(as_text=True)
    assert "<h1 class=\"page-title\">How do I feel today?</h1>" in page
    assert '<legend>How breathless I am today</legend>' in page
    assert "0: I breathe easily" in page and "10: I am short of breath, even at rest" in page
    assert page.count('name="answer-breathlessness"') == 11
    assert '<legend>My ankles are swollen</legend>' in page
    assert '<label for="answer-weight">My weight this morning (kg)</label>' in page
    assert "Between 30 and 250 kg." in page
    assert re.search(r'<input type="hidden" name="client_id" value="[0-9a-f-]{36}">', page)
    assert 'name="csrf_token"' in page and 'name="urgent"' not in page
    assert "call 15" in page
    # Jeanne has two conditions: she can open her diabetes questionnaire too.
    assert "My diabetes today" in page


def test_jeanne_reports_and_reads_sent_to_your_care_team(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    response = jeanne.post(f"/carnet/{jeanne_id}/symptoms/new",
                           **report_form(db, note="Bonne nuit."))
    assert response.status_code == 303
    report = _reports(db, jeanne_id)[-1]
    assert response.location == f"/carnet/{jeanne_id}/symptoms/{report.id}/sent"
    assert report.answers == {"weight": 72.5, "breathlessness": 3, "ankles": False,
                              "night_cough": False, "tiredness": 4}
    assert report.note == "Bonne nuit." and not report.urgent and report.fired_rules == []
    assert report.reported_by_account_id == persona(db, "jeanne").id

    page = jeanne.get(response.location).get_data(as_text=True)
    assert "Sent to your care team" in page and "What happens next" in page
    assert "72.5\u00a0kg" in page and "3 out of 10" in page
    assert 'href="tel:15"' not in page


def test_an_urgent_report_says_which_rule_fired_and_to_call_15(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    response = jeanne.post(f"/carnet/{jeanne_id}/symptoms/new",
                           **report_form(db, breathlessness="8"))
    report = _reports(db, jeanne_id)[-1]
    assert report.urgent
    assert [rule["key"] for rule in report.fired_rules] == ["breathless_high"]
    page = jeanne.get(response.location).get_data(as_text=True)
    assert "Severe breathlessness (7 or more out of 10)" in page
    assert 'href="tel:15"' in page and "call 15 now" in page


@pytest.mark.db_engine
def test_weight_gained_over_three_days_makes_the_report_urgent(signed_in, db, jeanne_id):
    forget_heart_reports(db, jeanne_id)
    jeanne = signed_in("jeanne")
    jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db, weight="71"))
    jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db, weight="73"))
    first, second = _reports(db, jeanne_id)[-2:]
    assert not first.urgent
    assert [rule["key"] for rule in second.fired_rules] == ["weight_gain"]


def test_claire_reports_for_her_mother_when_allowed_and_a_rule_fires(signed_in, db, jeanne_id):
    claire = signed_in("claire")
    assert claire.get(f"/carnet/{jeanne_id}/symptoms/new").status_code == 404
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms:write")

    page = claire.get(f"/carnet/{jeanne_id}/symptoms/new").get_data(as_text=True)
    assert "How does Jeanne Martin feel today?" in page
    response = claire.post(f"/carnet/{jeanne_id}/symptoms/new",
                           **report_form(db, breathlessness="7"))
    assert response.status_code == 303
    report = _reports(db, jeanne_id)[-1]
    assert report.reported_by_account_id == persona(db, "claire").id
    assert report.urgent and report.fired_rules[0]["key"] == "breathless_high"
    page = claire.get(response.location).get_data(as_text=True)
    assert "Sent to the care team" in page and 'href="tel:15"' in page
    # She may report, not read the reports: the confirmation does not link to them.
    assert f'href="/carnet/{jeanne_id}/symptoms"' not in page
    assert claire.get(f"/carnet/{jeanne_id}/symptoms").status_code == 404


def test_someone_else_cannot_read_the_confirmation_of_a_report(signed_in, db, jeanne_id):
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms:write")
    location = signed_in("jeanne").post(f"/carnet/{jeanne_id}/symptoms/new",
                                        **report_form(db)).location
    assert signed_in("claire").get(location).status_code == 404


def test_claires_report_sent_again_writes_no_second_line_in_who_saw(signed_in, db, jeanne_id):
    """A report the phone sends again (same client id) changes nothing and shows nothing:
    "Who saw my carnet" keeps the one line of the report made."""
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms:write")
    claire, form = signed_in("claire"), report_form(db)
    last = db.exec(select(sa.func.max(AuditEvent.id))).one() or 0
    first = claire.post(f"/carnet/{jeanne_id}/symptoms/new", **form)
    again = claire.post(f"/carnet/{jeanne_id}/symptoms/new", **form)
    assert (again.status_code, again.location) == (first.status_code, first.location)
    lines = db.exec(select(AuditEvent.action, AuditEvent.section).where(
        AuditEvent.id > last)).all()
    assert lines == [(AuditAction.CREATE, "symptoms")]


@pytest.mark.db_engine
def test_a_replay_gets_the_same_answer_and_stores_one_report(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    form = report_form(db, note="Une fois.")
    first = jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **form)
    count = len(_reports(db, jeanne_id))
    again = jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **form)
    assert (again.status_code, again.location) == (first.status_code, first.location)
    assert len(_reports(db, jeanne_id)) == count


@pytest.mark.db_engine
def test_a_replay_still_gets_its_answer_after_the_questionnaire_was_retired(
    signed_in, db, jeanne_id
):
    jeanne = signed_in("jeanne")
    form = report_form(db)
    first = jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **form)
    row = db.get(Questionnaire, int(form["questionnaire_id"]))
    row.status = ContentStatus.RETIRED
    db.commit()
    assert jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **form).location == first.location


def _refused(client, db, jeanne_id, form) -> str:
    before = stored(db, TABLES)
    response = client.post(f"/carnet/{jeanne_id}/symptoms/new", **form)
    assert response.status_code == 400
    assert stored(db, TABLES) == before
    page = response.get_data(as_text=True)
    assert "Nothing was sent. Please check:" in page
    return page


def _field_error(page: str, name: str) -> str:
    return re.search(rf'<p id="answer-{name}-error" class="field-error">([^<]*)</p>',
                     page).group(1)


@pytest.mark.parametrize(("item", "value", "message"), [
    ("weight", "29.9", "Write a number between 30 and 250 kg."),
    ("weight", "250.1", "Write a number between 30 and 250 kg."),
    ("weight", "soixante", "Write a number between 30 and 250 kg."),
    ("weight", "NaN", "Write a number between 30 and 250 kg."),
    ("weight", "72.55", "Write at most 1 decimal place."),
    ("weight", "", "Please answer this question."),
    ("breathlessness", "11", "Choose a number from 0 to 10."),
    ("breathlessness", "-1", "Choose a number from 0 to 10."),
    ("breathlessness", "3.5", "Choose a number from 0 to 10."),
    ("breathlessness", "", "Please answer this question."),
    ("ankles", "maybe", "Answer yes or no."),
    ("ankles", "true", "Answer yes or no."),
    ("tiredness", "٣", "Choose a number from 0 to 10."),
])
def test_a_bad_answer_is_refused_next_to_its_question(
    signed_in, db, jeanne_id, item, value, message
):
    page = _refused(signed_in("jeanne"), db, jeanne_id, report_form(db, **{item: value}))
    assert _field_error(page, item) == message
    assert f'href="#answer-{item}"' in page


def test_a_number_typed_with_a_comma_is_understood(signed_in, db, jeanne_id):
    signed_in("jeanne").post(f"/carnet/{jeanne_id}/symptoms/new",
                             **report_form(db, weight="72,4"))
    assert _reports(db, jeanne_id)[-1].answers["weight"] == 72.4


def test_a_missing_answer_is_refused_and_the_other_answers_are_kept(signed_in, db, jeanne_id):
    form = report_form(db, note="Je garde ma note.")
    del form["answer-ankles"]
    page = _refused(signed_in("jeanne"), db, jeanne_id, form)
    assert _field_error(page, "ankles") == "Please answer this question."
    assert 'value="72.5"' in page and "Je garde ma note." in page
    assert 'name="answer-breathlessness" value="3" checked' in page


def test_a_forged_urgent_field_is_refused(signed_in, db, jeanne_id):
    page = _refused(signed_in("jeanne"), db, jeanne_id, {**report_form(db), "urgent": "1"})
    assert "Whether a report is urgent is decided by Carnet from your answers." in page


def test_an_answer_to_a_question_not_asked_is_refused(signed_in, db, jeanne_id):
    page = _refused(signed_in("jeanne"), db, jeanne_id,
                    {**report_form(db), "answer-glycaemia": "1.2"})
    assert "This form sent something it does not ask." in page


@pytest.mark.parametrize("questionnaire_id", ["", "abc", "999999", "copd"])
def test_an_unknown_questionnaire_is_refused(signed_in, db, jeanne_id, questionnaire_id):
    if questionnaire_id == "copd":  # Karim's: not one of Jeanne's conditions
        questionnaire_id = str(questionnaire(db, "copd").id)
    page = _refused(signed_in("jeanne"), db, jeanne_id,
                    {**report_form(db), "questionnaire_id": questionnaire_id})
    assert "This questionnaire does not exist." in page


def test_a_retired_questionnaire_version_is_refused(signed_in, db, jeanne_id):
    form = report_form(db)
    row = db.get(Questionnaire, int(form["questionnaire_id"]))
    row.status = ContentStatus.RETIRED
    db.commit()
    page = _refused(signed_in("jeanne"), db, jeanne_id, form)
    assert "This questionnaire has changed since you opened it." in page


@pytest.mark.db_engine
def test_a_uuid_reused_for_other_answers_is_refused(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    form = report_form(db)
    jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **form)
    page = _refused(jeanne, db, jeanne_id, {**form, "answer-tiredness": "9"})
    assert "This report was already sent with other answers." in page
    # The form offers a fresh UUID, so that sending it again works.
    assert f'value="{form["client_id"]}"' not in page


@pytest.mark.parametrize("client_id", ["", "not-a-uuid", "{12345678-1234-5678-1234-567812345678}"])
def test_a_bad_client_uuid_is_refused(signed_in, db, jeanne_id, client_id):
    page = _refused(signed_in("jeanne"), db, jeanne_id,
                    {**report_form(db), "client_id": client_id})
    assert "This form is not valid any more." in page


@pytest.mark.db_engine
def test_a_uuid_of_another_patients_report_is_refused(signed_in, db, jeanne_id):
    karim_report = db.exec(select(SymptomReport).where(
        SymptomReport.patient_id != jeanne_id)).first()
    page = _refused(signed_in("jeanne"), db, jeanne_id,
                    report_form(db, client_id=karim_report.client_id))
    assert "This report was already sent with other answers." in page


def test_a_note_too_long_is_refused(signed_in, db, jeanne_id):
    page = _refused(signed_in("jeanne"), db, jeanne_id, report_form(db, note="n" * 1001))
    assert "At most 1000 characters (you wrote 1001)." in page


@pytest.mark.parametrize("name", ["lucas", "francoise", "karim", "claire"])
def test_people_who_may_not_report_get_404_and_nothing_is_stored(signed_in, db, jeanne_id, name):
    client = signed_in(name)
    before = stored(db, TABLES)
    assert client.get(f"/carnet/{jeanne_id}/symptoms/new").status_code == 404
    assert client.post(f"/carnet/{jeanne_id}/symptoms/new",
                       **report_form(db)).status_code == 404
    assert stored(db, TABLES) == before


def test_the_diabetes_questionnaire_is_the_other_choice(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    diabetes = questionnaire(db, "diabetes_t2")
    page = jeanne.get(f"/carnet/{jeanne_id}/symptoms/new?questionnaire={diabetes.id}"
                      ).get_data(as_text=True)
    assert "<h2>My diabetes today</h2>" in page
    form = report_form(db, "diabetes_t2", glycaemia="0.69", hypoglycaemia="0",
                       foot_wound="yes", foot_wound_where="Sous le talon")
    assert jeanne.post(f"/carnet/{jeanne_id}/symptoms/new", **form).status_code == 303
    report = _reports(db, jeanne_id)[-1]
    assert report.answers == {"glycaemia": 0.69, "hypoglycaemia": 0, "foot_wound": True,
                              "foot_wound_where": "Sous le talon"}
    assert [rule["key"] for rule in report.fired_rules] == ["glycaemia_low", "foot_wound"]


@pytest.mark.db_engine
def test_the_same_uuid_sent_twice_at_once_stores_one_report(app, engine, db, jeanne_id,
                                                            monkeypatch):
    """The second request passed the replay check before the first one stored the report:
    the unique constraint stops it, and it answers with the stored report."""
    from sqlmodel import Session

    from app.models import Patient
    from app.symptoms import reports

    form = report_form(db)
    submission = reports.Submission.from_form(form)
    with app.test_request_context(), Session(engine) as session:
        first, replayed = reports.submit_report(
            session, session.get(Patient, jeanne_id), persona(session, "jeanne"), submission)
        assert not replayed
        session.commit()  # the request's one commit
        first_id = first.id
    real_replay = reports._replay
    calls = []

    def too_late_the_first_time(*args):
        calls.append(args)
        return None if len(calls) == 1 else real_replay(*args)

    monkeypatch.setattr(reports, "_replay", too_late_the_first_time)
    before = stored(db, TABLES)
    with app.test_request_context(), Session(engine) as session:
        second, replayed = reports.submit_report(
            session, session.get(Patient, jeanne_id), persona(session, "jeanne"), submission)
        assert replayed and second.id == first_id and len(calls) == 2
    assert stored(db, TABLES) == before


def test_the_summary_names_each_question_to_answer(signed_in, db, jeanne_id):
    form = report_form(db)
    del form["answer-ankles"], form["answer-night_cough"]
    page = _refused(signed_in("jeanne"), db, jeanne_id, form)
    assert ('<a href="#answer-ankles">My ankles are swollen: Please answer this question.</a>'
            in page)
    assert ('<a href="#answer-night_cough">I coughed last night: Please answer this question.'
            '</a>' in page)


def test_a_bad_answer_to_a_retired_version_also_says_it_changed(signed_in, db, jeanne_id):
    form = report_form(db, weight="")
    row = db.get(Questionnaire, int(form["questionnaire_id"]))
    row.status = ContentStatus.RETIRED
    db.commit()
    page = _refused(signed_in("jeanne"), db, jeanne_id, form)
    assert "This questionnaire has changed since you opened it." in page
