"""The patient's plan of action: after a report, the zone it is in (green, amber, red) and
what to do now, in plain words and the reader's language; the whole plan for the carnet's
conditions; the red zone says "call 15" even where no page was written."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from app.models import (
    AuditEvent,
    ConsentKind,
    ContentPage,
    ContentStatus,
    Notification,
    NotificationKind,
)
from app.symptoms import zones

from .conftest import persona
from .symptom_actions import decide, forget_heart_reports, report_form

GAIN_PAGE = "I say my weight this morning and 3 days ago."  # the amber page, in English
GAIN_PAGE_FR = "Je dis mon poids de ce matin"


def _in(browser, language: str):
    browser.actions.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return browser


def _report(browser, db, jeanne_id: int, **answers: str) -> str:
    """Send a heart-failure report; the confirmation page."""
    sent = browser.post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db, **answers))
    assert sent.status_code == 303
    return browser.get(sent.location).get_data(as_text=True)


def _gain_of_2_4_kg(browser, db, jeanne_id: int) -> str:
    """71.0 kg, then 73.4 kg within 3 days: the amber zone."""
    forget_heart_reports(db, jeanne_id)
    _report(browser, db, jeanne_id, weight="71.0")
    return _report(browser, db, jeanne_id, weight="73.4")


def test_a_gain_of_2_4_kg_puts_jeanne_in_the_amber_zone_with_its_advice(
        signed_in, db, jeanne_id):
    page = _gain_of_2_4_kg(signed_in("jeanne"), db, jeanne_id)
    zone = page.split('aria-labelledby="zone-title"')[1].split("</section>")[0]
    assert 'class="card zone zone--amber stack"' in page
    assert "Amber zone" in zone and "Call your nurse or your doctor today." in zone
    assert "Weight gain of 2 kg or more in 3 days" in zone  # the rule that fired
    assert GAIN_PAGE in zone  # what the association wrote for heart failure
    assert 'href="tel:15"' in zone  # urgent for the team: 15 if it gets worse
    assert f'href="/carnet/{jeanne_id}/action-plan"' in zone


def test_the_zone_and_its_advice_are_in_the_readers_language(signed_in, db, jeanne_id):
    french = _gain_of_2_4_kg(_in(signed_in("jeanne"), "fr"), db, jeanne_id)
    assert "Zone orange" in french and "Appelez votre infirmière ou votre médecin" in french
    assert GAIN_PAGE_FR in french
    arabic = _report(_in(signed_in("jeanne"), "ar"), db, jeanne_id, weight="73.5")
    assert "المنطقة البرتقالية" in arabic  # Carnet's words
    assert "أذكر وزني هذا الصباح" in arabic  # the association's page, in Arabic


def test_breathless_at_rest_is_the_red_zone_and_a_calm_morning_the_green_one(
        signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    forget_heart_reports(db, jeanne_id)
    calm = _report(jeanne, db, jeanne_id)
    assert 'class="card zone zone--green stack"' in calm
    assert "All is well: keep going as planned." in calm and "I weigh myself every morning." in calm
    assert 'href="tel:15"' not in calm and "warning sign" not in calm

    red = _report(jeanne, db, jeanne_id, breathlessness="9")
    assert 'class="card zone zone--red stack"' in red
    assert "Red zone" in red and "Call 15 now." in red and 'href="tel:15"' in red
    assert "Short of breath at rest (9 or 10 out of 10)" in red
    assert "I stay sitting up; I do not lie down." in red


def test_the_red_zone_says_call_15_even_without_its_page(signed_in, db, jeanne_id):
    for page in db.exec(select(ContentPage).where(
            ContentPage.slug == zones.slug("heart_failure", "red"))):
        page.status = ContentStatus.RETIRED
    db.commit()
    red = _report(signed_in("jeanne"), db, jeanne_id, breathlessness="10")
    assert "Red zone" in red and "Call 15 now." in red and 'href="tel:15"' in red
    assert "I stay sitting up" not in red


def test_claire_sees_the_same_zone_when_she_reports_for_her_mother(signed_in, db, jeanne_id):
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms:write")
    page = _gain_of_2_4_kg(signed_in("claire"), db, jeanne_id)
    assert "Amber zone" in page and GAIN_PAGE in page


def test_the_reports_say_their_zone(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    _gain_of_2_4_kg(jeanne, db, jeanne_id)
    reports = jeanne.get(f"/carnet/{jeanne_id}/symptoms").get_data(as_text=True)
    newest, before = reports.split('<li id="report-')[1:3]
    assert '<p class="zone--amber"><span class="zone-badge">Amber zone</span></p>' in newest
    assert '<p class="zone--green"><span class="zone-badge">Green zone</span></p>' in before
    inbox = signed_in("lefevre").get("/inbox").get_data(as_text=True)
    assert '<p class="zone--amber"><span class="zone-badge">Amber zone</span></p>' in inbox


def test_the_whole_plan_of_action_for_the_carnets_conditions(signed_in, db, jeanne_id):
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/action-plan").get_data(as_text=True)
    assert "<title>My plan of action" in page
    heart = page.split('id="plan-heart_failure"')[1].split('id="plan-diabetes_t2"')[0]
    assert [zone for zone in zones.ZONES if f"zone--{zone}" in heart] == list(zones.ZONES)
    assert GAIN_PAGE in heart and "I call 15 straight away." in heart
    diabetes = page.split('id="plan-diabetes_t2"')[1]
    assert "3 sugar cubes" in diabetes
    assert 'id="plan-copd"' not in page  # not one of Jeanne's conditions


def test_the_plan_of_action_asks_the_policy_and_is_audited(signed_in, db, jeanne_id):
    path = f"/carnet/{jeanne_id}/action-plan"
    last = db.exec(select(sa.func.max(AuditEvent.id))).one() or 0
    assert signed_in("lefevre").get(path).status_code == 200
    read = db.exec(select(AuditEvent.section).where(
        AuditEvent.id > last, AuditEvent.patient_id == jeanne_id)).all()
    assert read == ["plan"]
    decide(db, "jeanne", "lefevre", ConsentKind.OPPOSE, "plan")
    assert signed_in("lefevre").get(path).status_code == 404
    assert signed_in("jeanne").get(path).status_code == 200


def _note_path(jeanne_id: int, zone: str = "amber") -> str:
    return f"/carnet/{jeanne_id}/action-plan/heart_failure/{zone}"


def test_the_team_writes_with_jeanne_what_is_hers_and_she_reads_it_after_a_report(
        signed_in, db, jeanne_id):
    lefevre = signed_in("lefevre")
    form = lefevre.get(_note_path(jeanne_id)).get_data(as_text=True)
    assert '<input type="hidden" name="version" value="0">' in form
    written = "Mon poids sec : 71 kg. Appeler Amina Benali au 06 12 34 56 78."
    saved = lefevre.post(_note_path(jeanne_id), text=written, version="0")
    assert saved.status_code == 303
    told = db.exec(select(Notification).where(Notification.patient_id == jeanne_id,
                                              Notification.kind == NotificationKind.PLAN_CHANGED,
                                              Notification.url.endswith("/action-plan"))).all()
    assert persona(db, "jeanne").id in {row.account_id for row in told}
    assert persona(db, "lefevre").id not in {row.account_id for row in told}  # he wrote it
    assert saved.location.endswith(f"/carnet/{jeanne_id}/action-plan#zone-heart_failure-amber")

    plan = signed_in("jeanne").get(f"/carnet/{jeanne_id}/action-plan").get_data(as_text=True)
    amber = plan.split('id="zone-heart_failure-amber"')[1].split('id="zone-heart_failure-red"')[0]
    assert "Agreed with your care team:" in amber and "Mon poids sec : 71 kg." in amber
    assert "Write with the patient" not in plan  # Jeanne reads it; the team writes it
    page = _gain_of_2_4_kg(signed_in("jeanne"), db, jeanne_id)
    assert "Mon poids sec : 71 kg." in page.split('aria-labelledby="zone-title"')[1]
    assert signed_in("jeanne").get(_note_path(jeanne_id)).status_code == 404


def test_a_note_saved_meanwhile_is_not_overwritten_and_bad_input_changes_nothing(
        signed_in, db, jeanne_id):
    from app.models import ZoneNote

    lefevre, amina = signed_in("lefevre"), signed_in("amina")
    assert lefevre.post(_note_path(jeanne_id, "red"), text="Appeler le 15.",
                        version="0").status_code == 303
    late = amina.post(_note_path(jeanne_id, "red"), text="Appeler Amina.", version="0")
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "Dr Paul Lefèvre" in page and "Appeler le 15." in page  # as it is now
    too_long = lefevre.post(_note_path(jeanne_id, "red"), text="x" * 1001, version="1")
    assert too_long.status_code == 400 and 'aria-invalid="true"' in too_long.get_data(
        as_text=True)
    db.expire_all()
    notes = db.exec(select(ZoneNote).where(ZoneNote.patient_id == jeanne_id)).all()
    assert [(n.zone, n.text, n.version) for n in notes] == [("red", "Appeler le 15.", 1)]
    assert lefevre.post(_note_path(jeanne_id, "red"), text="", version="1").status_code == 303
    db.expire_all()
    assert db.get(ZoneNote, notes[0].id).text == ""


def _plan_changed(db, jeanne_id: int) -> int:
    """How many "the plan changed" notifications Jeanne's carnet has sent."""
    return len(db.exec(select(Notification.id).where(
        Notification.patient_id == jeanne_id,
        Notification.kind == NotificationKind.PLAN_CHANGED)).all())


def test_the_same_words_saved_again_are_no_new_version_and_tell_no_one(
        signed_in, db, jeanne_id):
    from app.models import ZoneNote

    lefevre = signed_in("lefevre")
    written = "Mon poids sec : 71 kg."
    assert lefevre.post(_note_path(jeanne_id), text=written, version="0").status_code == 303
    told = _plan_changed(db, jeanne_id)
    assert lefevre.post(_note_path(jeanne_id), text=f"  {written} ",
                        version="1").status_code == 303
    # Saved again from a form opened before: refused like any stale save.
    assert signed_in("amina").post(_note_path(jeanne_id), text=written,
                                   version="0").status_code == 409
    # Nothing written where there was nothing: no row, no news.
    assert lefevre.post(_note_path(jeanne_id, "green"), text="", version="0").status_code == 303
    db.expire_all()
    notes = db.exec(select(ZoneNote).where(ZoneNote.patient_id == jeanne_id)).all()
    assert [(n.zone, n.text, n.version) for n in notes] == [("amber", written, 1)]
    assert _plan_changed(db, jeanne_id) == told


def test_a_note_rewritten_in_arabic_is_marked_arabic(signed_in, db, jeanne_id):
    from app.models import ZoneNote

    assert _in(signed_in("lefevre"), "fr").post(
        _note_path(jeanne_id), text="Appeler Amina Benali.", version="0").status_code == 303
    note = db.exec(select(ZoneNote).where(ZoneNote.patient_id == jeanne_id)).one()
    assert note.language == "fr"
    assert _in(signed_in("amina"), "ar").post(
        _note_path(jeanne_id), text="اتصلي بأمينة بن علي.", version="1").status_code == 303
    db.expire_all()
    note = db.get(ZoneNote, note.id)
    assert (note.text, note.version, note.language) == ("اتصلي بأمينة بن علي.", 2, "ar")


def test_only_the_carnets_conditions_and_zones_have_a_note(signed_in, jeanne_id):
    lefevre = signed_in("lefevre")
    assert lefevre.get(f"/carnet/{jeanne_id}/action-plan/copd/amber").status_code == 404
    assert lefevre.get(f"/carnet/{jeanne_id}/action-plan/heart_failure/blue").status_code == 404


def test_what_the_team_wrote_is_shown_after_a_report_only_where_the_plan_is_shared(
        signed_in, db, jeanne_id):
    """Claire may report for her mother; the team's words for the zone are the plan's: she
    reads them (and it is written in "Who saw my carnet") only once the plan is shared."""
    assert signed_in("lefevre").post(_note_path(jeanne_id), text="Mon poids sec : 71 kg.",
                                      version="0").status_code == 303
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms:write")
    decide(db, "jeanne", "claire", ConsentKind.REVOKE, "plan")
    claire = signed_in("claire")
    last = db.exec(select(sa.func.max(AuditEvent.id))).one() or 0
    page = _gain_of_2_4_kg(claire, db, jeanne_id)
    assert "Amber zone" in page and "Mon poids sec" not in page
    assert f'href="/carnet/{jeanne_id}/action-plan"' not in page
    read = db.exec(select(AuditEvent.section).where(
        AuditEvent.id > last, AuditEvent.action == "read")).all()
    assert "plan" not in read

    decide(db, "jeanne", "claire", ConsentKind.GRANT, "plan")
    last = db.exec(select(sa.func.max(AuditEvent.id))).one() or 0
    page = _report(claire, db, jeanne_id, weight="73.6")
    assert "Agreed with the care team:" in page and "Mon poids sec : 71 kg." in page
    read = db.exec(select(AuditEvent.section).where(
        AuditEvent.id > last, AuditEvent.action == "read",
        AuditEvent.patient_id == jeanne_id)).all()
    assert "plan" in read


def test_the_teams_words_are_not_even_fetched_for_a_reader_without_the_plan(
        signed_in, db, engine, jeanne_id):
    assert signed_in("lefevre").post(_note_path(jeanne_id), text="Mon poids sec : 71 kg.",
                                      version="0").status_code == 303
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms:write")
    decide(db, "jeanne", "claire", ConsentKind.REVOKE, "plan")
    claire = signed_in("claire")
    forget_heart_reports(db, jeanne_id)
    sent = claire.post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db, weight="71.0"))
    assert sent.status_code == 303
    statements: list[str] = []

    def listener(connection, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        page = claire.get(sent.location).get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert "Green zone" in page and "Mon poids sec" not in page
    assert not [s for s in statements if "zone_note" in s]
