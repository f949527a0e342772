"""Jeanne reports how she feels in a real Chromium, without JavaScript help; the nurse sees
it in her inbox and marks it as seen. The form, the "Sent" page, the reports and the inbox
pass axe, in French."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.models import SymptomReport
from tests.carnet_actions import carnet_id

from .conftest import (
    assert_accessible,
    follow,
    new_context,
    send_heart_report,
    sign_in_by_demo,
)


@pytest.mark.browser
def test_jeanne_reports_breathlessness_and_is_told_to_call_15_if_it_gets_worse(
    browser, live_server, demo, db
):
    jeanne_id = carnet_id(db, "jeanne")
    context = new_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    follow(page, f"a[href='/carnet/{jeanne_id}/symptoms/new']")
    assert_accessible(page)

    # Sent without the required answers: the browser asks first; the server says it too.
    page.locator("form.symptom-form").evaluate("form => form.noValidate = true")
    # offline-report.js sends it; refused, it submits the plain form to show the server's page.
    follow(page, "form.symptom-form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("form.symptom-form .field-error")).to_have_count(5)
    # Every answer in error is linked to its message: a field by its own aria-describedby
    # (and marked invalid), a choice among radio buttons by its fieldset's.
    unlinked = page.evaluate("""() => {
      const linked = new Set([...document.querySelectorAll("[aria-describedby]")]
        .flatMap(element => element.getAttribute("aria-describedby").split(" ")));
      const messages = [...document.querySelectorAll("form .field-error")];
      const fields = [...document.querySelectorAll("[aria-invalid=true]")].filter(field =>
        !field.getAttribute("aria-describedby").split(" ").some(id =>
          document.getElementById(id)?.matches(".field-error")));
      return [...messages.filter(message => !linked.has(message.id)).map(m => m.id),
              ...fields.map(field => field.name)];
    }""")
    assert unlinked == []
    assert_accessible(page)

    send_heart_report(page, "72,6", 8, "yes", "no", 5, "Essoufflée dans l'escalier")
    expect(page.locator("a[href='tel:15']")).to_be_visible()
    assert_accessible(page)

    db.expire_all()
    report = db.exec(select(SymptomReport).order_by(SymptomReport.id.desc())).first()
    assert report.answers["weight"] == 72.6 and report.urgent

    page.goto(f"/carnet/{jeanne_id}/symptoms")
    expect(page.locator(f"#report-{report.id} .badge--urgent")).to_be_visible()
    assert_accessible(page)

    # Her trends: a chart per number, with the alert line, and its table.
    follow(page, f"a[href='/carnet/{jeanne_id}/symptoms/trends']")
    breathlessness = page.locator("#trend-heart_failure-breathlessness")
    # Its alert lines: strong (7, the amber zone) and at rest (9, the red zone).
    expect(breathlessness.locator("svg.chart line.chart__threshold")).to_have_count(2)
    expect(breathlessness.locator("table caption")).to_be_visible()
    assert_accessible(page)
    follow(page, f"a[href='/carnet/{jeanne_id}/symptoms/trends?days=90']")
    assert_accessible(page)

    # Amina, the home nurse, sees it and says so with one tap; Jeanne reads by whom.
    nurse_context = new_context(browser, live_server.url, service_workers="block")
    nurse = nurse_context.new_page()
    sign_in_by_demo(nurse, "Amina Benali")
    nurse.goto(f"/carnet/{jeanne_id}/symptoms")
    assert_accessible(nurse)
    nurse.goto("/inbox")
    assert_accessible(nurse)
    # She replies with a note about it, from the inbox.
    follow(nurse, f"#report-{report.id} a[href*='reply_to={report.id}']")
    expect(nurse.locator("#reply-to")).to_be_visible()
    assert_accessible(nurse)
    nurse.locator("#body").fill("Je passe demain matin.")
    follow(nurse, "#new-note button[type=submit]")
    expect(nurse).to_have_url(re.compile(rf"/carnet/{jeanne_id}/notes$"))
    expect(nurse.locator(f".note a[href$='#report-{report.id}']").first).to_be_visible()
    assert_accessible(nurse)
    nurse.goto("/inbox")
    follow(nurse, f"#report-{report.id} form button")
    assert nurse.url.endswith("/inbox")
    expect(nurse.locator(f"#report-{report.id}")).to_have_count(0)
    assert_accessible(nurse)
    nurse_context.close()
    page.goto(f"/carnet/{jeanne_id}/symptoms")
    expect(page.locator(f"#report-{report.id} .report__seen")).to_contain_text("Amina Benali")
    context.close()
