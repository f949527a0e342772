"""Educational pages in the authoring space: drafts, bad input, new versions, translations,
the reviewers' diff, and who may open it at all."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.content import workflow
from app.models import ContentPage, ContentStatus, PlanItem, ReadingLevel, ReviewAction

from .carnet_actions import stored
from .conftest import persona

TABLES = ("content_page", "content_review")
WEIGHING = "se-peser-chaque-matin"
ANKLES = "mes-chevilles-gonflent-que-faire"
DRAFT = {"title": "Bien dormir avec une insuffisance cardiaque", "language": "fr",
         "conditions": ["heart_failure"], "reading_level": "falc",
         "questionnaire_item": "heart_failure:night_cough",
         "body": "Je dors avec deux oreillers.\n\n## Quand appeler\n\n- Je tousse la nuit."}


def _demo_page(db, slug: str, language: str = "fr") -> ContentPage:
    db.expire_all()
    return db.exec(select(ContentPage).where(
        ContentPage.slug == slug, ContentPage.language == language,
        ContentPage.status == ContentStatus.PUBLISHED)).one()


def _latest(db) -> ContentPage:
    db.expire_all()
    return db.exec(select(ContentPage).order_by(ContentPage.id.desc())).first()


def _publish(db, page: ContentPage) -> None:
    """Send ``page`` for review, have Dr Lefèvre and Odile approve it, and publish it."""
    workflow.submit(db, page, persona(db, "francoise"))
    workflow.review(db, page, persona(db, "lefevre"), ReviewAction.APPROVE)
    workflow.review(db, page, persona(db, "odile"), ReviewAction.APPROVE)
    workflow.publish(db, page, persona(db, "francoise"))
    db.commit()


def test_francoise_writes_a_draft(signed_in, db):
    francoise = signed_in("francoise")
    assert "heart_failure:ankles" in francoise.get("/authoring/pages/new").get_data(as_text=True)
    response = francoise.post("/authoring/pages/new", **DRAFT)
    assert response.status_code == 303
    page = _latest(db)
    assert response.location.endswith(f"/authoring/pages/{page.id}")
    assert (page.slug, page.language, page.version, page.status, page.author_id) == (
        "bien-dormir-avec-une-insuffisance-cardiaque", "fr", 1, ContentStatus.DRAFT,
        persona(db, "francoise").id)
    assert (page.conditions, page.reading_level, page.questionnaire_item) == (
        ["heart_failure"], ReadingLevel.FALC, "heart_failure:night_cough")

    shown = francoise.get(response.location).get_data(as_text=True)
    assert "<h2>Quand appeler</h2>" in shown and "Draft saved." in shown
    assert "This is the first version" in shown and 'value="submit"' in shown

    # Same title again: the address gets a number, an address chosen twice is refused.
    assert francoise.post("/authoring/pages/new", **DRAFT).status_code == 303
    assert _latest(db).slug == "bien-dormir-avec-une-insuffisance-cardiaque-2"


@pytest.mark.parametrize(("change", "error_id", "message"), [
    ({"title": "  "}, "title-error", "Please give the page a title."),
    ({"title": "t" * 201}, "title-error", "At most 200 characters."),
    ({"conditions": []}, "conditions-error", "Tick at least one condition."),
    ({"conditions": ["flu"]}, "conditions-error", "Tick conditions from the list."),
    ({"body": " \n "}, "body-error", "Please write the text of the page."),
    ({"body": "b" * 20_001}, "body-error", "At most 20000 characters."),
    ({"questionnaire_item": "heart_failure:shoe_size"}, "questionnaire_item-error",
     "Choose a question from the list."),
    ({"language": "de"}, "language-error", "Choose French or English."),
    ({"reading_level": "expert"}, "reading_level-error", "Choose a reading level from the list."),
    ({"slug": "Mes Chevilles!"}, "slug-error", "Lowercase letters, digits and hyphens only"),
    ({"slug": WEIGHING}, "slug-error", "Another page already has this address."),
])
def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    signed_in, db, change, error_id, message
):
    before = stored(db, TABLES)
    response = signed_in("francoise").post("/authoring/pages/new", **{**DRAFT, **change})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    pointed = re.search(rf'aria-describedby="[^"]*\b{error_id}"', page)
    assert pointed and 'aria-invalid="true"' in page, error_id
    shown = re.search(rf'<p id="{error_id}" class="field-error">([^<]*)</p>', page)
    assert shown and shown.group(1).startswith(message), page
    assert stored(db, TABLES) == before


def test_only_a_draft_can_be_changed(signed_in, db):
    francoise = signed_in("francoise")
    francoise.post("/authoring/pages/new", **DRAFT)
    draft = _latest(db)
    edit = f"/authoring/pages/{draft.id}/edit"
    assert francoise.get(edit).status_code == 200
    assert francoise.post(edit, **{**DRAFT, "title": "Bien dormir"}).status_code == 303
    assert _latest(db).title == "Bien dormir"
    assert francoise.post(edit, **{**DRAFT, "title": ""}).status_code == 400

    workflow.submit(db, draft, persona(db, "francoise"))
    db.commit()
    for page_id in (draft.id, _demo_page(db, WEIGHING).id):
        before = stored(db, TABLES)
        for response in (francoise.get(f"/authoring/pages/{page_id}/edit"),
                         francoise.post(f"/authoring/pages/{page_id}/edit", **DRAFT)):
            assert response.status_code == 303
            assert response.location.endswith(f"/authoring/pages/{page_id}")
        shown = francoise.get(f"/authoring/pages/{page_id}").get_data(as_text=True)
        assert "Only a draft can be changed." in shown
        assert stored(db, TABLES) == before


def test_a_new_version_waits_for_its_review_and_outdates_the_translation(signed_in, db):
    published = _demo_page(db, WEIGHING)
    english = _demo_page(db, WEIGHING, "en")
    assert english.source_id == published.id and not english.outdated
    lefevre = signed_in("lefevre")
    response = lefevre.post(f"/authoring/pages/{published.id}/new-version")
    draft = _latest(db)
    assert response.status_code == 303 and response.location.endswith(
        f"/authoring/pages/{draft.id}/edit")
    assert (draft.slug, draft.language, draft.version, draft.status, draft.author_id) == (
        WEIGHING, "fr", 2, ContentStatus.DRAFT, persona(db, "lefevre").id)
    assert draft.body_markdown == published.body_markdown
    # Asking again goes to the same draft: a family has one open draft at a time.
    assert signed_in("francoise").post(
        f"/authoring/pages/{published.id}/new-version").location == response.location
    assert _latest(db).id == draft.id

    workflow.submit(db, draft, persona(db, "lefevre"))
    db.commit()
    assert _demo_page(db, WEIGHING).id == published.id  # still what patients read
    workflow.review(db, draft, persona(db, "amina"), ReviewAction.APPROVE)
    workflow.review(db, draft, persona(db, "odile"), ReviewAction.APPROVE)
    workflow.publish(db, draft, persona(db, "odile"))
    db.commit()
    assert _demo_page(db, WEIGHING).id == draft.id
    assert db.get(ContentPage, published.id).status == ContentStatus.RETIRED
    assert db.get(ContentPage, english.id).outdated


def test_a_published_french_page_is_translated_into_an_english_draft(signed_in, db):
    french = _demo_page(db, ANKLES)
    francoise = signed_in("francoise")
    assert francoise.post(f"/authoring/pages/{french.id}/translate").status_code == 303
    draft = _latest(db)
    assert (draft.slug, draft.language, draft.version, draft.status, draft.source_id) == (
        ANKLES, "en", 2, ContentStatus.DRAFT, french.id)
    assert (draft.title, draft.body_markdown, draft.conditions, draft.reading_level,
            draft.questionnaire_item) == (french.title, french.body_markdown, french.conditions,
                                          french.reading_level, french.questionnaire_item)
    shown = francoise.get(f"/authoring/pages/{draft.id}/edit").get_data(as_text=True)
    assert "This is a translation" in shown

    before = stored(db, TABLES)
    english = _demo_page(db, ANKLES, "en")
    assert francoise.post(f"/authoring/pages/{english.id}/translate").status_code == 303
    assert "Only a published French page can be translated." in francoise.get(
        f"/authoring/pages/{english.id}").get_data(as_text=True)
    assert stored(db, TABLES) == before


def test_a_published_french_page_is_translated_into_arabic_too(signed_in, db):
    """An association translates its page for the Arabic speakers of the territory; the
    page offers English and Arabic, and nothing else is accepted."""
    french = _demo_page(db, ANKLES)
    francoise = signed_in("francoise")
    shown = francoise.get(f"/authoring/pages/{french.id}").get_data(as_text=True)
    assert 'name="language" value="ar"' in shown and "Translate into Arabic" in shown
    assert francoise.post(f"/authoring/pages/{french.id}/translate",
                          language="ar").status_code == 303
    draft = _latest(db)
    assert (draft.language, draft.source_id, draft.status) == ("ar", french.id,
                                                               ContentStatus.DRAFT)
    before = stored(db, TABLES)
    assert francoise.post(f"/authoring/pages/{french.id}/translate",
                          language="de").status_code == 400
    assert stored(db, TABLES) == before


def test_reviewers_see_what_changed_line_by_line(signed_in, db):
    published = _demo_page(db, WEIGHING)
    francoise = signed_in("francoise")
    francoise.post(f"/authoring/pages/{published.id}/new-version")
    draft = _latest(db)
    body = published.body_markdown.replace(
        "3. Toujours sur la même balance, posée sur un sol dur.",
        "3. Toujours sur la même balance, posée sur un sol dur, jamais sur un tapis.")
    francoise.post(f"/authoring/pages/{draft.id}/edit", **{
        "title": "Me peser chaque matin", "conditions": published.conditions,
        "reading_level": "falc", "questionnaire_item": published.questionnaire_item,
        "body": body})
    _publish(db, draft)

    page = signed_in("odile").get(f"/authoring/pages/{draft.id}").get_data(as_text=True)
    shown = page[page.index('id="changes-heading"'):page.index('id="workflow-heading"')]
    assert f'href="/authoring/pages/{published.id}">French, version 1' in shown
    # Odile reads Carnet in English: each side's French words say so (lang, dir).
    french = '<span lang="fr" dir="ltr">'
    assert ('<del><span aria-hidden="true">− </span><span class="visually-hidden">Removed line: '
            f'</span>{french}3. Toujours sur la même balance, posée sur un sol dur.</span></del>'
            ) in shown
    assert ('<ins><span aria-hidden="true">+ </span><span class="visually-hidden">Added line: '
            f'</span>{french}3. Toujours sur la même balance, posée sur un sol dur, jamais sur un '
            'tapis.</span></ins>') in shown
    assert f"Before: </span>{french}Se peser chaque matin</span></del>" in shown
    assert f"After: </span>{french}Me peser chaque matin</span></ins>" in shown
    assert "After: </span>Easy to read (FALC)</ins>" in shown
    assert "2. Avant le petit-déjeuner" in shown  # an unchanged line near the change
    assert "Le poids est le premier signe" not in shown  # one far from it is left out

    # A reviewer may compare with any other version, in any language.
    english = _demo_page(db, WEIGHING, "en")
    odile = signed_in("odile")
    page = odile.get(f"/authoring/pages/{draft.id}?against={english.id}").get_data(as_text=True)
    shown = page[page.index('id="changes-heading"'):page.index('id="workflow-heading"')]
    assert f'<option value="{english.id}" selected>EN, version 1' in shown
    assert f'href="/authoring/pages/{english.id}">English, version 1' in shown
    assert "Before: </span>Weighing myself every morning</del>" in shown
    for wrong in ("999999", "x", str(draft.id)):  # not a version of it: the default one
        page = odile.get(f"/authoring/pages/{draft.id}?against={wrong}").get_data(as_text=True)
        assert f'href="/authoring/pages/{published.id}">French, version 1' in page


AUTHORING_PAGES = [("get", "/authoring/pages/new"), ("post", "/authoring/pages/new"),
                   ("get", "/authoring/pages/{id}"), ("get", "/authoring/pages/{id}/edit"),
                   ("post", "/authoring/pages/{id}/edit"),
                   ("post", "/authoring/pages/{id}/new-version"),
                   ("post", "/authoring/pages/{id}/translate")]


@pytest.mark.parametrize("name", ["jeanne", "claire"])
def test_patients_and_caregivers_get_404_on_every_authoring_page(signed_in, db, name):
    person = signed_in(name)
    page_id = _demo_page(db, WEIGHING).id
    before = stored(db, TABLES)
    for method, path in AUTHORING_PAGES:
        path = path.format(id=page_id)
        response = person.get(path) if method == "get" else person.post(path, **DRAFT)
        assert response.status_code == 404, (method, path)
    assert stored(db, TABLES) == before


def test_a_page_that_does_not_exist_is_404(signed_in):
    francoise = signed_in("francoise")
    for method, path in AUTHORING_PAGES[2:]:
        path = path.format(id=987654)
        response = francoise.get(path) if method == "get" else francoise.post(path, **DRAFT)
        assert response.status_code == 404, (method, path)


def test_the_demo_pages_are_published_with_both_approvals(db, demo):
    pages = db.exec(select(ContentPage)).all()
    assert {(p.language, p.status) for p in pages} == {
        ("fr", ContentStatus.PUBLISHED), ("en", ContentStatus.PUBLISHED),
        ("ar", ContentStatus.PUBLISHED)}
    assert len(pages) == 8 + 3 * 9  # 4 pages in French and English, 9 zones in three languages
    assert {p.source_id is None for p in pages if p.language == "fr"} == {True}
    assert all(p.source_id is not None for p in pages if p.language != "fr")
    for page in pages:
        steps = workflow.history(db, page)
        assert [s.review.action for s in steps][-1] == ReviewAction.PUBLISH
        del steps[-1]  # what the approvals looked like when it was published
        assert workflow.missing_approvals(steps, page) == [], page.slug
    weighing = db.exec(select(PlanItem).where(PlanItem.content_slug == WEIGHING)).one()
    assert weighing.title == "Me peser chaque matin et noter mon poids"
