""""Understand my condition": the published pages a carnet's people read, "Was this clear?"
kept without identity, what editors read of it, and the pages a plan action or a question
points at."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.models import (
    AuditEvent,
    ConsentEvent,
    ConsentKind,
    ContentFeedback,
    ContentPage,
    ContentStatus,
    PlanItem,
    PlanRevision,
    ReadingLevel,
)
from app.types import utcnow

from .carnet_actions import field_error, stored
from .conftest import persona
from .test_query_counts import QueryCounter

JEANNES_ACTION = "Me peser chaque matin et noter mon poids"


def _page(db, slug: str, title: str, *, language: str = "fr", conditions=("heart_failure",),
          status: ContentStatus = ContentStatus.PUBLISHED, **fields) -> ContentPage:
    """A page version written, reviewed and (unless told otherwise) published."""
    page = ContentPage(slug=slug, language=language, title=title, status=status,
                       body_markdown=fields.pop("body", f"**{title}**, expliqué simplement."),
                       conditions=list(conditions),
                       published_at=utcnow() if status == ContentStatus.PUBLISHED else None,
                       **fields)
    db.add(page)
    db.commit()
    return page


def _jeannes_shelf(db) -> None:
    """Pages about Jeanne's conditions (one translated), Karim's COPD, and a draft."""
    source = _page(db, "test-ankles", "Mes chevilles gonflent")
    _page(db, "test-ankles", "My ankles swell", language="en", source_id=source.id)
    _page(db, "test-sugar", "Le sucre et moi", conditions=("diabetes_t2",),
          reading_level=ReadingLevel.FALC)
    _page(db, "test-breath", "Mon souffle et la BPCO", conditions=("copd",))
    _page(db, "test-breath", "My breath and COPD", language="en", conditions=("copd",))
    _page(db, "test-salt", "Salt, not yet reviewed", language="en", status=ContentStatus.DRAFT)


def _feedback(db) -> list[ContentFeedback]:
    db.expire_all()
    return list(db.exec(select(ContentFeedback).order_by(ContentFeedback.id)))


def _edit_form(browser, patient_id: int, item: PlanItem, **changes) -> dict:
    page = browser.get(f"/carnet/{patient_id}/plan/{item.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    return {"title": item.title, "details": item.details, "status": item.status.value,
            "responsible_account_id": str(item.responsible_account_id or ""),
            "due_date": item.due_date.isoformat() if item.due_date else "",
            "version": version, **changes}


def _jeannes_action(db) -> PlanItem:
    db.expire_all()
    return db.exec(select(PlanItem).where(PlanItem.title == JEANNES_ACTION)).one()


# Understand my condition -------------------------------------------------------------------

@pytest.mark.db_engine
def test_jeanne_reads_the_pages_of_her_conditions_in_english_else_french(
        signed_in, db, jeanne_id):
    _jeannes_shelf(db)
    jeanne = signed_in("jeanne")
    home = jeanne.get(f"/carnet/{jeanne_id}/").get_data(as_text=True)
    assert f'href="/carnet/{jeanne_id}/understand">Understand my condition</a>' in home

    page = jeanne.get(f"/carnet/{jeanne_id}/understand").get_data(as_text=True)
    assert "<h1 class=\"page-title\">Understand my condition</h1>" in page
    assert '<a href="/understand/test-ankles">My ankles swell</a>' in page
    assert "Mes chevilles gonflent" not in page
    assert '<a href="/understand/test-sugar" lang="fr" dir="ltr">Le sucre et moi</a>' in page
    assert page.index("Heart failure") < page.index("My ankles swell") < page.index(
        "Type 2 diabetes") < page.index("Le sucre et moi")
    assert "BPCO" not in page and "COPD" not in page
    assert "not yet reviewed" not in page


def test_a_caregiver_without_the_plan_lucas_and_an_editor_get_404(signed_in, db, jeanne_id):
    _jeannes_shelf(db)
    db.add(ConsentEvent(patient_id=jeanne_id, kind=ConsentKind.REVOKE, scopes=["plan"],
                        grantee_account_id=persona(db, "claire").id,
                        decided_by_id=persona(db, "jeanne").id))
    db.commit()
    for name in ("claire", "lucas", "francoise"):
        assert signed_in(name).get(f"/carnet/{jeanne_id}/understand").status_code == 404, name
    claires_home = signed_in("claire").get(f"/carnet/{jeanne_id}/").get_data(as_text=True)
    assert "/understand" not in claires_home


def test_dr_lefevres_read_of_jeannes_list_is_audited(signed_in, db, jeanne_id):
    _jeannes_shelf(db)
    lefevre = persona(db, "lefevre")
    before = db.exec(select(AuditEvent.id).where(
        AuditEvent.actor_account_id == lefevre.id)).all()
    page = signed_in("lefevre").get(f"/carnet/{jeanne_id}/understand")
    assert page.status_code == 200 and "My ankles swell" in page.get_data(as_text=True)
    db.expire_all()
    audited = db.exec(select(AuditEvent).where(AuditEvent.actor_account_id == lefevre.id,
                                               AuditEvent.id.not_in(before))).all()
    assert [(e.patient_id, e.section, e.allowed) for e in audited] == [(jeanne_id, "plan", True)]


@pytest.mark.db_engine
def test_understand_makes_as_many_queries_with_20_pages_as_with_2(signed_in, db, jeanne_id):
    for n in range(2):
        _page(db, f"test-count-{n}", f"Page {n}")
    jeanne = signed_in("jeanne")
    count = QueryCounter(db.get_bind(), jeanne.actions)
    count(f"/carnet/{jeanne_id}/understand")
    with_2 = count(f"/carnet/{jeanne_id}/understand")
    for n in range(2, 20):
        source = _page(db, f"test-count-{n}", f"Page {n}", conditions=("diabetes_t2",))
        _page(db, f"test-count-{n}", f"Page {n} in English", language="en", source_id=source.id)
    assert "Page 19 in English" in jeanne.get(f"/carnet/{jeanne_id}/understand").get_data(
        as_text=True)
    assert count(f"/carnet/{jeanne_id}/understand") == with_2


# One page ----------------------------------------------------------------------------------

def test_a_page_says_its_reading_level_and_when_its_french_is_newer(signed_in, db):
    _jeannes_shelf(db)
    _page(db, "test-old", "Mon traitement", reading_level=ReadingLevel.FALC)
    _page(db, "test-old", "My treatment", language="en", outdated=True,
          reading_level=ReadingLevel.FALC)
    claire = signed_in("claire")

    page = claire.get("/understand/test-sugar").get_data(as_text=True)
    assert '<h1 class="page-title">Le sucre et moi</h1>' in page
    assert "<strong>Le sucre et moi</strong>" in page
    assert "Reading level: Easy to read (FALC)." in page
    assert "easy to read and understand" in page
    assert "not translated into your language yet" in page

    page = claire.get("/understand/test-old").get_data(as_text=True)
    assert '<h1 class="page-title">My treatment</h1>' in page
    assert "The French version of this page is newer" in page

    for slug in ("test-salt", "no-such-page"):
        assert claire.get(f"/understand/{slug}").status_code == 404, slug


# Was this clear? ---------------------------------------------------------------------------

def test_feedback_is_kept_without_identity_and_editors_read_it(signed_in, db):
    _jeannes_shelf(db)
    english = db.exec(select(ContentPage).where(ContentPage.slug == "test-ankles",
                                                ContentPage.language == "en")).one()
    jeanne = signed_in("jeanne")
    sent = jeanne.post("/understand/test-ankles/feedback", page_id=str(english.id),
                       clear="not_really", comment="Combien de kilos, c'est trop ?")
    assert sent.status_code == 303
    assert sent.location == "/understand/test-ankles#feedback"
    page = jeanne.get("/understand/test-ankles").get_data(as_text=True)
    assert "Thank you!" in page and 'name="clear"' not in page
    again = jeanne.post("/understand/test-ankles/feedback", page_id=str(english.id), clear="yes")
    assert again.status_code == 303
    signed_in("claire").post("/understand/test-ankles/feedback", page_id=str(english.id),
                             clear="yes")

    rows = _feedback(db)
    assert set(ContentFeedback.model_fields) == {"id", "page_id", "clear", "comment",
                                                 "created_at"}
    assert [(r.page_id, r.clear, r.comment) for r in rows] == [
        (english.id, False, "Combien de kilos, c'est trop ?"), (english.id, True, "")]
    assert all(r.created_at.time().isoformat() == "00:00:00" for r in rows)

    editors = signed_in("francoise").get("/authoring/feedback").get_data(as_text=True)
    assert "My ankles swell" in editors and "(EN, version 1)" in editors
    assert "Yes: 1" in editors and "Not really: 1" in editors
    assert "Combien de kilos, c&#39;est trop ?" in editors
    for name in ("Jeanne", "Claire", "Martin"):
        assert name not in editors
    authoring = signed_in("odile").get("/authoring/").get_data(as_text=True)
    assert 'href="/authoring/feedback"' in authoring


def test_bad_feedback_is_refused_with_a_message_and_nothing_is_stored(signed_in, db):
    _jeannes_shelf(db)
    french = db.exec(select(ContentPage).where(ContentPage.slug == "test-sugar")).one()
    draft = db.exec(select(ContentPage).where(ContentPage.slug == "test-salt")).one()
    jeanne = signed_in("jeanne")
    cases = [
        ({"page_id": str(french.id), "comment": "Trop long"}, "clear-error",
         "Please choose “Yes” or “Not really”."),
        ({"page_id": str(french.id), "clear": "yes", "comment": "x" * 1001}, "comment-error",
         "At most 1000 characters (you wrote 1001)."),
        ({"page_id": str(french.id), "clear": "maybe"}, "clear-error",
         "Please choose “Yes” or “Not really”."),
    ]
    for form, error_id, message in cases:
        response = jeanne.post("/understand/test-sugar/feedback", **form)
        assert response.status_code == 400, form
        page = response.get_data(as_text=True)
        assert f'<p id="{error_id}" class="field-error">{message}</p>' in page, form
    for page_id in (str(draft.id), "", "12x", "99999999"):
        response = jeanne.post("/understand/test-sugar/feedback", page_id=page_id, clear="yes")
        assert response.status_code == 400, page_id
        assert "changed since you opened it" in response.get_data(as_text=True)
    assert _feedback(db) == []


# A page for a plan action, a page for a question -------------------------------------------

def test_dr_lefevre_points_an_action_at_a_page_that_jeanne_then_sees(signed_in, db, jeanne_id):
    _jeannes_shelf(db)
    lefevre = signed_in("lefevre")
    item = _jeannes_action(db)
    form = _edit_form(lefevre, jeanne_id, item, content_slug="test-ankles")
    edit = lefevre.get(f"/carnet/{jeanne_id}/plan/{item.id}/edit").get_data(as_text=True)
    assert '<option value="test-ankles">My ankles swell</option>' in edit
    assert "not yet reviewed" not in edit

    assert lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}", **form).status_code == 302
    item = _jeannes_action(db)
    assert item.content_slug == "test-ankles"
    revision = db.exec(select(PlanRevision).where(PlanRevision.plan_item_id == item.id)
                       .order_by(PlanRevision.id.desc())).first()
    assert revision.after == {"content_slug": "test-ankles"}
    history = lefevre.get(f"/carnet/{jeanne_id}/plan/{item.id}").get_data(as_text=True)
    assert "Page to understand: " in history and "→ test-ankles" in history

    for name in ("jeanne", "claire"):
        plan = signed_in(name).get(f"/carnet/{jeanne_id}/plan").get_data(as_text=True)
        assert '<a href="/understand/test-ankles">Understand: My ankles swell</a>' in plan, name
    shelf = signed_in("jeanne").get(f"/carnet/{jeanne_id}/understand").get_data(as_text=True)
    assert shelf.count("My ankles swell") == 1


def test_an_unknown_page_on_the_plan_form_is_refused(signed_in, db, jeanne_id):
    _jeannes_shelf(db)
    lefevre = signed_in("lefevre")
    item = _jeannes_action(db)
    goal = db.get(PlanItem, item.parent_id)
    before = stored(db, ("plan_item", "plan_revision"))
    for slug in ("no-such-page", "test-salt"):
        edited = lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}",
                              **_edit_form(lefevre, jeanne_id, item, content_slug=slug))
        assert edited.status_code == 400, slug
        assert field_error(edited.get_data(as_text=True), f"page-error-{item.id}") == (
            "Choose a page from the list.")
        added = lefevre.post(f"/carnet/{jeanne_id}/plan/new", kind="action", parent=goal.id,
                             title="Lire la page", status="todo", content_slug=slug)
        assert added.status_code == 400, slug
        assert field_error(added.get_data(as_text=True), "page-error-new") == (
            "Choose a page from the list.")
    assert stored(db, ("plan_item", "plan_revision")) == before


def test_the_report_form_links_the_page_attached_to_a_question(signed_in, db, jeanne_id):
    source = _page(db, "test-swollen", "Que faire si mes chevilles gonflent",
                   questionnaire_item="heart_failure:ankles")
    _page(db, "test-swollen", "What to do if my ankles swell", language="en",
          source_id=source.id, questionnaire_item="heart_failure:ankles")
    _page(db, "test-unrelated", "Another questionnaire's item", language="en",
          questionnaire_item="copd:cough")
    form = signed_in("jeanne").get(f"/carnet/{jeanne_id}/symptoms/new").get_data(as_text=True)
    assert ('<a href="/understand/test-swollen" target="_blank" rel="noopener">'
            "What to do if my ankles swell") in form
    assert form.index("My ankles are swollen") < form.index("What to do if my ankles swell")
    assert "Another questionnaire" not in form
