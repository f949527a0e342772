"""Questionnaires shared as FHIR (SDC) files: every demo questionnaire goes out valid for
the FHIR models and comes back as the same questionnaire (a draft of its next version);
a wrong or hostile file is refused in words, in the editor's language, and stores
nothing."""

from __future__ import annotations

import copy
import io
import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from sqlmodel import select

from app.models import ContentStatus, Questionnaire

from .carnet_actions import stored

TABLES = ("questionnaire", "content_review")
CODES = ("heart_failure", "copd", "diabetes_t2", "cancer_follow_up")


def _published(db, code: str, language: str = "fr") -> Questionnaire:
    return db.exec(select(Questionnaire).where(
        Questionnaire.code == code, Questionnaire.language == language,
        Questionnaire.status == ContentStatus.PUBLISHED)).one()


def _export(editor, questionnaire: Questionnaire) -> dict:
    answer = editor.get(f"/authoring/questionnaires/{questionnaire.id}/export.fhir.json")
    assert answer.status_code == 200 and answer.mimetype == "application/fhir+json"
    data = json.loads(answer.get_data(as_text=True))
    FhirQuestionnaire.model_validate(data)
    return data


def _import(editor, data, code: str = ""):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return editor.post("/authoring/questionnaires/import", code=code,
                       file=(io.BytesIO(body), "questionnaire.fhir.json"))


@pytest.mark.parametrize("code", CODES)
def test_each_demo_questionnaire_goes_out_and_comes_back_the_same(signed_in, db, code):
    francoise = signed_in("francoise")
    published = _published(db, code)
    for language in ("en", "ar"):  # translations go out valid too
        _export(francoise, _published(db, code, language))
    answer = _import(francoise, _export(francoise, published))
    assert answer.status_code == 303
    draft = db.exec(select(Questionnaire).where(Questionnaire.code == code,
                                                Questionnaire.status == ContentStatus.DRAFT)
                    ).one()
    assert answer.location.endswith(f"/authoring/questionnaires/{draft.id}")
    assert (draft.language, draft.version, draft.author_id) == (
        "fr", published.version + 1, draft.author_id)
    assert (draft.title, draft.condition, draft.definition) == (
        published.title, published.condition, published.definition)


def _heart(db, signed_in) -> tuple[object, dict]:
    francoise = signed_in("francoise")
    return francoise, _export(francoise, _published(db, "heart_failure"))


@pytest.mark.parametrize(("spoil", "message"), [
    (lambda q: q["item"][0].update(type="attachment"),
     "Question “weight” has a type Carnet does not know: attachment."),
    (lambda q: q["item"][1].pop("linkId"), "Question 2 has no linkId."),
    (lambda q: q["item"][0].update(text="<script>alert(1)</script>"),
     "The file's words may not contain HTML or a script"),
    (lambda q: q.update(resourceType="Patient"), "The file is not a FHIR Questionnaire."),
    (lambda q: q.update(item=[]), "The questionnaire has no question."),
    # The format's own checks, as for a file of app/questionnaires/: a minimum above the
    # maximum.
    (lambda q: q["item"][0]["extension"][0].update(valueInteger=300), "item 1 (&#34;weight&#34;)"),
])
def test_a_wrong_or_hostile_file_is_refused_in_words_and_stores_nothing(signed_in, db, spoil,
                                                                       message):
    francoise, data = _heart(db, signed_in)
    spoiled = copy.deepcopy(data)
    spoil(spoiled)
    before = stored(db, TABLES)
    answer = _import(francoise, spoiled)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Nothing was imported:" in page and message.replace("'", "&#39;") in page
    assert stored(db, TABLES) == before


def test_refusals_are_said_in_the_editors_language(signed_in, db):
    francoise, data = _heart(db, signed_in)
    francoise.actions.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = _import(francoise, b"not json").get_data(as_text=True)
    assert "Ce fichier n’est pas un Questionnaire FHIR." in page
    page = _import(francoise, _export(francoise, _published(db, "copd", "ar"))).get_data(
        as_text=True)
    assert "Seul un questionnaire en français peut être importé" in page


def test_a_ten_megabyte_file_is_refused_before_it_is_read(signed_in, db):
    francoise, _data = _heart(db, signed_in)
    before = stored(db, TABLES)
    answer = _import(francoise, b" " * (10 * 1024 * 1024))
    assert answer.status_code == 413
    assert stored(db, TABLES) == before


def test_only_authors_exchange_questionnaires(signed_in, db):
    heart = _published(db, "heart_failure")
    jeanne = signed_in("jeanne")
    assert jeanne.get(f"/authoring/questionnaires/{heart.id}/export.fhir.json"
                      ).status_code == 404
    assert jeanne.get("/authoring/questionnaires/import").status_code == 404
