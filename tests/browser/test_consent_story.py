"""Issue 5's story in a real Chromium: Jeanne opposes the pharmacist on her symptoms, lets the
social worker see two parts until a date, and reads who saw her carnet and her decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app import policy
from app.models import AuditEvent
from app.types import utcnow
from tests.carnet_actions import carnet_id
from tests.conftest import persona

from .conftest import assert_accessible, follow, new_context, sign_in_by_demo


def _audit(db, account_id: int) -> list[tuple[str, bool]]:
    db.expire_all()
    return [(e.section, e.allowed) for e in db.exec(
        select(AuditEvent).where(AuditEvent.actor_account_id == account_id)
        .order_by(AuditEvent.id))]


def _person(browser, live_server, name: str):
    context = new_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    sign_in_by_demo(page, name)
    return context, page


@pytest.mark.browser
def test_jeanne_decides_who_sees_what_and_reads_who_saw_it(
    browser, live_server, demo, db, monkeypatch
):
    jeanne_id, marc, lucas, jeanne = (carnet_id(db, "jeanne"), persona(db, "marc"),
                                      persona(db, "lucas"), persona(db, "jeanne"))
    jeanne_context, as_jeanne = _person(browser, live_server, "Jeanne Martin")
    marc_context, as_marc = _person(browser, live_server, "Marc Dubois")

    # Marc, her pharmacist, sees her reports until she opposes it.
    assert as_marc.goto(f"/carnet/{jeanne_id}/symptoms").status == 200
    assert_accessible(as_marc)
    as_marc.goto("/patients")
    jeanne_row = as_marc.locator("li", has=as_marc.locator(f"a[href='/carnet/{jeanne_id}/']"))
    expect(jeanne_row.locator(".badge--reports")).not_to_have_count(0)

    as_jeanne.goto(f"/carnet/{jeanne_id}/consent")
    assert_accessible(as_jeanne)
    as_jeanne.locator(f"#person-{marc.id} summary").click()
    switch = as_jeanne.locator(
        f"#person-{marc.id} form:has(input[name=section][value=symptoms]) button")
    expect(switch).to_have_attribute("aria-pressed", "true")
    follow(as_jeanne, switch)
    expect(as_jeanne.locator(
        f"#person-{marc.id} form:has(input[name=section][value=symptoms]) button"
    )).to_have_attribute("aria-pressed", "false")

    assert as_marc.goto(f"/carnet/{jeanne_id}/symptoms").status == 404
    as_marc.goto("/patients")
    expect(jeanne_row.locator(".badge--reports")).to_have_count(0)
    expect(jeanne_row).to_be_visible()  # the rest is still shared
    assert as_marc.goto(f"/carnet/{jeanne_id}/plan").status == 200
    marc_context.close()

    # Lucas, a social worker outside her team, asks with the link she gives him.
    follow(as_jeanne, "form[action$='/consent/access-link'] button")
    assert_accessible(as_jeanne)
    link = as_jeanne.locator("#access-link").input_value()
    lucas_context, as_lucas = _person(browser, live_server, "Lucas Moreau")
    assert as_lucas.goto(f"/carnet/{jeanne_id}/team").status == 404
    as_lucas.goto(link.replace("http://localhost:5000", live_server.url))
    assert_accessible(as_lucas)
    for section in ("team", "appointments"):
        as_lucas.locator(f"input[name=sections][value={section}]").check()
    as_lucas.locator("#message").fill("Dossier APA")
    follow(as_lucas, "button[type=submit]")
    assert as_lucas.url.endswith("/access/sent")
    assert_accessible(as_lucas)

    # Jeanne accepts those two parts, until a date.
    until = (utcnow() + timedelta(days=5)).date()
    as_jeanne.goto(f"/carnet/{jeanne_id}/consent")
    request_card = as_jeanne.locator("section[id^=request-]")
    expect(request_card).to_contain_text("Lucas Moreau")
    assert_accessible(as_jeanne)
    for section in ("team", "appointments"):
        expect(request_card.locator(f"input[value={section}]")).to_be_checked()
    request_card.locator("input[type=date]").fill(until.isoformat())
    follow(as_jeanne, request_card.locator("button[value=accept]"))
    expect(as_jeanne.locator(f"#person-{lucas.id}")).to_be_visible()
    assert_accessible(as_jeanne)

    # He sees exactly those two, and each read he makes is audited once.
    before = len(_audit(db, lucas.id))
    as_lucas.goto("/patients")
    expect(as_lucas.locator(f"a[href='/carnet/{jeanne_id}/']")).to_have_count(1)
    # His list counts what is new in the appointments (the team has no such count): a read.
    assert _audit(db, lucas.id)[before:] == [("appointments", True)]
    before = len(_audit(db, lucas.id))
    visits = [("team", 200), ("appointments", 200), ("plan", 404), ("notes", 404),
              ("symptoms", 404)]
    for section, status in visits:
        assert as_lucas.goto(f"/carnet/{jeanne_id}/{section}").status == status, section
        if status == 200:
            assert_accessible(as_lucas)
    assert _audit(db, lucas.id)[before:] == [(s, status == 200) for s, status in visits]

    # After the date he sees nothing.
    monkeypatch.setattr(policy, "utcnow", lambda: utcnow() + timedelta(days=6))
    for section in ("team", "appointments"):
        assert as_lucas.goto(f"/carnet/{jeanne_id}/{section}").status == 404
    as_lucas.goto("/patients")
    expect(as_lucas.locator(f"a[href='/carnet/{jeanne_id}/']")).to_have_count(0)
    monkeypatch.undo()
    lucas_context.close()

    # Her own reads are not audited; she reads who saw her carnet, and her decisions.
    own_before = len(_audit(db, jeanne.id))
    as_jeanne.goto(f"/carnet/{jeanne_id}/who-saw")
    assert_accessible(as_jeanne)
    expect(as_jeanne.locator("main")).to_contain_text("Lucas Moreau")
    as_jeanne.goto(f"/carnet/{jeanne_id}/consent/timeline")
    assert_accessible(as_jeanne)
    decisions = as_jeanne.locator("ol.timeline > li")
    expect(decisions.nth(0)).to_contain_text("Lucas Moreau")
    expect(decisions.nth(0)).to_contain_text(str(until.year))
    expect(decisions.nth(1)).to_contain_text("Marc Dubois")
    expect(decisions.nth(2)).to_contain_text("Claire Martin")
    expect(decisions).to_have_count(3)
    assert len(_audit(db, jeanne.id)) == own_before == 0
    jeanne_context.close()

