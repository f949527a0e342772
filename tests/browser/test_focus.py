"""Keyboard focus on a phone: never hidden behind the fixed bottom navigation (WCAG 2.4.11).

Jeanne's longest pages, at 360 × 800, are walked with Tab from top to bottom: every element
that takes the focus must end up wholly above the navigation (``scroll-padding-bottom`` in
``static/css/carnet.css``).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..carnet_actions import carnet_id
from .conftest import assert_accessible, new_context, sign_in_by_demo

FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const box = element.getBoundingClientRect();
  return {bottom: box.bottom, top: box.top, inNav: !!element.closest(".bottom-nav"),
          what: element.outerHTML.slice(0, 100)};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("page_of", ["plan", "consent"])
def test_keyboard_focus_is_never_hidden_behind_the_bottom_navigation(browser, live_server, demo,
                                                                     db, page_of):
    # Reduced motion: the scroll to each stop is immediate, so it is measured where it ends.
    context = new_context(browser, live_server.url, viewport={"width": 360, "height": 800},
                          reduced_motion="reduce")
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    page.goto(f"/carnet/{carnet_id(db, 'jeanne')}/{page_of}")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    assert_accessible(page)
    navigation_top = page.locator(".bottom-nav").bounding_box()["y"]
    stops, hidden = 0, []
    for _ in range(300):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (stops and "skip-link" in focused["what"]):
            break  # back at the top: every stop was seen
        stops += 1
        if not focused["inNav"] and focused["bottom"] > navigation_top:
            hidden.append(focused["what"])
    context.close()
    assert stops > 20, stops  # the walk went down the page
    assert hidden == []


class KeyboardWalk:
    """Jeanne's keyboard at 360 × 800: every key she presses is followed by a look at where
    the focus went, which must be wholly on screen and not under the bottom navigation."""

    def __init__(self, page):
        self.page, self.stops, self.hidden = page, 0, []

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        # Measured once the browser has drawn the focus (two frames): just after a page
        # opens, the key may land before its styles do.
        self.page.evaluate("() => new Promise(drawn => requestAnimationFrame("
                           "() => requestAnimationFrame(drawn)))")
        focused = self.page.evaluate(FOCUSED)
        if focused is None:
            return
        self.stops += 1
        navigation = self.page.locator(".bottom-nav").bounding_box()
        floor = navigation["y"] if not focused["inNav"] else 800
        if focused["top"] < 0 or focused["bottom"] > floor:
            self.hidden.append((self.page.url, focused["what"], focused["top"],
                                focused["bottom"], floor))

    def follow(self, **navigation) -> None:
        """Enter on a link or a form's button, which opens another page."""
        with self.page.expect_navigation(**navigation):
            self.page.keyboard.press("Enter")

    def tab_to(self, selector: str) -> None:
        """Tab forward until ``selector`` has the focus."""
        for _ in range(200):
            self.press("Tab")
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector} on {self.page.url}")


@pytest.mark.browser
def test_jeanne_sends_a_report_and_marks_an_action_done_with_the_keyboard_alone(
        browser, live_server, demo, db):
    """WCAG 2.1.1 and 2.4.11: the whole journey by keyboard on a phone-sized screen."""
    from sqlmodel import select

    from app.models import PlanItem, SymptomReport

    context = new_context(browser, live_server.url, viewport={"width": 360, "height": 800},
                          reduced_motion="reduce")
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    carnet = f"/carnet/{carnet_id(db, 'jeanne')}"
    walk = KeyboardWalk(page)

    walk.tab_to(f"main a[href='{carnet}/symptoms/new']")
    walk.follow()
    assert_accessible(page)
    walk.tab_to("#answer-weight")
    page.keyboard.type("72,6")
    for name, keys in (("breathlessness", ["ArrowRight"] * 3), ("ankles", ["Space"]),
                       ("night_cough", ["ArrowRight"]), ("tiredness", ["ArrowRight"] * 2)):
        walk.tab_to(f"input[name=answer-{name}]")
        for key in keys:
            walk.press(key)
    walk.tab_to("#note")
    page.keyboard.type("Rien de neuf")
    walk.tab_to("form.symptom-form button[type=submit]")
    walk.follow(url=re.compile(r"/sent$"))
    db.expire_all()
    report = db.exec(select(SymptomReport).order_by(SymptomReport.id.desc())).first()
    assert report.answers == {"weight": 72.6, "breathlessness": 3, "ankles": True,
                              "night_cough": False, "tiredness": 2}

    walk.tab_to(f".bottom-nav a[href='{carnet}/plan']")
    walk.follow()
    walk.tab_to("select[name=status]")
    select_id = page.evaluate("() => document.activeElement.id")
    item_id = int(select_id.removeprefix("status-"))
    for _ in range(5):
        if page.evaluate("() => document.activeElement.value") == "done":
            break
        walk.press("ArrowDown")
    walk.tab_to(f"#item-{item_id} button[type=submit]")
    walk.press("Enter")
    expect(page.locator(f"#item-{item_id} .badge--done")).to_be_visible()
    assert_accessible(page)
    context.close()
    db.expire_all()
    assert db.get(PlanItem, item_id).status == "done"
    assert walk.stops > 30
    assert walk.hidden == []


@pytest.mark.browser
@pytest.mark.parametrize(("locale", "error"), [("en", "Error:"), ("fr", "Erreur\u00a0:")])
def test_a_form_sent_back_with_errors_takes_the_focus_and_says_so_in_the_title(
        browser, live_server, demo, locale, error):
    """Dr Lefèvre sends the new-patient form empty: the page that comes back says "Error" in
    its title and puts the focus on the line that says what to correct, whose fields are
    each linked to their message (WCAG 3.3.1, 4.1.3)."""
    context = new_context(browser, live_server.url, locale=locale)
    page = context.new_page()
    sign_in_by_demo(page, "Paul Lefèvre")
    page.goto("/patients/new")
    title = page.title()
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    assert page.title() == f"{error} {title}"
    focused = page.evaluate("() => document.activeElement.hasAttribute('data-error-summary')")
    assert focused
    invalid = page.locator("[aria-invalid=true]")
    assert invalid.count() >= 3  # first name, last name, e-mail
    for field in invalid.all():
        described = field.get_attribute("aria-describedby").split()
        assert any(page.locator(f"#{name}.field-error").count() == 1 for name in described)
    assert_accessible(page)
    context.close()


@pytest.mark.browser
def test_in_high_contrast_the_chosen_value_and_the_current_page_still_show(browser, live_server,
                                                                          demo, db):
    """With forced colours (a contrast theme) the system replaces every colour: the chosen
    value of a 0–10 scale and the current navigation item must still differ from the others."""
    context = new_context(browser, live_server.url, forced_colors="active")
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    page.goto(f"/carnet/{carnet_id(db, 'jeanne')}/symptoms/new")
    assert page.evaluate("() => matchMedia('(forced-colors: active)').matches")
    scale = page.locator(".scale").first
    scale.locator(".scale__option").nth(3).click()
    looks = scale.locator(".scale__option span").evaluate_all(
        "spans => spans.map(s => getComputedStyle(s).backgroundColor)")
    assert looks[3] != looks[2] and looks[3] != looks[4] and looks[2] == looks[4]
    assert_accessible(page)
    page.goto(f"/carnet/{carnet_id(db, 'jeanne')}/plan")
    items = page.locator(".bottom-nav a").evaluate_all(
        "links => links.map(a => [a.getAttribute('aria-current'),"
        " getComputedStyle(a).borderTopWidth, getComputedStyle(a).textDecorationLine])")
    current = [look[1:] for look in items if look[0] == "page"]
    others = {tuple(look[1:]) for look in items if look[0] != "page"}
    assert len(current) == 1 and tuple(current[0]) not in others
    assert_accessible(page)
    context.close()


BIG_TEXT = "html { font-size: 200% !important; }"  # the browser's text size at 200 %, not zoom

# The words of the navigation's labels that the line breaks cut in two ("Rendez-|vous" at its
# hyphen is a line break, not a cut): each part between spaces and hyphens must sit on one line.
CUT_WORDS = """() => [...document.querySelectorAll(".bottom-nav a span")].flatMap(span => {
  const text = span.firstChild, cut = [], part = /[^\\s-]+/g;
  for (let found; (found = part.exec(text.data));) {
    const range = document.createRange();
    range.setStart(text, found.index);
    range.setEnd(text, found.index + found[0].length);
    if (new Set([...range.getClientRects()].map(box => Math.round(box.top))).size > 1)
      cut.push(found[0]);
  }
  return cut;
})"""


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["fr-FR", "en-GB", "ar"])
def test_at_200_percent_text_on_a_320_px_phone_no_page_of_jeannes_scrolls_sideways(
        browser, live_server, demo, db, locale):
    """Large text (WCAG 1.4.4, 1.4.10): every page of the patient's journey reflows, in each
    language, and no word of the navigation is cut in two."""
    context = new_context(browser, live_server.url, viewport={"width": 320, "height": 640},
                          locale=locale, bypass_csp=True)  # the test's own style sheet below
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    carnet = f"/carnet/{carnet_id(db, 'jeanne')}"
    page.goto(f"{carnet}/understand")
    understand_page = page.locator("main a[href*='/understand/']").first.get_attribute("href")
    sideways, cut = {}, {}
    for path in ["/", f"{carnet}/plan", f"{carnet}/symptoms/new", f"{carnet}/appointments",
                 f"{carnet}/team", f"{carnet}/notes", f"{carnet}/consent", f"{carnet}/who-saw",
                 f"{carnet}/understand", understand_page, f"{carnet}/symptoms", "/me/",
                 f"{carnet}/handover"]:
        page.goto(path)
        page.add_style_tag(content=BIG_TEXT)
        assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "32px"
        over = page.evaluate("() => document.documentElement.scrollWidth"
                             " - document.documentElement.clientWidth")
        if over > 0:
            sideways[path] = over
        if words := page.evaluate(CUT_WORDS):
            cut[path] = words
        assert_accessible(page)
    context.close()
    assert sideways == {}
    assert cut == {}


@pytest.mark.browser
def test_dr_lefevre_is_warned_before_his_idle_session_ends_and_stays(browser, live_server, demo,
                                                                    app, monkeypatch):
    """WCAG 2.2.1: two minutes before the idle end the page says so, with the focus on "Stay
    signed in"; staying keeps the session and hides the warning (here the idle time is
    2 min 5 s, so the warning comes after 5 s)."""
    monkeypatch.setitem(app.config, "CARNET_IDLE_PROFESSIONAL_SECONDS", 125)
    context = new_context(browser, live_server.url, locale="en")
    page = context.new_page()
    sign_in_by_demo(page, "Paul Lefèvre")
    page.goto("/patients")
    warning = page.locator("#idle-warning")
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    assert_accessible(page)
    with page.expect_response("**/session/keep") as kept:
        page.keyboard.press("Enter")
    assert kept.value.status == 204
    expect(warning).to_be_hidden()
    assert page.goto("/patients").url.endswith("/patients")  # still signed in
    context.close()


STANDING_ALONE = """() => [...document.querySelectorAll("main a")].filter(link => {
  const around = link.parentElement;
  return around && around.textContent.trim() === link.textContent.trim()
    && !link.closest(".timeline") && link.getBoundingClientRect().height > 0;
}).map(link => [link.textContent.trim(), link.getBoundingClientRect().height])"""


@pytest.mark.browser
def test_a_link_that_stands_alone_is_a_44_px_target(browser, live_server, demo, db):
    """WCAG 2.5.5: a link alone in its paragraph, item or heading ("Comprendre ma maladie",
    an appointment's title) is 44 px tall on Jeanne's phone; a link in a sentence is not."""
    context = new_context(browser, live_server.url, viewport={"width": 360, "height": 800})
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    carnet = f"/carnet/{carnet_id(db, 'jeanne')}"
    small, seen = [], 0
    for path in ["/", f"{carnet}/plan", f"{carnet}/symptoms/new", f"{carnet}/appointments",
                 f"{carnet}/notes", f"{carnet}/understand"]:
        page.goto(path)
        links = page.evaluate(STANDING_ALONE)
        seen += len(links)
        small += [(path, words, height) for words, height in links if height < 44]
        assert_accessible(page)
    context.close()
    assert seen > 10 and small == []
