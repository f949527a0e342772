"""Dr Lefèvre's day in a real browser, in French: the list passes axe, an action marked
done from it leaves it in place (htmx), the focus goes to the list and the live region
says what was saved; the same list works without JavaScript. Then the conductor's desk
story of the issue, from Jeanne's amber zone to an action Amina accepted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from app.carnet import my_day
from app.models import ActionStatus, Delegation, PlanItem, PlanItemKind, SymptomReport
from app.symptoms.reports import content_hash, new_client_id
from app.types import utcnow

from ..carnet_actions import carnet_id
from ..conftest import persona
from ..symptom_actions import forget_heart_reports, questionnaire
from .conftest import assert_accessible, follow, new_context, sign_in_by_demo, swap

pytestmark = pytest.mark.browser

STATUS_SAVED = "Statut enregistré."
GOAL = "Éviter une nouvelle hospitalisation"  # a goal of Jeanne's


@pytest.fixture
def actions(db, demo) -> tuple[PlanItem, PlanItem]:
    """Two actions of Dr Lefèvre's in Jeanne's carnet: one overdue, one due today."""
    today = my_day.paris_day(utcnow())
    jeanne, lefevre = carnet_id(db, "jeanne"), persona(db, "lefevre")
    rows = [PlanItem(patient_id=jeanne, kind=PlanItemKind.ACTION, title=title, due_date=due,
                     responsible_account_id=lefevre.id)
            for title, due in (("Revoir le traitement diurétique", today - timedelta(days=1)),
                               ("Appeler la pharmacie", today))]
    db.add_all(rows)
    db.commit()
    return rows[0], rows[1]


@pytest.mark.parametrize("js", [True, False], ids=["htmx", "no-js"])
def test_dr_lefevre_marks_an_action_done_from_his_day(browser, live_server, db, actions, js):
    overdue, due_today = actions
    context = new_context(browser, live_server.url, java_script_enabled=js,
                          service_workers="block")
    page = context.new_page()
    if js:
        sign_in_by_demo(page, "Dr Paul Lefèvre")
    else:
        page.goto("/demo/")
        follow(page, page.get_by_role("button", name="Dr Paul Lefèvre"))
    if js:
        expect(page).to_have_url(f"{live_server.url}/day")  # his home
    else:
        page.goto("/day")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    line = page.locator(f"#day-action-{overdue.id}")
    expect(line).to_contain_text("En retard")
    expect(page.locator(f"#day-action-{due_today.id}")).to_contain_text("Pour aujourd'hui")
    if js:
        assert_accessible(page)
        page.evaluate("window.sameDocument = true")

    swap(page, line.get_by_role("button", name="Marquer comme fait"), js=js)

    expect(page.locator(f"#day-action-{overdue.id}")).to_have_count(0)
    expect(page.locator(f"#day-action-{due_today.id}")).to_be_visible()
    if js:
        assert page.evaluate("window.sameDocument === true")  # swapped in, not reloaded
        expect(page.locator("#worklist")).to_be_focused()
        expect(page.locator("#announcer")).to_have_text(STATUS_SAVED)
        assert_accessible(page)
    else:
        expect(page.locator("main p.banner[role=status]")).to_have_text(STATUS_SAVED)
    db.expire_all()
    assert db.get(PlanItem, overdue.id).status == ActionStatus.DONE
    context.close()


def _weighed_3_days_ago(db, jeanne: int, kilos: float) -> None:
    """Jeanne's heart diary starts 3 days ago at ``kilos``, with a calm report."""
    forget_heart_reports(db, jeanne)
    form = questionnaire(db, "heart_failure", "fr")
    answers = {"weight": kilos, "breathlessness": 2, "ankles": False, "night_cough": False,
               "tiredness": 3}
    db.add(SymptomReport(patient_id=jeanne, questionnaire_id=form.id, client_id=new_client_id(),
                         content_hash=content_hash(jeanne, form.id, answers, ""),
                         answers=answers, reported_at=utcnow() - timedelta(days=3, minutes=-5),
                         reported_by_account_id=persona(db, "jeanne").id))
    db.commit()


def _as(browser, live_server, name: str):
    context = new_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, name)
    return context, page


def test_from_jeannes_amber_zone_to_an_action_amina_accepted(browser, live_server, db, demo):
    """The issue's story, in French: Jeanne reports a gain of 2.4 kg in 3 days and reads the
    amber zone's advice; her report heads Dr Lefèvre's day; he asks Amina Benali to weigh her
    daily; Amina accepts from her day with a note; Jeanne's plan says who agreed, and the
    action's history keeps each step. axe on every page."""
    jeanne = carnet_id(db, "jeanne")
    _weighed_3_days_ago(db, jeanne, 71.0)

    context, page = _as(browser, live_server, "Jeanne Martin")
    page.goto(f"/carnet/{jeanne}/symptoms/new")
    page.fill('[name="answer-weight"]', "73,4")
    for name, value in (("breathlessness", "3"), ("ankles", "no"), ("night_cough", "no"),
                        ("tiredness", "4")):
        page.check(f'[name="answer-{name}"][value="{value}"]')
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Envoyer à l’équipe de soins"))
    zone = page.locator("section.zone")
    expect(zone).to_have_class(re.compile("zone--amber"))
    expect(zone.get_by_role("heading")).to_have_text("Zone orange")
    expect(zone).to_contain_text("Appelez votre infirmière ou votre médecin aujourd’hui.")
    expect(zone).to_contain_text("Je dis mon poids de ce matin et celui d'il y a 3 jours.")
    assert_accessible(page)
    follow(page, zone.get_by_role("link", name="Tout le plan d’action"))
    expect(page.locator(".zone")).to_have_count(6)  # heart failure and diabetes
    assert_accessible(page)
    report = db.exec(select(SymptomReport).where(SymptomReport.patient_id == jeanne).order_by(
        col(SymptomReport.id).desc())).first()
    context.close()

    context, page = _as(browser, live_server, "Dr Paul Lefèvre")
    expect(page).to_have_url(f"{live_server.url}/day")
    expect(page.locator("#worklist > li").first).to_have_id(f"day-report-{report.id}")
    assert_accessible(page)
    page.goto(f"/carnet/{jeanne}/plan")
    page.locator("summary", has_text=GOAL).click()  # the goal's tools
    follow(page, page.get_by_role("link", name=f"Ajouter une action — {GOAL}"))
    page.get_by_label("Titre").fill("Se peser chaque jour et appeler si +1 kg")
    for field, person in (("Qui s’en occupe", "Amina Benali"),
                          ("Sous la supervision de", "Dr Paul Lefèvre")):
        chosen = page.get_by_label(field)
        chosen.select_option(chosen.locator("option", has_text=person).get_attribute("value"))
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Enregistrer"))
    item = db.exec(select(PlanItem).where(
        PlanItem.title == "Se peser chaque jour et appeler si +1 kg")).one()
    assert item.delegation == Delegation.ASKED
    context.close()

    context, page = _as(browser, live_server, "Amina Benali")
    page.goto("/day")
    request = page.locator(f"#day-request-{item.id}")
    expect(request).to_contain_text("Demandé par Dr Paul Lefèvre")
    assert_accessible(page)
    request.get_by_label("Votre note").fill("Jusqu'au 15 janvier")
    swap(page, request.get_by_role("button", name="Accepter"))
    expect(page.locator("#announcer")).to_have_text("Vous avez accepté cette action.")
    expect(page.locator(f"#day-request-{item.id}")).to_have_count(0)
    assert_accessible(page)
    context.close()

    context, page = _as(browser, live_server, "Jeanne Martin")
    page.goto(f"/carnet/{jeanne}/plan")
    line = page.locator(f"#item-{item.id}")
    expect(line).to_contain_text("Amina Benali — accepté")
    expect(line).to_contain_text("Jusqu'au 15 janvier")
    expect(line).to_contain_text("Dr Paul Lefèvre")  # under his supervision
    assert_accessible(page)
    page.goto(f"/carnet/{jeanne}/plan/{item.id}")
    history = page.locator("section[aria-labelledby=history-title]")
    steps = history.locator("li")
    expect(steps).to_have_count(2)  # newest first
    expect(steps.nth(0)).to_contain_text("demande de prise en charge : accepté")
    expect(steps.nth(0)).to_contain_text("Amina Benali")
    expect(steps.nth(1)).to_contain_text("ajouté au plan")
    expect(steps.nth(1)).to_contain_text("Dr Paul Lefèvre")
    assert_accessible(page)
    context.close()
