"""Sessions: rotated at sign-in, ended after a while idle (by role), secure over https."""

from __future__ import annotations

import time

import pytest

from app import create_app


def _idle(client, seconds: int) -> None:
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - seconds


@pytest.mark.parametrize(
    ("name", "idle", "still_signed_in"),
    [
        ("lefevre", 29 * 60, True),
        ("lefevre", 31 * 60, False),  # a professional's shared desktop: 30 minutes
        ("jeanne", 29 * 86400, True),
        ("jeanne", 31 * 86400, False),  # the patient's own phone: 30 days
        ("claire", 31 * 86400, False),
    ],
)
def test_a_session_ends_after_its_idle_time(demo_actions, name, idle, still_signed_in):
    demo_actions.sign_in(name)
    _idle(demo_actions.client, idle)
    response = demo_actions.client.get("/me/")
    assert (response.status_code == 200) is still_signed_in


def test_idle_times_come_from_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("CARNET_IDLE_PRO_MINUTES", "5")
    monkeypatch.setenv("CARNET_IDLE_PERSONAL_DAYS", "2")
    app = create_app({"DATABASE_URL": database_url})
    assert app.config["CARNET_IDLE_PROFESSIONAL_SECONDS"] == 300
    assert app.config["CARNET_IDLE_PERSONAL_SECONDS"] == 2 * 86400


def test_cookies_are_secure_when_served_over_https(monkeypatch, database_url):
    monkeypatch.setenv("CARNET_ORIGIN", "https://carnet.example.org")
    app = create_app({"DATABASE_URL": database_url})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/sign-in", base_url="https://carnet.example.org")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_patients_session_outlives_the_browser_and_a_professionals_does_not(demo_actions):
    demo_actions.sign_in("jeanne")
    assert _cookie_expires(demo_actions)
    demo_actions.sign_in("lefevre")
    assert not _cookie_expires(demo_actions)


def _cookie_expires(demo_actions) -> bool:
    cookie = demo_actions.client.get_cookie("carnet_session")
    return cookie is not None and cookie.expires is not None
