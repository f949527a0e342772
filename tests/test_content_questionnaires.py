"""Questionnaire authoring: Françoise makes a new version of the heart-failure
questionnaire in the app, one checked change at a time; Dr Lefèvre and Odile review it;
once published it is what Jeanne answers next, while her earlier reports keep theirs."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import col, select

from app.content import questionnaire_drafts as editing
from app.content import workflow
from app.models import ContentStatus, Questionnaire, SymptomReport
from app.symptoms.questionnaires import QuestionnaireError, check_questionnaire

from .carnet_actions import stored
from .conftest import persona

PULSE = {"kind": "number", "key": "pulse", "label": "Mon pouls au repos", "unit": "bpm",
         "min": "30", "max": "200", "step": "1", "required": "yes"}
PULSE_HIGH = {"kind": "threshold", "key": "pulse_high", "item": "pulse",
              "label": "Pouls rapide (plus de 120)", "op": ">", "value": "120"}
TABLES = ("questionnaire", "content_review", "symptom_report")


def _published(db, language="fr") -> Questionnaire:
    db.expire_all()
    return db.exec(select(Questionnaire).where(
        Questionnaire.code == "heart_failure", Questionnaire.language == language,
        Questionnaire.status == ContentStatus.PUBLISHED)).one()


def _get(db, row: Questionnaire) -> Questionnaire:
    db.expire_all()
    return db.get(Questionnaire, row.id)


def _new_draft(db, client) -> Questionnaire:
    answer = client.post(f"/authoring/questionnaires/{_published(db).id}/new-version")
    assert answer.status_code == 303
    return db.get(Questionnaire, int(answer.location.rsplit("/", 1)[1]))


def _url(row: Questionnaire, rest: str = "") -> str:
    return f"/authoring/questionnaires/{row.id}{rest}"


def _text(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def _review(signed_in, draft: Questionnaire, publish: bool = True) -> None:
    """Françoise sends the draft for review, Dr Lefèvre and Odile approve it, she publishes."""
    signed_in("francoise").post(_url(draft, "/workflow"), step="submit")
    signed_in("lefevre").post(_url(draft, "/workflow"), step="approve")
    signed_in("odile").post(_url(draft, "/workflow"), step="approve")
    if publish:
        signed_in("francoise").post(_url(draft, "/workflow"), step="publish")


def _words(page: str) -> str:
    """A page's words as read, without its tags."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def _keys(db, row, part="items") -> list[str]:
    return [entry["key"] for entry in _get(db, row).definition[part]]


def test_a_new_version_is_a_draft_copied_from_the_published_one(db, demo, signed_in):
    francoise = signed_in("francoise")
    published = _published(db)
    draft = _new_draft(db, francoise)
    assert (draft.status, draft.version, draft.author_id) == (
        ContentStatus.DRAFT, published.version + 1, persona(db, "francoise").id)
    assert draft.definition == published.definition
    assert _new_draft(db, signed_in("odile")).id == draft.id  # one draft at a time


def test_francoise_adds_an_item_and_a_rule_seen_in_the_preview_and_the_changes(
    db, demo, signed_in
):
    francoise = signed_in("francoise")
    draft = _new_draft(db, francoise)
    assert francoise.post(_url(draft, "/items/new"), **PULSE).status_code == 303
    assert francoise.post(_url(draft, "/rules/new"), **PULSE_HIGH).status_code == 303
    row = _get(db, draft)
    assert row.definition["items"][-1] == {
        "key": "pulse", "kind": "number", "label": "Mon pouls au repos", "unit": "bpm",
        "min": 30, "max": 200, "step": 1, "required": True}
    assert row.definition["rules"][-1]["value"] == 120
    assert "zone" not in row.definition["rules"][-1]  # amber, said by nothing
    form = _text(francoise.get(_url(draft, "/rules/pulse_high/edit")))
    assert '<option value="amber" selected>Amber zone: Call your nurse or your doctor' in form
    assert francoise.post(_url(draft, "/rules/pulse_high/edit"),
                          **{**PULSE_HIGH, "zone": "red"}).status_code == 303
    assert _get(db, draft).definition["rules"][-1]["zone"] == "red"
    assert francoise.post(_url(draft, "/rules/pulse_high/edit"),
                          **{**PULSE_HIGH, "zone": "purple"}).status_code == 400
    page = _text(francoise.get(_url(draft)))
    preview = page.split('class="phone-preview')[1].split("</section>")[0]
    assert 'name="answer-pulse"' in preview and "Mon pouls au repos (bpm)" in preview
    changes = _words(page.split('id="changes-heading"')[1].split("</section>")[0])
    assert "Compared with version 2 (Published)" in changes
    english = db.exec(select(Questionnaire).where(
        Questionnaire.code == "heart_failure", Questionnaire.language == "en")).first()
    chosen = francoise.get(f"/authoring/questionnaires/{draft.id}?against={english.id}"
                           ).get_data(as_text=True)
    assert f'<option value="{english.id}" selected>EN, version 2' in chosen
    assert "Compared with the English version 2." in chosen
    assert "Added: Mon pouls au repos (pulse)" in changes
    assert "Added: Pouls rapide (plus de 120) (pulse_high)" in changes


@pytest.mark.parametrize(("path", "form", "field", "message"), [
    ("/items/new", {**PULSE, "label": ""}, "label", 'fill in the question ("label")'),
    ("/items/new", {**PULSE, "min": "200", "max": "30"}, "min",
     'the lowest value ("min", 200) must be below the highest value ("max", 30)'),
    ("/items/new", {**PULSE, "unit": " "}, "unit", 'fill in the unit ("unit")'),
    ("/rules/new", {**PULSE_HIGH, "item": "mood"}, "item",
     'the rule is about "mood", which is not an item of this questionnaire'),
    ("/rules/new", {**PULSE_HIGH, "item": "breathlessness", "value": "12"}, "value",
     'the threshold 12 is outside the bounds of "breathlessness" (0 to 10)'),
    ("/items/new", {**PULSE, "key": "weight"}, "key", 'two items have the key "weight"'),
    ("/items/new", {**PULSE, "kind": "choice", "choices": "oui: Oui"}, "choices",
     'give at least 2 answers to choose from ("choices")'),
])
def test_bad_input_is_said_next_to_its_field_and_stores_nothing(
    db, demo, signed_in, path, form, field, message
):
    francoise = signed_in("francoise")
    draft = _new_draft(db, francoise)
    before = stored(db, TABLES)
    answer = francoise.post(_url(draft, path), **form)
    assert answer.status_code == 400
    assert f'<p id="{field}-error" class="field-error">{message}</p>' in _text(answer)
    assert stored(db, TABLES) == before


def test_items_move_and_go(db, demo, signed_in):
    francoise = signed_in("francoise")
    draft = _new_draft(db, francoise)
    francoise.post(_url(draft, "/items/ankles/move"), direction="up")
    assert _keys(db, draft)[:3] == ["weight", "ankles", "breathlessness"]
    francoise.post(_url(draft, "/items/night_cough/remove"))
    assert "night_cough" not in _keys(db, draft)
    page = _words(_text(francoise.get(_url(draft))))
    assert "Removed: J'ai toussé cette nuit (night_cough)" in page
    assert "Order changed: was weight, breathlessness, ankles, tiredness" in page


def test_an_item_a_rule_is_about_cannot_be_removed(db, demo, signed_in):
    francoise = signed_in("francoise")
    draft = _new_draft(db, francoise)
    answer = francoise.post(_url(draft, "/items/weight/remove"))
    assert answer.status_code == 400
    assert ("The rule “Prise de poids de 2 kg ou plus en 3 jours” (weight_gain) is about "
            "this item: remove or change that rule first.") in _text(answer)
    assert "weight" in _keys(db, draft)


@pytest.mark.parametrize("status", [ContentStatus.PUBLISHED, ContentStatus.IN_REVIEW])
def test_a_version_in_review_or_published_never_changes_in_place(db, demo, signed_in, status):
    francoise = signed_in("francoise")
    row = _published(db) if status == ContentStatus.PUBLISHED else _new_draft(db, francoise)
    if status == ContentStatus.IN_REVIEW:
        francoise.post(_url(row, "/workflow"), step="submit")
    before = stored(db, TABLES)
    for path, form in [("/items/new", PULSE), ("/items/weight/edit", {"label": "Poids"}),
                       ("/items/weight/move", {"direction": "down"}),
                       ("/rules/breathless_high/remove", {}), ("/title", {"title": "Autre"})]:
        answer = francoise.post(_url(row, path), **form)
        assert answer.status_code == 400, path
        assert "cannot change" in _text(answer) or "never changes" in _text(answer)
    assert stored(db, TABLES) == before


def test_once_published_the_new_version_is_what_jeanne_answers_next(
    db, demo, signed_in, jeanne_id
):
    francoise = signed_in("francoise")
    draft = _new_draft(db, francoise)
    francoise.post(_url(draft, "/items/new"), **PULSE)
    _review(signed_in, draft)
    assert _published(db).id == draft.id
    jeanne = signed_in("jeanne")
    form = _text(jeanne.get(f"/carnet/{jeanne_id}/symptoms/new"))
    assert f'name="questionnaire_id" value="{draft.id}"' in form
    assert 'name="answer-pulse"' in form
    earlier = db.exec(select(SymptomReport).where(SymptomReport.patient_id == jeanne_id)
                      .order_by(col(SymptomReport.reported_at).desc())).first()
    assert _get(db, db.get(Questionnaire, earlier.questionnaire_id)).version == 2
    reports = _text(jeanne.get(f"/carnet/{jeanne_id}/symptoms"))
    assert "My weight this morning" in reports or "Mon poids ce matin" in reports
    assert "Mon pouls au repos" not in reports


def test_publishing_refuses_what_the_checker_refuses(db, demo, signed_in):
    francoise = signed_in("francoise")
    draft = _new_draft(db, francoise)
    _review(signed_in, draft, publish=False)
    row = _get(db, draft)
    row.definition = {**row.definition, "rules": [
        {**row.definition["rules"][0], "item": "mood"}]}  # as if written around the editor
    db.add(row)
    db.commit()
    with pytest.raises(workflow.WorkflowError, match='the rule is about "mood"'):
        workflow.publish(db, row, persona(db, "francoise"))
    db.rollback()
    assert _get(db, draft).status == ContentStatus.IN_REVIEW


def test_the_test_mode_shows_a_fired_threshold_and_stores_nothing(db, demo, signed_in):
    francoise = signed_in("francoise")
    draft = _new_draft(db, francoise)
    before = stored(db, TABLES)
    answer = francoise.post(_url(draft, "/try"), **{
        "answer-weight": "72", "answer-breathlessness": "8", "answer-ankles": "no",
        "answer-night_cough": "no", "answer-tiredness": "2", "earlier-weight_gain": "71"})
    page = _text(answer)
    assert answer.status_code == 200
    result = page.split('id="result-heading"')[1].split("</section>")[0]
    assert "Essoufflement fort (7 ou plus sur 10)" in result
    assert "Prise de poids" not in result  # 72 − 71 is below +2
    assert stored(db, TABLES) == before


def test_an_english_translation_changes_only_its_words(db, demo, signed_in):
    francoise = signed_in("francoise")
    draft = _new_draft(db, francoise)
    _review(signed_in, draft)
    answer = francoise.post(_url(draft, "/translate"))
    english = db.get(Questionnaire, int(answer.location.rsplit("/", 1)[1]))
    assert (english.language, english.version, english.source_id) == ("en", 3, draft.id)
    assert english.definition["items"][0]["label"] == "My weight this morning"
    before = stored(db, TABLES)
    refused = francoise.post(_url(english, "/items/weight/edit"), label="My weight", min="40")
    assert refused.status_code == 400
    assert "A translation changes only the words" in _text(refused)
    assert stored(db, TABLES) == before
    francoise.post(_url(english, "/items/weight/edit"), label="My weight today")
    assert _get(db, english).definition["items"][0]["label"] == "My weight today"


def test_an_arabic_translation_starts_from_the_arabic_words_it_had(db, demo, signed_in):
    """Version 3 in French: its Arabic draft takes the Arabic words of version 2 where the
    questions are the same; the page offers it beside English."""
    francoise = signed_in("francoise")
    draft = _new_draft(db, francoise)
    _review(signed_in, draft)
    assert 'name="language" value="ar"' in _text(francoise.get(_url(draft)))
    answer = francoise.post(_url(draft, "/translate"), language="ar")
    arabic = db.get(Questionnaire, int(answer.location.rsplit("/", 1)[1]))
    assert (arabic.language, arabic.version, arabic.source_id) == ("ar", 3, draft.id)
    assert arabic.definition["items"][0]["label"] == "وزني هذا الصباح"


def test_faults_are_said_in_english_outside_a_request(app):
    with app.app_context(), pytest.raises(QuestionnaireError) as error:
        check_questionnaire({"format": 1, "code": "x", "condition": "copd", "language": "fr",
                             "version": 1, "title": "T", "items": [
                                 {"key": "w", "kind": "number", "min": 1, "max": 9,
                                  "label": "W"}], "rules": []})
    assert str(error.value) == 'questionnaire: item 1 ("w"): fill in the unit ("unit")'
    assert editing.EditError([str(error.value.faults[0])]).faults == [
        'item 1 ("w"): fill in the unit ("unit")']


@pytest.mark.parametrize("name", ["jeanne", "claire"])
def test_patients_and_caregivers_get_404_on_questionnaire_authoring(db, demo, signed_in, name):
    client = signed_in(name)
    published = _published(db)
    before = stored(db, TABLES)
    for path in ("", "/try", "/items/new", "/items/weight/edit", "/rules/new"):
        assert client.get(_url(published, path)).status_code == 404, path
    assert client.post(_url(published, "/new-version")).status_code == 404
    assert client.post(_url(published, "/try"), **{"answer-weight": "72"}).status_code == 404
    assert stored(db, TABLES) == before
