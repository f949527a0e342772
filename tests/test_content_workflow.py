"""The review workflow of co-written content: draft → in review → published → retired.

A draft is published only with, since it was last sent for review, the approval of a
professional and of an association editor, neither its author; every step is kept.
"""

from __future__ import annotations

import html

import pytest
from sqlmodel import select

from app.content import workflow
from app.models import (
    ContentPage,
    ContentReview,
    ContentStatus,
    Questionnaire,
    ReviewAction,
    Role,
)

from .carnet_actions import stored
from .conftest import persona


def _draft(db, author="francoise", slug="ankles", language="fr", **fields) -> ContentPage:
    page = ContentPage(slug=slug, language=language, title="Mes chevilles gonflent",
                       body_markdown="Pesez-vous.", conditions=["heart_failure"],
                       author_id=persona(db, author).id, **fields)
    db.add(page)
    db.commit()
    return page


def _step(client, page, step, comment=""):
    return client.post(f"/authoring/pages/{page.id}/workflow", step=step, comment=comment)


def _status(db, page) -> ContentStatus:
    db.expire_all()
    return db.get(ContentPage, page.id).status


def test_a_draft_is_published_with_a_professional_and_an_editor_approving(db, demo, signed_in):
    page = _draft(db)
    francoise, lefevre, odile = (signed_in(name) for name in ("francoise", "lefevre", "odile"))
    assert _step(francoise, page, "submit").status_code == 303
    assert _status(db, page) == ContentStatus.IN_REVIEW
    _step(lefevre, page, "approve", "Correct.")
    refused = _step(francoise, page, "publish")
    assert "an association editor (clarity)" in html.unescape(
        francoise.get(refused.location).get_data(as_text=True))
    assert _status(db, page) == ContentStatus.IN_REVIEW
    _step(odile, page, "approve")
    _step(francoise, page, "publish")
    assert _status(db, page) == ContentStatus.PUBLISHED
    steps = [(r.action, r.account_id, r.comment) for r in db.exec(
        select(ContentReview).where(ContentReview.page_id == page.id)
        .order_by(ContentReview.id))]
    assert steps == [
        (ReviewAction.SUBMIT, persona(db, "francoise").id, ""),
        (ReviewAction.APPROVE, persona(db, "lefevre").id, "Correct."),
        (ReviewAction.APPROVE, persona(db, "odile").id, ""),
        (ReviewAction.PUBLISH, persona(db, "francoise").id, ""),
    ]
    history = francoise.get(f"/authoring/pages/{page.id}").get_data(as_text=True)
    for words in ("Françoise Petit sent for review", "Paul Lefèvre approved", "Correct.",
                  "Odile Lambert approved", "Françoise Petit published"):
        assert words in html.unescape(history), words


def test_publishing_without_both_approvals_is_refused_and_changes_nothing(db, demo, signed_in):
    page = _draft(db)
    francoise = signed_in("francoise")
    _step(francoise, page, "submit")
    before = stored(db, ("content_page", "content_review"))
    response = _step(francoise, page, "publish")
    assert response.status_code == 303
    message = html.unescape(francoise.get(response.location).get_data(as_text=True))
    assert ("It still needs the approval of a professional (clinical accuracy) and an "
            "association editor (clarity).") in message
    assert stored(db, ("content_page", "content_review")) == before


def test_an_author_cannot_approve_their_own_draft(db, demo, signed_in):
    page = _draft(db, author="lefevre")
    lefevre = signed_in("lefevre")
    _step(lefevre, page, "submit")
    response = _step(lefevre, page, "approve")
    assert "You wrote this draft: someone else must approve it." in html.unescape(
        lefevre.get(response.location).get_data(as_text=True))
    # Even a second approver of the other role does not make up for the author's own.
    _step(signed_in("odile"), page, "approve")
    assert workflow.missing_approvals(workflow.history(db, page), page) == [
        "a professional (clinical accuracy)"]
    _step(lefevre, page, "publish")
    assert _status(db, page) == ContentStatus.IN_REVIEW


def test_asking_for_changes_sends_it_back_and_forgets_earlier_approvals(db, demo, signed_in):
    page = _draft(db)
    francoise, lefevre, odile = (signed_in(name) for name in ("francoise", "lefevre", "odile"))
    _step(francoise, page, "submit")
    _step(lefevre, page, "approve")
    refused = _step(odile, page, "request_changes")  # a comment is required
    assert "Please say what should change." in html.unescape(
        odile.get(refused.location).get_data(as_text=True))
    _step(odile, page, "request_changes", "Phrases plus courtes, s'il vous plaît.")
    assert _status(db, page) == ContentStatus.DRAFT
    _step(francoise, page, "submit")
    _step(odile, page, "approve")
    assert workflow.missing_approvals(workflow.history(db, page), page) == [
        "a professional (clinical accuracy)"]


def test_publishing_a_new_version_retires_the_old_and_outdates_translations(db, demo, signed_in):
    old = _draft(db, status=ContentStatus.PUBLISHED)
    english = _draft(db, language="en", status=ContentStatus.PUBLISHED, source_id=old.id)
    new = _draft(db, version=2)
    francoise = signed_in("francoise")
    _step(francoise, new, "submit")
    _step(signed_in("amina"), new, "approve")
    _step(signed_in("odile"), new, "approve")
    _step(francoise, new, "publish")
    db.expire_all()
    assert [db.get(ContentPage, p.id).status for p in (old, new, english)] == [
        ContentStatus.RETIRED, ContentStatus.PUBLISHED, ContentStatus.PUBLISHED]
    assert db.get(ContentPage, english.id).outdated
    _step(francoise, new, "retire", "Remplacée par une autre page.")
    assert _status(db, new) == ContentStatus.RETIRED


@pytest.mark.parametrize("name", ["jeanne", "claire", "karim"])
def test_patients_and_caregivers_have_no_authoring_space(db, demo, signed_in, name):
    page = _draft(db)
    client = signed_in(name)
    assert client.get("/authoring/").status_code == 404
    before = stored(db, ("content_page", "content_review"))
    assert _step(client, page, "submit").status_code == 404
    assert stored(db, ("content_page", "content_review")) == before


def test_an_unknown_step_or_kind_changes_nothing(db, demo, signed_in):
    page = _draft(db)
    francoise = signed_in("francoise")
    before = stored(db, ("content_page", "content_review"))
    response = _step(francoise, page, "delete-everything")
    assert "This step does not exist." in html.unescape(
        francoise.get(response.location).get_data(as_text=True))
    assert francoise.post(f"/authoring/recipes/{page.id}/workflow", step="submit"
                          ).status_code == 404
    assert francoise.post("/authoring/pages/999999/workflow", step="submit").status_code == 404
    assert stored(db, ("content_page", "content_review")) == before


def test_whoever_changed_a_draft_is_one_of_its_authors_and_cannot_approve_it(
        db, demo, signed_in):
    page = _draft(db)
    francoise, lefevre = signed_in("francoise"), signed_in("lefevre")
    form = {"title": "Mes chevilles gonflent", "conditions": "heart_failure",
            "reading_level": "falc", "questionnaire_item": "", "body": "Je me pèse."}
    for body in ("Je me pèse.", "Je me pèse chaque matin."):
        assert lefevre.post(f"/authoring/pages/{page.id}/edit", **{**form, "body": body}
                            ).status_code == 303
    _step(francoise, page, "submit")
    refused = _step(lefevre, page, "approve")
    assert "You wrote this draft: someone else must approve it." in html.unescape(
        lefevre.get(refused.location).get_data(as_text=True))
    history = html.unescape(lefevre.get(f"/authoring/pages/{page.id}").get_data(as_text=True))
    assert history.count("Paul Lefèvre changed the draft") == 1
    assert 'value="approve"' not in history  # nor is he offered to
    _step(signed_in("amina"), page, "approve")
    _step(signed_in("odile"), page, "approve")
    _step(francoise, page, "publish")
    assert _status(db, page) == ContentStatus.PUBLISHED


def test_a_professional_who_changed_a_questionnaire_draft_cannot_approve_it(
        db, demo, signed_in):
    heart = db.exec(select(Questionnaire).where(
        Questionnaire.code == "heart_failure", Questionnaire.language == "fr",
        Questionnaire.status == ContentStatus.PUBLISHED)).one()
    francoise, lefevre = signed_in("francoise"), signed_in("lefevre")
    draft_url = francoise.post(f"/authoring/questionnaires/{heart.id}/new-version").location
    draft_id = int(draft_url.rstrip("/").rsplit("/", 1)[1])
    assert lefevre.post(f"{draft_url}/title", title="Mon cœur, chaque jour").status_code == 303
    draft = db.get(Questionnaire, draft_id)
    francoise.post(f"/authoring/questionnaires/{draft_id}/workflow", step="submit")
    lefevre.post(f"/authoring/questionnaires/{draft_id}/workflow", step="approve")
    db.expire_all()
    assert workflow.approvals(workflow.history(db, draft), draft)[Role.PROFESSIONAL] == []
    assert workflow.authors(workflow.history(db, draft), draft) == {
        persona(db, "francoise").id, persona(db, "lefevre").id}
