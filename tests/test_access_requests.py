"""Professionals outside the care team: they ask (with the patient's link, or through the
coordinator), the patient accepts some parts until a date, or refuses."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app import policy
from app.models import (
    AccessLink,
    AccessRequest,
    ConsentEvent,
    Notification,
    NotificationKind,
    RequestStatus,
)
from app.types import utcnow

from .carnet_actions import carnet_id, stored
from .conftest import persona

DECISIONS = ("consent_event", "access_request", "access_link")


def _link(jeanne, jeanne_id: int) -> str:
    """Jeanne makes a link for a professional; the token it carries."""
    response = jeanne.post(f"/carnet/{jeanne_id}/consent/access-link")
    page = jeanne.get(response.headers["Location"]).get_data(as_text=True)
    assert '<svg role="img"' in page  # the QR code
    return re.search(r'value="http://localhost:5000/access/([^"]+)"', page).group(1)


def _lucas_asks(signed_in, jeanne_id: int, **data):
    token = _link(signed_in("jeanne"), jeanne_id)
    lucas = signed_in("lucas")
    assert "Ask Jeanne Martin to see their carnet" in lucas.get(
        f"/access/{token}").get_data(as_text=True)
    return lucas.post(f"/access/{token}", **data), token


def _request(db) -> AccessRequest:
    return db.exec(select(AccessRequest).where(
        AccessRequest.requester_account_id == persona(db, "lucas").id)).one()


def test_the_link_is_shown_once_and_stored_hashed(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    response = jeanne.post(f"/carnet/{jeanne_id}/consent/access-link")
    first = jeanne.get(response.headers["Location"]).get_data(as_text=True)
    token = re.search(r'/access/([^"]+)"', first).group(1)
    assert token not in db.exec(select(AccessLink)).one().token_hash
    again = jeanne.get(response.headers["Location"]).get_data(as_text=True)
    assert "/access/" not in again


def test_lucas_asks_and_jeanne_is_told(signed_in, db, jeanne_id):
    response, token = _lucas_asks(signed_in, jeanne_id, sections=["team", "appointments"],
                                  message="Pour le dossier d'aide à domicile.")
    assert response.status_code == 302 and response.headers["Location"] == "/access/sent"
    request = _request(db)
    assert request.status == RequestStatus.PENDING
    assert request.scopes == ["team", "appointments"] and request.asked_by_id is None
    told = db.exec(select(Notification).where(
        Notification.kind == NotificationKind.ACCESS_REQUESTED)).one()
    assert told.account_id == persona(db, "jeanne").id
    # Asking shows nothing: Lucas still sees no part of the carnet.
    assert signed_in("lucas").get(f"/carnet/{jeanne_id}/team").status_code == 404
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/consent").get_data(as_text=True)
    assert "Lucas Moreau asks to see your carnet" in page
    assert "Pour le dossier d&#39;aide à domicile." in page
    # The link worked once.
    assert signed_in("lucas").get(f"/access/{token}").status_code == 404


def test_jeanne_grants_lucas_team_and_appointments_until_a_date(
    signed_in, db, jeanne_id, monkeypatch
):
    _lucas_asks(signed_in, jeanne_id, sections=["team", "appointments", "notes"])
    day = (policy.utcnow() + timedelta(days=5)).date()
    jeanne = signed_in("jeanne")
    response = jeanne.post(f"/carnet/{jeanne_id}/consent/requests/{_request(db).id}",
                           decision="accept", sections=["team", "appointments"],
                           until=day.isoformat())
    assert response.status_code == 302
    assert _request(db).status == RequestStatus.ACCEPTED
    lucas = signed_in("lucas")
    for path, status in (("team", 200), ("appointments", 200), ("plan", 404), ("notes", 404),
                         ("consent", 404)):
        assert lucas.get(f"/carnet/{jeanne_id}/{path}").status_code == status, path
    assert "Jeanne Martin" in lucas.get("/patients").get_data(as_text=True)
    timeline = jeanne.get(f"/carnet/{jeanne_id}/consent/timeline").get_data(as_text=True)
    assert "You let Lucas Moreau see your care team, your appointments." in timeline

    monkeypatch.setattr(policy, "utcnow", _later(days=6))  # the policy's clock, 6 days on
    lucas = signed_in("lucas")
    for path in ("team", "appointments"):
        assert lucas.get(f"/carnet/{jeanne_id}/{path}").status_code == 404
    assert "Jeanne Martin" not in lucas.get("/patients").get_data(as_text=True)


def _later(days: int):
    return lambda: utcnow() + timedelta(days=days)


def test_jeanne_refuses_and_lucas_sees_nothing(signed_in, db, jeanne_id):
    _lucas_asks(signed_in, jeanne_id, sections=["plan"])
    jeanne = signed_in("jeanne")
    jeanne.post(f"/carnet/{jeanne_id}/consent/requests/{_request(db).id}", decision="refuse")
    assert _request(db).status == RequestStatus.REFUSED
    assert not db.exec(select(ConsentEvent).where(
        ConsentEvent.grantee_account_id == persona(db, "lucas").id)).all()
    assert db.exec(select(Notification).where(
        Notification.account_id == persona(db, "lucas").id)).one()
    assert signed_in("lucas").get(f"/carnet/{jeanne_id}/plan").status_code == 404


def test_nadia_the_coordinator_asks_for_lucas(signed_in, db, jeanne_id):
    nadia = signed_in("nadia")
    page = nadia.get(f"/carnet/{jeanne_id}/team").get_data(as_text=True)
    assert f"/carnet/{jeanne_id}/team/ask-access" in page
    lucas = persona(db, "lucas")
    response = nadia.post(f"/carnet/{jeanne_id}/team/ask-access", professional=lucas.id,
                          sections=["team", "appointments"])
    assert response.status_code == 302
    assert _request(db).asked_by_id == persona(db, "nadia").id
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/consent").get_data(as_text=True)
    assert "Nadia Haddad, of your care team, asked for them." in page


@pytest.mark.parametrize("name", ["amina", "lefevre", "claire", "lucas", "jeanne", "francoise"])
def test_only_the_coordinator_asks_on_behalf(signed_in, db, jeanne_id, name):
    someone = signed_in(name)
    before = stored(db, DECISIONS)
    assert someone.get(f"/carnet/{jeanne_id}/team/ask-access").status_code == 404
    assert someone.post(f"/carnet/{jeanne_id}/team/ask-access",
                        professional=persona(db, "lucas").id,
                        sections=["plan"]).status_code == 404
    assert stored(db, DECISIONS) == before


@pytest.mark.parametrize("name", ["lefevre", "claire", "karim", "francoise"])
def test_only_a_professional_outside_the_team_can_ask(signed_in, db, jeanne_id, name):
    token = _link(signed_in("jeanne"), jeanne_id)
    someone = signed_in(name)
    before = stored(db, DECISIONS)
    assert someone.get(f"/access/{token}").status_code == 404
    assert someone.post(f"/access/{token}", sections=["plan"]).status_code == 404
    assert stored(db, DECISIONS) == before


def test_a_visitor_is_asked_to_sign_in_first(client, signed_in, jeanne_id):
    token = _link(signed_in("jeanne"), jeanne_id)
    page = client.get(f"/access/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Sign in first" in page.get_data(as_text=True)
    assert "Jeanne" not in page.get_data(as_text=True)


@pytest.mark.db_engine
def test_an_expired_or_unknown_link_is_refused(signed_in, db, jeanne_id):
    token = _link(signed_in("jeanne"), jeanne_id)
    link = db.exec(select(AccessLink)).one()
    link.expires_at = policy.utcnow() - timedelta(minutes=1)
    db.add(link)
    db.commit()
    lucas = signed_in("lucas")
    for tried in (token, "not-a-token"):
        response = lucas.get(f"/access/{tried}")
        assert response.status_code == 404 and "Link not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Tick at least one part of the carnet."),
    ({"sections": ["secrets"]}, "Tick at least one part of the carnet."),
    ({"sections": ["plan"], "message": "x" * 501}, "At most 500 characters"),
])
def test_a_bad_request_is_explained_and_stores_nothing(signed_in, db, jeanne_id, data, message):
    token = _link(signed_in("jeanne"), jeanne_id)
    lucas = signed_in("lucas")
    before = stored(db, DECISIONS)
    response = lucas.post(f"/access/{token}", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored(db, DECISIONS) == before


@pytest.mark.parametrize(("data", "message"), [
    ({"decision": "accept"}, "Tick at least one part, or refuse the request."),
    ({"decision": "accept", "sections": ["team"], "until": "2020-01-01"},
     "This date is already past."),
    ({"decision": "accept", "sections": ["team"], "until": "soon"}, "Please give a date"),
])
def test_a_bad_answer_is_explained_and_grants_nothing(signed_in, db, jeanne_id, data, message):
    _lucas_asks(signed_in, jeanne_id, sections=["team"])
    jeanne = signed_in("jeanne")
    before = stored(db, DECISIONS)
    response = jeanne.post(f"/carnet/{jeanne_id}/consent/requests/{_request(db).id}", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored(db, DECISIONS) == before


def test_only_jeanne_answers_her_requests(signed_in, db, jeanne_id):
    _lucas_asks(signed_in, jeanne_id, sections=["team"])
    request_id = _request(db).id
    before = stored(db, DECISIONS)
    karim_carnet = carnet_id(db, "karim")
    for name, carnet in (("karim", karim_carnet), ("karim", jeanne_id), ("lucas", jeanne_id),
                         ("nadia", jeanne_id)):
        response = signed_in(name).post(f"/carnet/{carnet}/consent/requests/{request_id}",
                                        decision="accept", sections=["team"])
        assert response.status_code == 404
    assert stored(db, DECISIONS) == before


def test_the_demo_shows_jeanne_the_request_nadia_made_for_lucas(signed_in, jeanne_id):
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/consent").get_data(as_text=True)
    assert "Lucas Moreau asks to see your carnet" in page
    assert "Nadia Haddad, of your care team, asked for them." in page
