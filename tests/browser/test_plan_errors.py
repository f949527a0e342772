"""Dr Lefèvre edits Jeanne's plan in place (htmx) and is shown what went wrong, where it went
wrong: an empty title, a goal Amina changed meanwhile, a status changed meanwhile. A save
that worked is said by the page's live region and the focus lands on the changed item.
Removing a goal asks first, with JavaScript and without.

In French, as Dr Lefèvre reads it here; axe-core checks every state the test looks at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import select

from app.models import PlanItem

from ..carnet_actions import carnet_id
from ..conftest import persona
from .conftest import assert_accessible, follow, new_context, sign_in_by_demo, swap

pytestmark = pytest.mark.browser

GOAL = "Manger moins salé, sans supprimer le sel"  # a goal of Jeanne's, with actions under it
ACTION = "Examen des pieds, au moins une fois par an"  # an action of Dr Lefèvre's, to do
# The French words the test checks, as the catalog has them.
WRITE_SOMETHING = "Écrivez quelque chose ici."
CHANGED_BY_AMINA = "Amina Benali a modifié ceci entre-temps. Voici ce qui est écrit maintenant."
SAVED, STATUS_SAVED = "Enregistré.", "Statut enregistré."


def _open(browser: Browser, live_server, full_name: str, js: bool = True
          ) -> tuple[BrowserContext, Page]:
    """A French browser of its own for ``full_name``, signed in through the demo page, with
    service workers blocked (every answer comes straight from the server)."""
    context = new_context(browser, live_server.url, java_script_enabled=js,
                          service_workers="block")
    page = context.new_page()
    if js:
        sign_in_by_demo(page, full_name)
    else:  # axe-core needs JavaScript: the demo page is checked with it
        page.goto("/demo/")
        follow(page, page.get_by_role("button", name=re.compile(re.escape(full_name))))
    return context, page


@pytest.fixture
def lefevre(browser, live_server, demo) -> Iterator[Page]:
    context, page = _open(browser, live_server, "Dr Paul Lefèvre")
    yield page
    context.close()


def _item_id(db, title: str) -> int:
    return db.exec(select(PlanItem.id).where(PlanItem.title == title)).one()


def _focused(page: Page) -> dict:
    """What has the focus: its id, its tag, and the id of the plan item around it."""
    return page.evaluate("""() => {
      const el = document.activeElement;
      const item = el && el.closest("li.plan-item");
      return {id: el ? el.id : null, tag: el ? el.tagName : null, item: item ? item.id : null};
    }""")


def _open_inline_form(page: Page, item_id: int):
    item = page.locator(f"#item-{item_id}")
    item.locator(":scope > details > summary").click()
    swap(page, item.locator(":scope > details a[href$='/edit']"))
    return page.locator(f"#item-{item_id} form").first


def test_an_inline_edit_shows_its_errors_in_place_and_says_what_it_saved(
    browser, live_server, lefevre, db
):
    page, jeanne = lefevre, carnet_id(db, "jeanne")
    goal = _item_id(db, GOAL)
    page.goto(f"/carnet/{jeanne}/plan")
    page.evaluate("window.sameDocument = true")  # gone if a page is loaded instead
    form = _open_inline_form(page, goal)
    title = form.locator("input[name=title]")
    expect(title).to_be_focused()  # the form opened in place

    # An empty title: the form comes back in place, the message next to the field.
    title.fill("")
    swap(page, form.locator("button[type=submit]"))
    title = page.locator(f"#title-{goal}")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_attribute("aria-describedby", f"title-error-{goal}")
    expect(page.locator(f"#title-error-{goal}")).to_have_text(WRITE_SOMETHING)
    expect(title).to_be_focused()
    assert page.evaluate("window.sameDocument === true")
    assert_accessible(page)

    # Meanwhile Amina renames the goal from her own browser.
    context, amina = _open(browser, live_server, "Amina Benali", js=False)
    amina.goto(f"/carnet/{jeanne}/plan/{goal}/edit")
    amina.locator("main form input[name=title]").fill(GOAL + ", pas à pas")
    follow(amina, amina.locator("main form button[type=submit]").first)
    context.close()

    # His save, based on the goal as it was, is refused: he sees what it says now, and who.
    title.fill(GOAL + ", en douceur")
    swap(page, page.locator(f"#item-{goal} form button[type=submit]").first)
    stale = page.locator(f"#stale-{goal}")
    expect(stale).to_have_text(CHANGED_BY_AMINA)
    title = page.locator(f"#title-{goal}")
    expect(title).to_have_value(GOAL + ", pas à pas")
    expect(title).to_have_attribute("aria-describedby", f"stale-{goal}")
    expect(title).to_be_focused()
    assert_accessible(page)

    # Saved again, on the goal as it is now: the live region says so, the focus is on it.
    title.fill(GOAL + ", en douceur")
    swap(page, page.locator(f"#item-{goal} form button[type=submit]").first)
    heading = page.locator(f"#item-{goal} .plan-item__title a").first
    expect(heading).to_have_text(GOAL + ", en douceur")
    expect(page.locator("#announcer")).to_have_text(SAVED)
    expect(heading).to_be_focused()
    assert _focused(page)["item"] == f"item-{goal}"
    assert page.evaluate("window.sameDocument === true")
    assert_accessible(page)


def test_a_status_saved_in_place_is_announced_and_a_stale_one_explained(lefevre, db, engine):
    page, jeanne = lefevre, carnet_id(db, "jeanne")
    action = _item_id(db, ACTION)
    page.goto(f"/carnet/{jeanne}/plan")
    item = page.locator(f"#item-{action}")

    item.locator("select[name=status]").select_option("done")
    swap(page, item.locator(":scope > form button[type=submit]"))
    expect(page.locator("#announcer")).to_have_text(STATUS_SAVED)
    expect(item.locator(".plan-item__title a")).to_be_focused()
    assert_accessible(page)

    # Amina changes it meanwhile (here, straight in the database).
    amina = persona(db, "amina").id
    with engine.begin() as connection:
        connection.execute(sa.update(PlanItem).where(PlanItem.id == action).values(
            version=PlanItem.version + 1, updated_by_id=amina))
    item.locator("select[name=status]").select_option("in_progress")
    swap(page, item.locator(":scope > form button[type=submit]"))
    expect(page.locator(f"#status-stale-{action}")).to_have_text(CHANGED_BY_AMINA)
    select = page.locator(f"#status-{action}")
    expect(select).to_have_value("done")  # what it says now
    expect(select).to_have_attribute("aria-describedby", f"status-stale-{action}")
    expect(select).to_be_focused()
    assert_accessible(page)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_removing_a_goal_asks_first(browser, live_server, demo, db, js):
    context, page = _open(browser, live_server, "Dr Paul Lefèvre", js=js)
    jeanne, goal = carnet_id(db, "jeanne"), _item_id(db, GOAL)
    plan = f"/carnet/{jeanne}/plan"
    page.goto(plan)

    def ask() -> None:
        item = page.locator(f"#item-{goal}")
        item.locator(":scope > details > summary").click()
        swap(page, item.locator(":scope > details a[href$='/edit']"), js=js)
        follow(page, page.get_by_role("link", name=re.compile("^Retirer du plan")))
        expect(page.locator("h1")).to_have_text(f"Retirer « {GOAL} » du plan de soins ?")
        if js:
            assert_accessible(page)

    ask()
    follow(page, page.get_by_role("link", name="Le garder dans le plan"))
    assert page.url.endswith(f"{plan}#item-{goal}")
    expect(page.locator(f"#item-{goal}")).to_have_count(1)

    ask()
    follow(page, page.get_by_role("button", name="Retirer du plan"))
    assert page.url.endswith(plan)
    expect(page.locator(f"#item-{goal}")).to_have_count(0)
    if js:
        assert_accessible(page)
    context.close()
