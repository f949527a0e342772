"""The patient's consent pages in a real browser: switches work, and axe finds nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.models import Patient
from tests.conftest import persona

from .conftest import assert_accessible, new_context, sign_in_by_demo


@pytest.mark.browser
@pytest.mark.parametrize("language", ["fr", "en"])
def test_jeanne_stops_showing_her_notebook_to_the_pharmacist(
    browser, live_server, demo, db, language
):
    jeanne = persona(db, "jeanne")
    carnet = db.exec(select(Patient.id).where(Patient.account_id == jeanne.id)).one()
    marc = persona(db, "marc")
    context = new_context(browser, live_server.url, locale=language, service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")

    page.goto(f"/carnet/{carnet}/consent")
    assert_accessible(page)
    switch = page.locator(f"#person-{marc.id} form:has(input[name=section][value=notes]) button")
    expect(switch).to_have_attribute("aria-pressed", "true")
    switch.click()
    page.wait_for_load_state("load")
    expect(page.locator(
        f"#person-{marc.id} form:has(input[name=section][value=notes]) button"
    )).to_have_attribute("aria-pressed", "false")
    assert_accessible(page)

    for path in (f"/carnet/{carnet}/consent/timeline", f"/carnet/{carnet}/who-saw"):
        assert page.goto(path).status == 200
        assert_accessible(page)
    page.goto(f"/carnet/{carnet}/consent/timeline")
    expect(page.locator("main")).to_contain_text("Marc Dubois")
    context.close()
