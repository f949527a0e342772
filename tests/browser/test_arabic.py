"""Jeanne's carnet in Arabic, on a 320 px phone: read from right to left, the navigation and
the form controls mirrored, nothing scrolling sideways, axe satisfied; and a report sent
from the Arabic questionnaire."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.models import Questionnaire, SymptomReport

from ..carnet_actions import carnet_id
from .conftest import assert_accessible, new_context, send_heart_report, sign_in_by_demo

BOX = "element => { const b = element.getBoundingClientRect(); return [b.left, b.right]; }"


@pytest.mark.browser
def test_jeannes_pages_in_arabic_read_from_right_to_left(browser, live_server, demo, db):
    context = new_context(browser, live_server.url, locale="ar",
                          viewport={"width": 320, "height": 640})
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    carnet = f"/carnet/{carnet_id(db, 'jeanne')}"
    sideways = {}
    for path in ["/", f"{carnet}/symptoms/new", f"{carnet}/plan", f"{carnet}/consent",
                 f"{carnet}/who-saw", "/me/"]:
        page.goto(path)
        assert page.evaluate("() => [document.documentElement.lang, document.dir]") == [
            "ar", "rtl"]
        over = page.evaluate("() => document.documentElement.scrollWidth"
                             " - document.documentElement.clientWidth")
        if over > 0:
            sideways[path] = over
        # Mirrored navigation: "Home" (the first item) is at the right, "Me" at the left.
        items = page.locator(".bottom-nav li")
        home, me = items.first.evaluate(BOX), items.last.evaluate(BOX)
        assert home[0] > me[1], (path, home, me)
        assert_accessible(page)
    assert sideways == {}

    # Mirrored form: a question's words start at the right edge of its box, and the scale
    # runs from 0 at the right to 10 at the left; the words are the Arabic questionnaire's.
    page.goto(f"{carnet}/symptoms/new")
    expect(page.get_by_text("وزني هذا الصباح")).to_be_visible()
    legend = page.locator("fieldset:has(input[name=answer-breathlessness]) legend")
    words = legend.evaluate("""legend => { const range = document.createRange();
        range.selectNodeContents(legend); const b = range.getBoundingClientRect();
        return [b.left, b.right]; }""")
    fieldset = legend.evaluate("legend => legend.closest('fieldset').getBoundingClientRect()"
                               ".right")
    assert fieldset - words[1] < 30, (words, fieldset)
    zero, one = (page.locator(f".scale__option:has(input[name=answer-breathlessness]"
                              f"[value='{value}'])").evaluate(BOX) for value in (0, 1))
    assert zero[0] > one[1], (zero, one)
    context.close()


@pytest.mark.browser
def test_jeanne_sends_a_report_in_arabic(browser, live_server, demo, db):
    context = new_context(browser, live_server.url, locale="ar", service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    page.goto(f"/carnet/{carnet_id(db, 'jeanne')}/symptoms/new")
    send_heart_report(page, "71.4", 3, "no", "no", 2, "نمت جيدا")
    assert page.evaluate("() => document.dir") == "rtl"
    assert_accessible(page)
    context.close()
    db.expire_all()
    report = db.exec(select(SymptomReport).order_by(SymptomReport.id.desc())).first()
    assert report.answers["weight"] == 71.4 and report.note == "نمت جيدا"
    assert db.get(Questionnaire, report.questionnaire_id).language == "ar"
