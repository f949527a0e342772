"""Issue 8's story in a real Chromium: Françoise, of a heart-failure patients' association,
drafts a page and a new version of the heart-failure questionnaire; Dr Lefèvre checks them
for clinical accuracy and Odile, a second editor, for clarity; once published, Jeanne reads
the page, says it was clear, and finds the new question in her next report, while her
earlier reports still show the questions they answered. axe on every page visited."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.models import (
    ContentFeedback,
    ContentPage,
    ContentStatus,
    Questionnaire,
    SymptomReport,
)
from tests.carnet_actions import carnet_id

from .conftest import (
    assert_accessible,
    follow,
    import_an_empty_file,
    new_context,
    sign_in_by_demo,
)

PAGE_TITLE = "Vertiges en se levant : que faire ?"
QUESTION = "Avez-vous eu la tête qui tourne en vous levant ?"


def _person(browser, live_server, name: str):
    context = new_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, name)
    return page


def _step(page, step: str, comment: str = "") -> None:
    if comment:
        page.fill("#workflow-comment", comment)
    follow(page, f"button[name=step][value={step}]")


@pytest.mark.browser
def test_an_association_and_professionals_publish_a_page_and_a_questionnaire_together(
    browser, live_server, demo, db
):
    jeanne_id = carnet_id(db, "jeanne")
    heart = db.exec(select(Questionnaire).where(
        Questionnaire.code == "heart_failure", Questionnaire.language == "fr",
        Questionnaire.status == ContentStatus.PUBLISHED)).one()
    earlier = db.exec(select(SymptomReport.id).where(
        SymptomReport.patient_id == jeanne_id)).all()

    # Françoise drafts the page…
    francoise = _person(browser, live_server, "Françoise Petit")
    expect(francoise).to_have_url(re.compile("/authoring/$"))
    assert_accessible(francoise)
    follow(francoise, "a[href='/authoring/pages/new']")
    assert_accessible(francoise)
    francoise.fill("#title", PAGE_TITLE)
    francoise.select_option("#language", "fr")
    francoise.check("input[name=conditions][value=heart_failure]")
    francoise.check("input[name=reading_level][value=falc]")
    francoise.fill("#body", "## Ce que je fais\n\n- Je me lève **doucement**.\n"
                            "- Je m'assois si la tête tourne.\n\n"
                            "[<script>alert(1)</script>](javascript:alert(1))")
    follow(francoise, "main form button[type=submit]")
    expect(francoise).to_have_url(re.compile(r"/authoring/pages/\d+$"))
    page_url = francoise.url
    expect(francoise.locator("main h2", has_text="Ce que je fais")).to_have_count(1)
    assert francoise.locator("main script, main a[href^='javascript']").count() == 0
    assert_accessible(francoise)
    francoise.goto(f"{page_url}/edit")
    assert_accessible(francoise)
    francoise.goto(page_url)
    _step(francoise, "submit", "Relu avec deux adhérents.")

    # A questionnaire from another territory comes as a FHIR file: the form, its refusal.
    francoise.goto("/authoring/")
    follow(francoise, "a[href='/authoring/questionnaires/import']")
    import_an_empty_file(francoise)

    # …and a new version of the questionnaire: one new question and a rule on it.
    francoise.goto("/authoring/")
    follow(francoise, f"form[action='/authoring/questionnaires/{heart.id}/new-version'] button")
    expect(francoise).to_have_url(re.compile(r"/authoring/questionnaires/\d+$"))
    questionnaire_url = francoise.url
    assert_accessible(francoise)
    follow(francoise, "a[href$='/items/new']")
    francoise.check("input[name=kind][value=yes_no]")
    follow(francoise, "main form button")
    francoise.fill("#field-key", "dizziness")
    francoise.fill("#field-label", QUESTION)
    assert_accessible(francoise)
    follow(francoise, "main form button.button--primary")
    expect(francoise.locator(".phone-preview")).to_contain_text(QUESTION)
    follow(francoise, "a[href$='/rules/new']")
    francoise.check("input[name=kind][value=answer]")
    follow(francoise, "main form button")
    francoise.fill("#field-key", "dizzy")
    francoise.select_option("#field-item", "dizziness")
    francoise.fill("#field-label", "Tête qui tourne en se levant")
    francoise.fill("#field-value", "yes")
    assert_accessible(francoise)
    follow(francoise, "main form button.button--primary")
    expect(francoise.locator("main")).to_contain_text("Tête qui tourne en se levant")
    follow(francoise, "a[href$='/try']")
    assert_accessible(francoise)
    francoise.goto(questionnaire_url)
    _step(francoise, "submit")

    # Dr Lefèvre reviews both from his list: clinical accuracy.
    lefevre = _person(browser, live_server, "Paul Lefèvre")
    lefevre.goto("/me/")
    follow(lefevre, "a[href='/authoring/']")
    assert_accessible(lefevre)
    follow(lefevre, lefevre.locator(
        f"a[href='{questionnaire_url.removeprefix(live_server.url)}']").first)
    expect(lefevre.locator("main")).to_contain_text(QUESTION)  # in the diff and the preview
    assert_accessible(lefevre)
    _step(lefevre, "approve", "Bon seuil : à signaler au médecin.")
    lefevre.goto(page_url)
    _step(lefevre, "approve")

    # Françoise cannot approve her own draft, and cannot publish before Odile's approval.
    francoise.goto(page_url)
    expect(francoise.locator("button[name=step][value=approve]")).to_have_count(0)
    _step(francoise, "publish")
    assert db.get(ContentPage, int(page_url.rsplit("/", 1)[1])).status == ContentStatus.IN_REVIEW

    # Odile, a second editor: clarity.
    odile = _person(browser, live_server, "Odile Lambert")
    for url in (page_url, questionnaire_url):
        odile.goto(url)
        assert_accessible(odile)
        _step(odile, "approve")

    for url in (page_url, questionnaire_url):
        francoise.goto(url)
        _step(francoise, "publish")
        assert_accessible(francoise)
    db.expire_all()
    new_version = db.get(Questionnaire, int(questionnaire_url.rsplit("/", 1)[1]))
    assert (new_version.status, new_version.version) == (ContentStatus.PUBLISHED,
                                                         heart.version + 1)
    assert db.get(Questionnaire, heart.id).status == ContentStatus.RETIRED

    # Jeanne reads the page among those of her conditions, and says it was clear.
    jeanne = _person(browser, live_server, "Jeanne Martin")
    follow(jeanne, f"a[href='/carnet/{jeanne_id}/understand']")
    assert_accessible(jeanne)
    follow(jeanne, jeanne.get_by_role("link", name=PAGE_TITLE))
    expect(jeanne.locator("h1")).to_have_text(PAGE_TITLE)
    assert_accessible(jeanne)
    jeanne.check("input[name=clear][value=yes]")
    follow(jeanne, "form[action*='/feedback'] button")
    expect(jeanne.locator("form[action*='/feedback']")).to_have_count(0)
    assert_accessible(jeanne)
    db.expire_all()
    assert [f.clear for f in db.exec(select(ContentFeedback))] == [True]
    francoise.goto("/authoring/feedback")
    expect(francoise.locator("main")).to_contain_text(PAGE_TITLE)
    expect(francoise.locator("main")).not_to_contain_text("Jeanne")
    assert_accessible(francoise)

    # Her next report asks the new question; her earlier ones keep theirs.
    jeanne.goto(f"/carnet/{jeanne_id}/symptoms/new?questionnaire={new_version.id}")
    expect(jeanne.locator("main")).to_contain_text(QUESTION)
    assert_accessible(jeanne)
    jeanne.goto(f"/carnet/{jeanne_id}/symptoms")
    expect(jeanne.locator("main")).not_to_contain_text(QUESTION)
    assert_accessible(jeanne)
    db.expire_all()
    assert {r.questionnaire_id for r in db.exec(select(SymptomReport).where(
        SymptomReport.patient_id == jeanne_id))} == {r.questionnaire_id for r in db.exec(
            select(SymptomReport).where(SymptomReport.id.in_(earlier)))}

    for page in (francoise, lefevre, odile, jeanne):
        page.context.close()
