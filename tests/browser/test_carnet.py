"""The shared carnet in a real browser: Dr Lefèvre keeps Jeanne's plan and appointments up to
date, Jeanne and her daughter Claire see it, and nobody sees more than the policy allows.

The journey runs with and without JavaScript (htmx is only an enhancement); every page
of the carnet is checked by axe-core from each side, in the language its people read it in:
Jeanne and Claire in French, Dr Lefèvre in English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, select

from app.models import Appointment, Patient, PlanItem, Professional

from ..conftest import persona
from .conftest import assert_accessible, follow, new_context, sign_in_by_demo, swap

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
FULL_NAME = {"jeanne": "Jeanne Martin", "claire": "Claire Martin", "lefevre": "Dr Paul Lefèvre"}
# The journey is in French, the demo's language. Pages are found by role, label or address;
# the only interface word checked is one the French catalog has ("Done").
DONE = "Fait"

FOOT_EXAM = "Examen des pieds, au moins une fois par an"  # an action of Dr Lefèvre's, to do
SAFE_AT_HOME = "Rester chez moi en sécurité"  # a goal of Jeanne's plan
LESS_SALT = "Manger moins salé, sans supprimer le sel"  # the second goal for her heart
NEW_APPOINTMENT = "Bilan du traitement du cœur"


@dataclass
class Carnets:
    """The ids a test needs: Jeanne's and Karim's carnets and a few of their rows."""

    jeanne: int
    karim: int
    action: int  # Jeanne's foot exam, an action Dr Lefèvre marks done
    goal: int  # "Rester chez moi en sécurité", a goal with actions under it
    heart: int  # the problem "Insuffisance cardiaque"
    salt: int  # its second goal, "Manger moins salé…"
    appointment: int  # Jeanne's next appointment, with Dr Lefèvre
    karim_action: int
    karim_appointment: int
    lefevre_professional: int


def _carnet_id(db: Session, name: str) -> int:
    return db.exec(select(Patient.id).where(Patient.account_id == persona(db, name).id)).one()


def _item_id(db: Session, patient_id: int, title: str) -> int:
    return db.exec(select(PlanItem.id).where(PlanItem.patient_id == patient_id,
                                             PlanItem.title == title)).one()


def _next_appointment_id(db: Session, patient_id: int) -> int:
    now = datetime.now(PARIS)
    return db.exec(select(Appointment.id).where(Appointment.patient_id == patient_id,
                                                Appointment.starts_at > now)
                   .order_by(Appointment.starts_at)).first()


@pytest.fixture
def carnets(db, demo) -> Carnets:
    jeanne, karim = _carnet_id(db, "jeanne"), _carnet_id(db, "karim")
    return Carnets(
        jeanne=jeanne, karim=karim,
        action=_item_id(db, jeanne, FOOT_EXAM),
        goal=_item_id(db, jeanne, SAFE_AT_HOME),
        heart=_item_id(db, jeanne, "Insuffisance cardiaque"),
        salt=_item_id(db, jeanne, LESS_SALT),
        appointment=_next_appointment_id(db, jeanne),
        karim_action=_item_id(db, karim, "Marcher 30 minutes chaque jour"),
        karim_appointment=_next_appointment_id(db, karim),
        lefevre_professional=db.exec(select(Professional.id).where(
            Professional.account_id == persona(db, "lefevre").id)).one(),
    )


def _open(browser: Browser, live_server, who: str, locale: str = "fr",
          js: bool = True) -> tuple[BrowserContext, Page]:
    """A browser of its own for ``who``, signed in through the demo page.

    Service workers are blocked: their page cache is tested in test_shell, and here every
    answer must come straight from the server.
    """
    context = new_context(browser, live_server.url, locale=locale, java_script_enabled=js,
                          service_workers="block")
    page = context.new_page()
    if js:
        sign_in_by_demo(page, FULL_NAME[who])
    else:  # axe-core cannot run without JavaScript: the demo page is checked by the others
        page.goto("/demo/")
        follow(page, page.get_by_role("button", name=re.compile(re.escape(FULL_NAME[who]))))
    return context, page


def _goto(page: Page, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, path


def _item(page: Page, item_id: int):
    return page.locator(f"#item-{item_id}")


def _every_page(patient: int, item: int, appointment: int) -> list[str]:
    """Every page of a carnet, for someone who must open none of them."""
    base = f"/carnet/{patient}"
    return [f"{base}/", f"{base}/team", f"{base}/plan", f"{base}/plan/{item}",
            f"{base}/plan/{item}/edit", f"{base}/plan/new", f"{base}/appointments",
            f"{base}/appointments/{appointment}", f"{base}/appointments/{appointment}/edit",
            f"{base}/appointments/new", f"{base}/appointments/{appointment}/calendar.ics",
            f"{base}/notes", f"{base}/changes", f"{base}/print", f"{base}/calendar"]


# -- 1 and 2: the journey, with and without JavaScript ------------------------------------


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_dr_lefevre_updates_jeannes_carnet_and_jeanne_and_claire_see_it(
    browser, live_server, carnets, js
):
    c = carnets
    base = f"/carnet/{c.jeanne}"

    # Jeanne finds her team, her plan, her appointments and her notebook from the demo.
    jeanne, page = _open(browser, live_server, "jeanne", js=js)
    _goto(page, f"{base}/team")
    expect(page.locator("main")).to_contain_text("Dr Paul Lefèvre")
    expect(page.locator("main")).to_contain_text("Amina Benali")
    _goto(page, f"{base}/plan")
    expect(page.locator("main")).to_contain_text("Insuffisance cardiaque")
    expect(_item(page, c.action).locator(".badge").first).not_to_have_text(DONE)
    _goto(page, f"{base}/appointments")
    expect(page.locator("main")).to_contain_text("Consultation de cardiologie")
    expect(page.locator("main")).not_to_contain_text(NEW_APPOINTMENT)
    _goto(page, f"{base}/notes")
    expect(page.locator("main")).to_contain_text("Prise de sang faite ce matin à domicile")

    # Dr Lefèvre marks the foot exam done, on the plan page.
    lefevre, pro = _open(browser, live_server, "lefevre", js=js)
    _goto(pro, f"{base}/plan")
    if js:
        pro.evaluate("window.sameDocument = true")  # gone if the page is loaded again
    plan_url = pro.url
    status_form = _item(pro, c.action).locator(":scope > form")
    status_form.locator("select[name=status]").select_option("done")
    swap(pro, status_form.locator("button[type=submit]"), js=js)
    expect(_item(pro, c.action).locator(".badge").first).to_have_text(DONE)
    if js:  # htmx swapped the item in place: no page load, the same address
        assert pro.url == plan_url
        assert pro.evaluate("window.sameDocument === true")
        expect(_item(pro, c.action).locator(":scope > form select[name=status]")).to_have_value(
            "done")
    else:  # back on the plan, at the item
        assert pro.url.endswith(f"/plan#item-{c.action}")

    # He renames a goal: inline with htmx, or through the edit page without JavaScript.
    goal = _item(pro, c.goal)
    goal.locator(":scope > details > summary").click()
    swap(pro, goal.locator(":scope > details a[href$='/edit']"), js=js)
    title = pro.locator(f"#item-{c.goal} input[name=title]")
    expect(title).to_have_value(SAFE_AT_HOME)
    if js:
        assert pro.url == plan_url
        assert_accessible(pro)  # the inline form, as swapped in
    title.fill("Rester chez moi en sécurité, avec de l'aide")
    swap(pro, pro.locator(f"#item-{c.goal} form").first.locator("button[type=submit]").first,
         js=js)
    expect(_item(pro, c.goal).locator(".plan-item__title").first).to_have_text(
        "Rester chez moi en sécurité, avec de l'aide")
    expect(pro.locator(f"#item-{c.goal} input[name=title]")).to_have_count(0)
    if js:
        assert pro.url == plan_url
        assert pro.evaluate("window.sameDocument === true")

    # He adds an appointment, a week from today.
    day = (datetime.now(PARIS).date() + timedelta(days=7)).isoformat()
    _goto(pro, f"{base}/appointments/new")
    form = pro.locator("main form")
    form.locator("input[name=title]").fill(NEW_APPOINTMENT)
    form.locator("select[name=professional_id]").select_option(str(c.lefevre_professional))
    form.locator("input[name=day]").fill(day)
    form.locator("input[name=start]").fill("10:00")
    form.locator("input[name=end]").fill("10:30")
    follow(pro, form.locator("button[type=submit]"))
    expect(pro.locator("h1")).to_have_text(NEW_APPOINTMENT)
    assert re.search(rf"/carnet/{c.jeanne}/appointments/\d+$", pro.url)
    lefevre.close()

    # Jeanne sees both, and who made them.
    _goto(page, f"{base}/plan")
    expect(_item(page, c.action).locator(".badge").first).to_have_text(DONE)
    _goto(page, f"{base}/appointments")
    upcoming = page.locator("section[aria-labelledby=upcoming-title]")
    expect(upcoming).to_contain_text(NEW_APPOINTMENT)
    expect(upcoming).to_contain_text("Dr Paul Lefèvre")
    _goto(page, f"{base}/changes")
    newest = page.locator("main ol.timeline > li")
    expect(newest.first).to_contain_text(NEW_APPOINTMENT)
    expect(newest.first).to_contain_text("Dr Paul Lefèvre")
    expect(newest.filter(has_text=FOOT_EXAM).first).to_contain_text("Dr Paul Lefèvre")
    expect(newest.filter(has_text=FOOT_EXAM).first).to_contain_text(DONE)
    _goto(page, "/")
    changed = page.locator("section[aria-labelledby=changes-title]")
    expect(changed).to_contain_text(NEW_APPOINTMENT)
    expect(changed.locator("li", has_text=FOOT_EXAM).first).to_contain_text("Dr Paul Lefèvre")
    jeanne.close()

    # Claire, her daughter, sees the plan and the appointments: they are shared with her.
    claire, page = _open(browser, live_server, "claire", js=js)
    assert page.url.endswith("/carnets")
    follow(page, f"main a[href='{base}/']")
    _goto(page, f"{base}/plan")
    expect(_item(page, c.action).locator(".badge").first).to_have_text(DONE)
    _goto(page, f"{base}/appointments")
    expect(page.locator("section[aria-labelledby=upcoming-title]")).to_contain_text(
        NEW_APPOINTMENT)

    # Anything else of Jeanne's, and all of Karim's carnet, is missing for her.
    hidden = [f"{base}/notes", f"{base}/plan/new", f"{base}/plan/new?kind=action&parent={c.goal}",
              f"{base}/plan/{c.action}/edit", f"{base}/appointments/new",
              f"{base}/appointments/{c.appointment}/edit", f"{base}/calendar",
              *_every_page(c.karim, c.karim_action, c.karim_appointment)]
    for path in hidden:
        _goto(page, path, 404)
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    for path, form in ((f"{base}/notes", {"body": "Coucou maman"}),
                       (f"{base}/plan/{c.action}/status", {"status": "todo", "version": "2"}),
                       (f"/carnet/{c.karim}/notes", {"body": "Bonjour"})):
        response = page.request.post(path, form={**form, "csrf_token": token},
                                     max_redirects=0)
        assert response.status == 404, path
    claire.close()


# -- An item's own page, where the plan around it is not shown --------------------------


def test_dr_lefevre_edits_and_moves_a_goal_from_its_own_page(browser, live_server, carnets):
    """On its own page the goal heads the page (h2 under the h1), an inline edit keeps it
    so, and "Move up" goes back to the plan, where the goal has moved."""
    base = f"/carnet/{carnets.jeanne}"
    context, page = _open(browser, live_server, "lefevre")
    _goto(page, f"{base}/plan/{carnets.salt}")
    goal = _item(page, carnets.salt)
    expect(goal.locator(":scope > h2")).to_have_text(LESS_SALT)
    goal.locator(":scope > details > summary").click()
    swap(page, goal.locator(":scope > details a[href$='/edit']"))
    page.locator(f"#item-{carnets.salt} input[name=title]").fill(LESS_SALT + ", en douceur")
    swap(page, page.locator(f"#item-{carnets.salt} form button[type=submit]").first)
    expect(goal.locator(":scope > h2")).to_have_text(LESS_SALT + ", en douceur")
    assert_accessible(page)

    goal.locator(":scope > details > summary").click()
    follow(page, goal.locator(":scope > details button[value=up]"))  # no htmx on its own page
    expect(page).to_have_url(re.compile(rf"{base}/plan#item-{carnets.salt}$"))
    heart = _item(page, carnets.heart)
    expect(heart.locator(":scope > ul > li").first).to_have_id(f"item-{carnets.salt}")
    context.close()


# -- 3: axe-core on every page, from each side, in the language its people read -----------

SHARED = ["/carnet/{jeanne}/", "/carnet/{jeanne}/team", "/carnet/{jeanne}/plan",
          "/carnet/{jeanne}/plan/{action}", "/carnet/{jeanne}/appointments",
          "/carnet/{jeanne}/appointments/{appointment}", "/carnet/{jeanne}/changes",
          "/carnet/{jeanne}/print"]
PAGES = {
    "jeanne": ["/", *SHARED, "/carnet/{jeanne}/notes", "/carnet/{jeanne}/calendar"],
    "claire": ["/carnets", *SHARED, "/carnet/{jeanne}/action-plan"],
    "lefevre": ["/day", "/day/week", "/patients", *SHARED, "/carnet/{jeanne}/notes",
                "/carnet/{jeanne}/plan/{goal}", "/carnet/{jeanne}/plan/{action}/edit",
                "/carnet/{jeanne}/plan/new?kind=problem",
                "/carnet/{jeanne}/plan/new?kind=action&parent={goal}",
                "/carnet/{jeanne}/appointments/new",
                "/carnet/{jeanne}/appointments/{appointment}/edit",
                "/carnet/{jeanne}/action-plan", "/carnet/{jeanne}/action-plan/heart_failure/red"],
}


@pytest.mark.parametrize(("who", "locale"), [("jeanne", "fr"), ("claire", "fr"),
                                             ("lefevre", "en")])
def test_every_page_of_the_carnet_passes_axe(browser, live_server, carnets, who, locale):
    context, page = _open(browser, live_server, who, locale)
    ids = vars(carnets)
    for path in PAGES[who]:
        _goto(page, path.format(**ids))
        expect(page.locator("html")).to_have_attribute("lang", locale)
        assert_accessible(page)
        if page.locator("details").count():  # the tools behind "Change", open
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            assert_accessible(page)
    if who == "jeanne":  # the calendar page, once the private link is shown
        _goto(page, f"/carnet/{carnets.jeanne}/calendar")
        follow(page, "main form button[value=new]")
        expect(page.locator("#feed-link")).to_have_value(re.compile(r"/calendar/.+\.ics$"))
        assert_accessible(page)
    context.close()


# -- 4: bad input, shown in the browser ---------------------------------------------------


def test_jeanne_gets_a_message_for_an_empty_note_and_a_script_is_shown_as_text(
    browser, live_server, app, carnets
):
    # The message as the French catalog has it today (English until it is translated).
    with app.test_request_context(), force_locale("fr"):
        empty = gettext("Please write your note.")
    context, page = _open(browser, live_server, "jeanne")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _goto(page, f"/carnet/{carnets.jeanne}/notes")

    sent = follow(page, "#new-note button[type=submit]")  # a plain form: the 400 is a page
    assert sent.request.method == "POST" and sent.status == 400
    body = page.locator("#new-note").get_by_role("textbox")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_accessible_description(empty)
    expect(page.locator("#new-note .field-error")).to_have_text(empty)
    assert_accessible(page)

    script = "<script>alert(1)</script>"
    body.fill(script)
    follow(page, "#new-note button[type=submit]")
    newest = page.locator("main .note__body").first
    expect(newest).to_have_text(script)
    assert "&lt;script&gt;" in newest.inner_html()
    for path in (f"/carnet/{carnets.jeanne}/print", f"/carnet/{carnets.jeanne}/notes"):
        _goto(page, path)
        expect(page.get_by_text(script).first).to_be_visible()
    assert dialogs == []
    context.close()
