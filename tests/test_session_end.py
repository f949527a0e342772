"""A session ends on the server, so it ends everywhere: a cookie copied before sign-out is
refused after it, a session outlives neither its absolute lifetime nor a passkey removed on
another device, and what is shown once never travels in the cookie."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import AccountSession
from app.types import utcnow

from .conftest import CSRF_META, persona
from .passkey_actions import PasskeyActions


def _copy(app, client):
    """Another browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    cookie = client.get_cookie("carnet_session")
    thief.set_cookie("carnet_session", cookie.value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/me/").status_code == 200


def _post(client, path: str, **data):
    token = CSRF_META.search(client.get("/me/").get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token, **data})


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, demo_actions):
    demo_actions.sign_in("jeanne")
    thief = _copy(app, demo_actions.client)
    assert _signed_in(thief)

    assert _post(demo_actions.client, "/sign-out").status_code == 302

    assert not _signed_in(demo_actions.client)
    assert thief.get("/me/").headers["Location"].endswith("/sign-in")


@pytest.mark.parametrize(("name", "lifetime"), [("lefevre", timedelta(hours=12)),
                                                 ("jeanne", timedelta(days=90)),
                                                 ("claire", timedelta(days=90))])
def test_a_session_ends_at_its_absolute_lifetime_however_active(demo_actions, db, name,
                                                                lifetime):
    demo_actions.sign_in(name)
    row = db.exec(select(AccountSession).where(
        AccountSession.account_id == persona(db, name).id)).one()
    assert row.expires_at - row.created_at == lifetime
    assert _signed_in(demo_actions.client)

    row.expires_at = utcnow() - timedelta(seconds=1)  # that long later, active every day
    db.add(row)
    db.commit()

    assert not _signed_in(demo_actions.client)


def test_the_absolute_lifetimes_come_from_the_environment(monkeypatch, database_url):
    from app import create_app

    monkeypatch.setenv("CARNET_SESSION_PRO_HOURS", "8")
    monkeypatch.setenv("CARNET_SESSION_PERSONAL_DAYS", "30")
    app = create_app({"DATABASE_URL": database_url})
    assert app.config["CARNET_SESSION_PROFESSIONAL_SECONDS"] == 8 * 3600
    assert app.config["CARNET_SESSION_PERSONAL_SECONDS"] == 30 * 86400


def test_removing_a_passkey_signs_the_lost_phone_out(app, client, demo, db):
    jeanne = PasskeyActions(app, client)
    jeanne.account = persona(db, "jeanne")
    assert jeanne.register(jeanne.invite(jeanne.account)).status_code == 200
    lost_phone = _copy(app, jeanne.client)  # the phone she lost, still signed in
    tablet = PasskeyActions(app, app.test_client())
    assert tablet.register(tablet.invite(jeanne.account)).status_code == 200
    [first, _] = re.findall(r'/me/security/passkeys/(\d+)/delete',
                            tablet.client.get("/me/security").get_data(as_text=True))

    assert _post(tablet.client, f"/me/security/passkeys/{first}/delete").status_code == 302

    assert _signed_in(tablet.client)  # where she removed it
    assert not _signed_in(lost_phone) and not _signed_in(jeanne.client)


def _cookies_said(client, response) -> str:
    """Everything the cookie holds, decoded as anyone can (it is signed, not encrypted)."""
    said = " ".join(response.headers.getlist("Set-Cookie"))
    cookie = client.get_cookie("carnet_session")
    if cookie is not None:
        with client.session_transaction() as session:
            said += repr(dict(session))
    return said


def test_recovery_codes_are_shown_once_and_never_travel_in_the_cookie(app, client, demo, db):
    jeanne = PasskeyActions(app, client)
    jeanne.account = persona(db, "jeanne")
    assert jeanne.register(jeanne.invite(jeanne.account)).status_code == 200

    made = _post(client, "/me/security/recovery-codes")
    shown = client.get("/me/security")
    codes = re.findall(r"<code>([^<]+)</code>", shown.get_data(as_text=True))

    assert len(codes) == 10
    for response in (made, shown):
        assert not any(code in _cookies_said(client, response) for code in codes)
    assert not any(code in client.get("/me/security").get_data(as_text=True) for code in codes)


def test_the_private_calendar_link_is_shown_once_and_never_travels_in_the_cookie(
    demo_actions, jeanne_id
):
    demo_actions.sign_in("jeanne")
    client = demo_actions.client
    made = _post(client, f"/carnet/{jeanne_id}/calendar", action="new")
    shown = client.get(f"/carnet/{jeanne_id}/calendar")
    [token] = re.findall(r"/calendar/([^\"<]+)\.ics", shown.get_data(as_text=True))

    for response in (made, shown):
        assert token not in _cookies_said(client, response)
    assert token not in client.get(f"/carnet/{jeanne_id}/calendar").get_data(as_text=True)


def test_pages_tell_the_service_worker_whose_session_they_belong_to(demo_actions, db):
    anonymous = demo_actions.client.get("/sign-in")
    assert "X-Carnet-Session" not in anonymous.headers
    demo_actions.sign_in("jeanne")
    page = demo_actions.client.get("/me/")
    marker, ends = page.headers["X-Carnet-Session"], int(page.headers["X-Carnet-Session-Ends"])
    assert page.headers["X-Carnet-Account"] == str(persona(db, "jeanne").id)
    row = db.exec(select(AccountSession)).one()
    assert marker not in row.token_hash  # says which session, gives nothing of its token
    assert ends <= row.expires_at.timestamp()
    assert ends > utcnow().timestamp() + 29 * 86400  # her idle time: 30 days

    demo_actions.sign_in("jeanne")  # a new session: another marker
    assert demo_actions.client.get("/me/").headers["X-Carnet-Session"] != marker


def test_a_professional_is_warned_before_the_idle_end_and_may_stay(demo_actions):
    """WCAG 2.2.1: a professional's page knows when the session ends for want of activity
    (app.js warns two minutes before); "Stay signed in" posts /session/keep, which counts as
    activity. A patient's session lasts days: no warning."""
    client = demo_actions.client
    demo_actions.sign_in("jeanne")
    assert 'id="idle-warning"' not in client.get("/").get_data(as_text=True)

    demo_actions.sign_in("lefevre")
    page = client.get("/patients").get_data(as_text=True)
    ends_in, idle = (int(n) for n in re.search(
        r'id="idle-warning"[^>]*data-ends-in="(\d+)" data-idle="(\d+)"', page).groups())
    assert idle == 30 * 60 and idle - 5 <= ends_in <= idle
    with client.session_transaction() as cookie:
        # Seen 45 s ago: under a minute, a request does not move "seen" (nor the cookie).
        cookie["seen"] = int(time.time()) - 45
    page = client.get("/patients").get_data(as_text=True)
    assert idle - 50 <= int(re.search(r'data-ends-in="(\d+)"', page).group(1)) <= idle - 44

    token = demo_actions.csrf_token("/patients")
    assert client.post("/session/keep").status_code == 400  # no CSRF token
    assert client.post("/session/keep", headers={"X-CSRFToken": token}).status_code == 204
    with client.session_transaction() as cookie:
        assert int(time.time()) - cookie["seen"] <= 2
