"""A hand-over by QR code, in each language: Jeanne makes the link on her phone; a doctor
with no account opens it on his, gives his name and the passcode (a wrong one first), and
his browser decrypts and shows the parts she chose; she sees him in "Who saw my carnet".
axe on every page on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from app.models import PlanItem, PlanItemKind

from ..carnet_actions import carnet_id
from .conftest import (
    assert_accessible,
    follow,
    import_an_empty_file,
    new_context,
    sign_in_by_demo,
)

PHONE = {"width": 360, "height": 800}


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["fr-FR", "en-GB", "ar"])
def test_a_doctor_reads_the_parts_jeanne_hands_over_by_qr_code(browser, localhost_server, demo,
                                                               db, locale):
    carnet = f"/carnet/{carnet_id(db, 'jeanne')}"
    action = db.exec(select(PlanItem.title).where(
        PlanItem.patient_id == carnet_id(db, "jeanne"), PlanItem.kind == PlanItemKind.ACTION,
        col(PlanItem.archived_at).is_(None))).first()

    jeanne = new_context(browser, localhost_server.url, locale=locale, viewport=PHONE).new_page()
    sign_in_by_demo(jeanne, "Jeanne Martin")
    jeanne.goto(f"{carnet}/consent")
    follow(jeanne, f"a[href='{carnet}/handover']")
    assert_accessible(jeanne)
    # Team, plan and appointments are ticked to begin with; a passcode and a name.
    jeanne.fill("#passcode", "7341")
    jeanne.fill("#label", "Urgences")
    follow(jeanne, "form.card button[type=submit]")
    assert_accessible(jeanne)
    url = jeanne.input_value("#health-link")
    assert "#shlink:/" in url

    doctor_context = new_context(browser, localhost_server.url, locale=locale, viewport=PHONE)
    doctor = doctor_context.new_page()
    doctor.goto(url)
    expect(doctor.locator("#shl-form")).to_be_visible()
    expect(doctor.locator("#shl-label")).to_have_text("Urgences")
    assert_accessible(doctor)
    doctor.fill("#shl-recipient", "Dr Anne Roux, urgences")
    doctor.fill("#shl-passcode", "0000")
    doctor.locator("#shl-form button").click()
    expect(doctor.locator("#shl-error")).to_contain_text("5")
    assert_accessible(doctor)
    doctor.fill("#shl-passcode", "7341")
    doctor.locator("#shl-form button").click()
    expect(doctor.locator("#shl-patient-title")).to_have_text("Jeanne Martin")
    expect(doctor.locator("#shl-plan")).to_contain_text(action)
    expect(doctor.locator("#shl-team")).to_be_visible()
    expect(doctor.locator("#shl-appointments")).to_be_visible()
    expect(doctor.locator("#shl-symptoms")).to_be_hidden()  # not handed over
    expect(doctor.locator("#shl-notes")).to_be_hidden()
    assert_accessible(doctor)
    doctor_context.close()

    jeanne.goto(f"{carnet}/who-saw")
    expect(jeanne.locator(".timeline").first).to_contain_text("Dr Anne Roux, urgences")
    jeanne.goto(f"{carnet}/handover")
    expect(jeanne.locator("#links-section li").first).to_contain_text("Urgences")
    assert_accessible(jeanne)
    jeanne.context.close()


@pytest.mark.browser
def test_the_viewer_says_when_a_link_is_not_one(browser, localhost_server, demo):
    page = new_context(browser, localhost_server.url).new_page()
    page.goto("/shl/view#shlink:/bm90IGEgbGluaw")
    expect(page.locator("#shl-status")).to_have_text(
        "Ce n’est pas un lien vers un carnet. Scannez le QR code à nouveau.")
    expect(page.locator("#shl-form")).to_be_hidden()
    assert_accessible(page)
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["fr-FR", "en-GB", "ar"])
def test_the_export_pages_in_each_language(browser, live_server, demo, db, locale):
    """Where data leaves Carnet as FHIR: a professional's "Download this carnet", and the
    import of a questionnaire (its form, and its refusal of a file that is not one)."""
    page = new_context(browser, live_server.url, locale=locale, viewport=PHONE).new_page()
    sign_in_by_demo(page, "Paul Lefèvre")
    carnet = f"/carnet/{carnet_id(db, 'jeanne')}"
    page.goto(f"{carnet}/")
    expect(page.locator(f"a[href='{carnet}/export.fhir.json']")).to_be_visible()
    assert_accessible(page)
    page.goto("/authoring/questionnaires/import")
    import_an_empty_file(page)
    page.context.close()


KEPT = """async (path) => {
  const names = (await caches.keys()).filter((name) => name.startsWith("carnet-pages-"));
  for (const name of names) {
    const keys = await (await caches.open(name)).keys();
    if (keys.some((request) => new URL(request.url).pathname === path)) return true;
  }
  return false;
}"""


@pytest.mark.browser
def test_the_qr_page_is_not_kept_for_offline_reading(browser, live_server, demo, db):
    """The service worker keeps visited pages for offline reading; a page showing a secret
    once (here a link's key) is not one of them."""
    page = new_context(browser, live_server.url).new_page()
    sign_in_by_demo(page, "Jeanne Martin")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    carnet = f"/carnet/{carnet_id(db, 'jeanne')}"
    page.goto(f"{carnet}/handover")
    page.wait_for_function(KEPT, arg=f"{carnet}/handover")  # an ordinary page is kept
    follow(page, "form.card button[type=submit]")
    qr_page = page.evaluate("location.pathname")
    assert "#shlink:/" in page.input_value("#health-link")
    page.goto(f"{carnet}/consent")
    page.wait_for_function(KEPT, arg=f"{carnet}/consent")  # kept after the QR page was
    assert page.evaluate(KEPT, qr_page) is False
    page.context.close()
