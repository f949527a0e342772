"""Dr Lefèvre's day in a real browser, in French: the list passes axe, an action marked
done from it leaves it in place (htmx), the focus goes to the list and the live region
says what was saved; the same list works without JavaScript."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.carnet import my_day
from app.models import ActionStatus, Delegation, PlanItem, PlanItemKind
from app.types import utcnow

from ..carnet_actions import carnet_id
from ..conftest import persona
from .conftest import assert_accessible, follow, new_context, sign_in_by_demo, swap

pytestmark = pytest.mark.browser

STATUS_SAVED = "Statut enregistré."


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


def test_amina_accepts_an_action_asked_of_her_and_jeanne_sees_it(browser, live_server, db,
                                                                  demo):
    jeanne = carnet_id(db, "jeanne")
    item = PlanItem(patient_id=jeanne, kind=PlanItemKind.ACTION,
                    title="Se peser chaque jour et appeler si +1 kg",
                    responsible_account_id=persona(db, "amina").id,
                    delegation=Delegation.ASKED, delegated_by_id=persona(db, "lefevre").id,
                    due_date=my_day.paris_day(utcnow()))
    db.add(item)
    db.commit()
    context = new_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, "Amina Benali")
    page.goto("/day")
    request = page.locator(f"#day-request-{item.id}")
    expect(request).to_contain_text("Demandé par Dr Paul Lefèvre")
    assert_accessible(page)

    request.get_by_label("Votre note").fill("Jusqu'au 15 janvier")
    swap(page, request.get_by_role("button", name="Accepter"))

    expect(page.locator("#announcer")).to_have_text("Vous avez accepté cette action.")
    expect(page.locator(f"#day-request-{item.id}")).to_have_count(0)
    expect(page.locator(f"#day-action-{item.id}")).to_be_visible()  # hers now, due today
    assert_accessible(page)
    context.close()

    context = new_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    page.goto(f"/carnet/{jeanne}/plan")
    expect(page.locator(f"#item-{item.id}")).to_contain_text("Amina Benali — accepté")
    expect(page.locator(f"#item-{item.id}")).to_contain_text("Jusqu'au 15 janvier")
    assert_accessible(page)
    context.close()
