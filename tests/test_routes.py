"""A walk over every route of the app: CSRF on each state change, no state change on GET,
and the security headers on every response."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlmodel import select

from app.models import Appointment, Patient, PlanItem, metadata

from .conftest import persona

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Reads of a carnet are audited, and what a reader has seen is remembered ("new" marks):
# those are the two tables a GET may write, by design.
WRITTEN_BY_READS = {"audit_event", "carnet_visit"}
# Asked by any SMART Health Links reader, from any origin, with no cookie that counts: the
# link's token (and passcode) is the credential, so there is no session to forge a request
# for (tests/test_health_links.py shows what it answers). The same for a push renewal.
CSRF_EXEMPT = {("POST", "/shl/sample-token"),
               # A service worker's pushsubscriptionchange: no page, no token; the old
               # subscription's auth secret is the proof (tests/test_push_subscriptions.py).
               ("POST", "/push/subscriptions/renew")}


def _sample_values(db) -> dict[str, object]:
    jeanne = db.exec(select(Patient).where(Patient.account_id == persona(db, "jeanne").id)).one()
    item = db.exec(select(PlanItem).where(PlanItem.patient_id == jeanne.id)).first()
    appointment = db.exec(select(Appointment).where(Appointment.patient_id == jeanne.id)).first()
    return {"patient_id": jeanne.id, "passkey_id": 1, "invitation_id": 1, "item_id": item.id,
            "appointment_id": appointment.id, "question_id": 1, "token": "sample-token",
            "link_id": 1, "health_link_id": 1, "request_id": 1,
            "report_id": 1, "filename": "css/carnet.css", "subscription_id": 1,
            "slug": "se-peser-chaque-matin", "page_id": 1, "kind": "pages", "content_id": 1,
            "questionnaire_id": 1, "key": "weight", "rule_key": "weight_gain",
            "condition": "heart_failure", "zone": "amber"}


def _urls(app, db, methods: set[str]) -> list[tuple[str, str]]:
    values = _sample_values(db)
    urls = []
    for rule in app.url_map.iter_rules():
        wanted = (rule.methods or set()) & methods
        if not wanted:
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give a sample value for {missing} in this test"
        path = rule.build({name: values[name] for name in rule.arguments})[1]
        urls.extend((method, path) for method in sorted(wanted))
    return urls


def _snapshot(engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name in WRITTEN_BY_READS:
                continue
            rows = connection.execute(sa.select(table).order_by(*table.primary_key)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


@pytest.mark.parametrize("who", [None, "jeanne", "lefevre", "claire"])
def test_every_state_changing_route_refuses_a_request_without_csrf_token(
    app, db, demo_actions, who
):
    if who:
        demo_actions.sign_in(who)
    refused = _csrf_messages(app)
    before = _snapshot(db.get_bind())
    urls = _urls(app, db, STATE_CHANGING)
    assert set(urls) >= CSRF_EXEMPT
    for method, path in (url for url in urls if url not in CSRF_EXEMPT):
        response = demo_actions.client.open(path, method=method, data={"name": "x"})
        # Refused for the missing token itself, not for anything else (a 404 would not tell).
        assert response.status_code == 400, (method, path, response.status_code)
        assert any(message in response.get_data(as_text=True) for message in refused), (
            method, path)
    assert _snapshot(db.get_bind()) == before


def _csrf_messages(app) -> set[str]:
    """The CSRF refusal's message in each language of the app, as its pages write it."""
    messages = set()
    for language in app.config["LANGUAGES"]:
        with app.test_request_context(), force_locale(language):
            messages.add(str(escape(gettext(
                "The form had expired. Please reload the page and try again."))))
    assert len(messages) == len(app.config["LANGUAGES"])  # each catalogue translates it
    return messages


@pytest.mark.parametrize("who", [None, "jeanne", "lefevre", "claire", "francoise"])
def test_no_get_route_changes_state_and_every_response_has_the_headers(
    app, db, demo_actions, who
):
    if who:
        demo_actions.sign_in(who)
    before = _snapshot(db.get_bind())
    for _, path in _urls(app, db, {"GET"}):
        response = demo_actions.client.get(path)
        assert response.status_code < 500, path
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp, path
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
    assert _snapshot(db.get_bind()) == before
