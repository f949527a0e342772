"""The patient's consent pages in a real browser: switches work, and axe finds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.models import Account, ConsentEvent, Patient
from app.types import utcnow
from tests.conftest import persona

from .conftest import assert_accessible, follow, new_context, sign_in_by_demo


@pytest.mark.browser
def test_jeanne_stops_showing_her_notebook_to_the_pharmacist(browser, live_server, demo, db):
    jeanne = persona(db, "jeanne")
    carnet = db.exec(select(Patient.id).where(Patient.account_id == jeanne.id)).one()
    marc = persona(db, "marc")
    context = new_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")

    page.goto(f"/carnet/{carnet}/consent")
    assert_accessible(page)
    # One disclosure per person, closed: a name and what they see in one line.
    marc_details = page.locator(f"#person-{marc.id} details")
    expect(marc_details).not_to_have_attribute("open", "")
    marc_details.locator("summary").click()
    assert_accessible(page)
    switch = page.locator(f"#person-{marc.id} form:has(input[name=section][value=notes]) button")
    expect(switch).to_have_attribute("aria-pressed", "true")
    follow(page, switch)
    expect(marc_details).to_have_attribute("open", "")  # back where she was
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


@pytest.mark.browser
def test_jeanne_invites_her_son_to_write_notes_until_a_date(browser, live_server, demo, db):
    context = new_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    page.goto("/me/caregivers/invite")
    assert_accessible(page)
    page.locator("#first_name").fill("Paul")
    page.locator("#last_name").fill("Martin")
    page.locator("#email").fill("paul.martin@example.net")
    page.locator("input[name=sections][value=notes]").check()
    page.locator("#may_write_notes").check()
    page.locator("#until").fill((utcnow() + timedelta(days=30)).date().isoformat())
    follow(page, "form button[type=submit]")
    expect(page.locator("figure.qr svg")).to_be_visible()
    assert_accessible(page)
    paul = db.exec(select(Account).where(Account.email == "paul.martin@example.net")).one()
    grant = db.exec(select(ConsentEvent).where(ConsentEvent.grantee_account_id == paul.id)).one()
    assert sorted(grant.scopes) == ["appointments", "notes", "notes:write", "plan", "team"]
    assert grant.ends_at is not None
    context.close()


@pytest.mark.browser
def test_nadia_asks_jeanne_to_let_the_social_worker_in(browser, live_server, demo, db):
    carnet = db.exec(select(Patient.id).where(Patient.account_id == persona(db, "jeanne").id)).one()
    context = new_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, "Nadia Haddad")
    page.goto(f"/carnet/{carnet}/team")
    follow(page, f"a[href='/carnet/{carnet}/team/ask-access']")
    assert_accessible(page)
    follow(page, "form button[type=submit]")  # nothing chosen: each field says why
    expect(page.locator(".field-error")).to_have_count(3)
    assert_accessible(page)
    page.locator("#professional").select_option(str(persona(db, "lucas").id))
    page.locator("input[name=sections][value=appointments]").check()
    follow(page, "form button[type=submit]")
    assert page.url.endswith(f"/carnet/{carnet}/team")
    context.close()
