"""What a report kept offline needs from the server: a fresh CSRF token just before it is
sent (the page the phone kept may hold one of an ended session), and the same answer
however many times it is sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.models import SymptomReport
from app.symptoms.reports import made_at
from app.types import utcnow

from .carnet_actions import Browser
from .conftest import CSRF_META, persona
from .symptom_actions import report_form

# Report replays and dates kept offline.
pytestmark = pytest.mark.db_engine


def test_a_signed_in_phone_gets_a_fresh_token_that_no_cache_keeps(signed_in, db):
    response = signed_in("jeanne").get("/symptoms/csrf-token")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["csrf_token"] and body["account"] == persona(db, "jeanne").id


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/symptoms/csrf-token")
    assert response.status_code == 302 and "/sign-in" in response.location


def test_a_kept_page_of_an_ended_session_sends_with_a_fresh_token(app, engine, db, jeanne_id):
    """Jeanne kept the report page, then signed out and in again before the network
    returned: the token in the kept page is refused, the fresh one is taken, once."""
    form_path = f"/carnet/{jeanne_id}/symptoms/new"
    before = Browser(app, engine, "jeanne")
    kept_token = CSRF_META.search(before.get(form_path).get_data(as_text=True)).group(1)
    jeanne = Browser(app, engine, "jeanne")  # a new session
    client = jeanne.actions.client
    form = report_form(db)

    stale = client.post(form_path, data={**form, "csrf_token": kept_token})
    assert stale.status_code == 400
    assert db.exec(select(SymptomReport).where(
        SymptomReport.client_id == form["client_id"])).first() is None

    fresh = client.get("/symptoms/csrf-token").get_json()["csrf_token"]
    answers = [client.post(form_path, data={**form, "csrf_token": fresh},
                           headers={"X-CSRFToken": fresh}) for _ in range(3)]
    assert {(a.status_code, a.location) for a in answers} == {
        (303, answers[0].location)} and answers[0].location.endswith("/sent")
    db.expire_all()
    assert len(db.exec(select(SymptomReport).where(
        SymptomReport.client_id == form["client_id"])).all()) == 1


NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(("sent", "dated"), [
    ("2026-11-23T07:00:00.000Z", datetime(2026, 11, 23, 7, 0, tzinfo=UTC)),  # this morning
    ("2026-11-23T18:04:00+00:00", NOW),  # a phone a little ahead: not after its arrival
    ("2026-11-23T18:06:00+00:00", NOW),  # too far ahead: the phone's clock is wrong
    ("2026-10-24T18:00:00+00:00", datetime(2026, 10, 24, 18, 0, tzinfo=UTC)),  # 30 days
    ("2026-10-24T17:59:59+00:00", NOW),  # older than that: not believed
    ("2026-11-23T07:00:00", NOW),  # no time zone
    ("this morning", NOW),
    ("", NOW),  # sent at once, online
])
def test_a_report_is_dated_when_the_phone_made_it_within_bounds(sent, dated):
    assert made_at(sent, NOW) == dated


def test_a_weight_kept_offline_since_the_morning_is_a_morning_weight(signed_in, db, jeanne_id):
    morning = (utcnow() - timedelta(hours=10)).replace(microsecond=0)
    form = {**report_form(db), "made_at": morning.isoformat()}
    response = signed_in("jeanne").post(f"/carnet/{jeanne_id}/symptoms/new", **form)
    assert response.status_code == 303
    report = db.exec(select(SymptomReport).where(
        SymptomReport.client_id == form["client_id"])).one()
    assert report.reported_at == morning and report.created_at > morning
