"""Jeanne reports in a village without network: the service worker opens the report page it
kept, the report waits on her phone, and it reaches the care team exactly once when the
network returns — even sent twice more."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.models import SymptomReport
from tests.carnet_actions import carnet_id

from .conftest import (
    LiveServer,
    _free_port,
    assert_accessible,
    new_context,
    sign_in_by_demo,
    worker_registration,
)

QUEUE = "window.CarnetReportQueue"
# True once the queue on the phone is empty. wait_for_function awaits a promise once rather
# than polling it, so the promise itself asks the queue again at each frame.
EMPTIED = f"""async () => {{
  while ((await {QUEUE}.all()).length) await new Promise(requestAnimationFrame);
  return true;
}}"""


def _stored(db, client_id: str) -> list[SymptomReport]:
    db.expire_all()
    return list(db.exec(select(SymptomReport).where(SymptomReport.client_id == client_id)))


def _fill(page, language: str) -> None:
    page.locator("#answer-weight").fill("72,4" if language == "fr" else "72.4")
    page.locator(".scale__option:has(input[name=answer-breathlessness][value='4'])").click()
    page.locator("input[name=answer-ankles][value=no]").check()
    page.locator("input[name=answer-night_cough][value=yes]").check()
    page.locator(".scale__option:has(input[name=answer-tiredness][value='6'])").click()
    page.locator("#note").fill("Pas de réseau au village")


@pytest.mark.browser
def test_jeanne_reports_without_network_and_it_is_sent_once_when_it_returns(
    browser, app, demo, db
):
    jeanne_id = carnet_id(db, "jeanne")
    form_path = f"/carnet/{jeanne_id}/symptoms/new"
    # A server of its own, on a port that stays the same: the service worker, the cookies
    # and IndexedDB belong to the origin, which must be the same when the network returns.
    port = _free_port()
    server = LiveServer(app, port=port)
    context = new_context(browser, server.url)
    try:
        page = context.new_page()
        sign_in_by_demo(page, "Jeanne Martin")
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        page.goto(form_path)  # a visit through the service worker keeps the page
        expect(page.locator("[data-report-status] [data-state]:visible")).to_have_count(0)
        assert_accessible(page)

        # The network is cut: the server is gone, and the phone knows it is offline.
        server.stop()
        context.set_offline(True)
        page.reload()
        expect(page.locator("form.symptom-form")).to_be_visible()
        kept = page.evaluate("caches.keys().then(names => Promise.all(names.map(name => "
                             "caches.open(name).then(c => c.match(location.href, "
                             "{ignoreVary: true})))).then(found => found.find(r => r))"
                             ".then(r => r.text()))")
        server_made = re.search(r'name="client_id" value="([^"]+)"', kept).group(1)
        phone_made = page.locator("input[name=client_id]").input_value()
        assert phone_made != server_made  # the kept page gets a new UUID, made on the phone

        _fill(page, "fr")
        page.locator("form.symptom-form button[type=submit]").click()  # kept: no page opens
        expect(page.locator("[data-state=waiting]")).to_be_visible()
        assert_accessible(page)
        queued = page.evaluate(f"{QUEUE}.all()")
        assert [record["client_id"] for record in queued] == [phone_made]
        assert ["csrf_token" not in dict(record["fields"]) for record in queued] == [True]
        assert _stored(db, phone_made) == []
        # The form is ready for another report, with another UUID.
        assert page.locator("input[name=client_id]").input_value() != phone_made

        # The network returns.
        server = LiveServer(app, port=port)
        context.set_offline(False)
        expect(page.locator("[data-state=sent]")).to_be_visible()
        expect(page.locator("[data-state=waiting]")).to_be_hidden()
        assert_accessible(page)
        # Said once, then forgotten: nothing of the report stays on the phone.
        page.wait_for_function(EMPTIED)
        reports = _stored(db, phone_made)
        assert len(reports) == 1
        report = reports[0]
        assert report.answers["weight"] == 72.4 and report.note == "Pas de réseau au village"
        # Dated when Jeanne made it on the phone, before the network came back.
        made = dict(queued[0]["fields"])["made_at"]
        assert report.reported_at.isoformat().startswith(made[:19]) and (
            report.reported_at < report.created_at)

        # Kept by Jeanne, it is not sent under someone else's session (a shared phone).
        other = page.evaluate(f"record => {QUEUE}.send(Object.assign({{}}, record, "
                              "{account: '0'}))", queued[0])
        assert other["state"] == "waiting"

        # The same queued report sent twice more, at once: still one report.
        results = page.evaluate(
            f"record => Promise.all([{QUEUE}.send(record), {QUEUE}.send(record)])", queued[0])
        assert [r["state"] for r in results] == ["sent", "sent"]
        assert {r["url"].split(server.url)[1] for r in results} == {
            f"/carnet/{jeanne_id}/symptoms/{report.id}/sent"}
        assert [r.id for r in _stored(db, phone_made)] == [report.id]

        # Dr Lefèvre sees it in his inbox.
        doctor_context = new_context(browser, server.url, service_workers="block")
        doctor = doctor_context.new_page()
        sign_in_by_demo(doctor, "Paul Lefèvre")
        doctor.goto("/inbox")
        expect(doctor.locator(f"#report-{report.id}")).to_contain_text("Jeanne Martin")
        assert_accessible(doctor)
        doctor_context.close()
    finally:
        context.close()
        server.stop()


def _report_while_the_server_is_down(page, server: LiveServer, jeanne_id: int) -> str:
    """Jeanne opens the report page, the server goes away, she reports: the UUID kept."""
    sign_in_by_demo(page, "Jeanne Martin")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto(f"/carnet/{jeanne_id}/symptoms/new")
    server.stop()
    page.reload()
    _fill(page, "en")
    page.locator("form.symptom-form button[type=submit]").click()  # kept: no page opens
    expect(page.locator("[data-state=waiting]")).to_be_visible()
    return page.evaluate(f"{QUEUE}.all()")[0]["client_id"]


@pytest.mark.browser
def test_the_report_kept_offline_is_sent_on_the_next_page_load(browser, app, demo, db):
    """Without an `online` event (the phone thought it had network, the server did not
    answer), the next page Jeanne opens sends what waits."""
    jeanne_id = carnet_id(db, "jeanne")
    port = _free_port()
    server = LiveServer(app, port=port)
    context = new_context(browser, server.url, locale="en")
    try:
        page = context.new_page()
        client_id = _report_while_the_server_is_down(page, server, jeanne_id)

        server = LiveServer(app, port=port)
        page.goto(f"/carnet/{jeanne_id}/symptoms/new")
        expect(page.locator("[data-state=sent]")).to_be_visible()
        assert len(_stored(db, client_id)) == 1
    finally:
        context.close()
        server.stop()


@pytest.mark.browser
def test_the_service_worker_sends_it_by_background_sync(browser, app, demo, db):
    """No `online` event and no page load: the browser's sync event (dispatched here through
    the DevTools protocol, as Chromium does when the network returns) sends the report, and
    the open page says so."""
    jeanne_id = carnet_id(db, "jeanne")
    port = _free_port()
    server = LiveServer(app, port=port)
    context = new_context(browser, server.url, locale="en")
    try:
        page = context.new_page()
        client_id = _report_while_the_server_is_down(page, server, jeanne_id)

        devtools, registration_id = worker_registration(page, server.url + "/")
        server = LiveServer(app, port=port)
        devtools.send("ServiceWorker.dispatchSyncEvent", {
            "origin": server.url, "registrationId": registration_id,
            "tag": "carnet-reports", "lastChance": False})
        expect(page.locator("[data-state=sent]")).to_be_visible()
        assert len(_stored(db, client_id)) == 1
    finally:
        context.close()
        server.stop()
