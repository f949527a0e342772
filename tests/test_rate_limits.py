"""Sign-in is rate-limited: the 11th attempt within a minute from one client gets a 429."""

from __future__ import annotations

import uuid

from .passkey_actions import PasskeyActions


def test_the_11th_sign_in_attempt_within_a_minute_gets_the_429_page(app, client, demo):
    browser = PasskeyActions(app, client)
    headers = browser.csrf()
    statuses = [
        client.post("/sign-in/verify", json={"credential": {}}, headers=headers).status_code
        for _ in range(10)
    ]
    assert statuses == [400] * 10
    page = client.post("/sign-in/recovery", data={"code": "abcde-fghij",
                                                  "csrf_token": headers["X-CSRFToken"]},
                       headers={"Accept-Language": "fr"})
    assert page.status_code == 429
    assert "Trop de tentatives" in page.get_data(as_text=True) or \
        "Too many attempts" in page.get_data(as_text=True)


def test_the_limit_answers_json_to_the_page_script(app, client, demo):
    browser = PasskeyActions(app, client)
    for _ in range(10):
        browser.post("/sign-in/options")
    response = browser.post("/sign-in/options")
    assert response.status_code == 429
    assert response.get_json()["error"]


def test_two_instances_share_the_budget_through_redis(monkeypatch, app, database_url, demo):
    """With RATELIMIT_STORAGE_URI, attempts on two instances add up (the CI machine's Redis)."""
    from app import create_app
    from app.security import limiter

    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15")
    # Keys of this run's own: another suite on the same Redis neither counts nor resets them.
    storage = {"key_prefix": f"carnet-test-{uuid.uuid4().hex}"}
    first, second = (create_app({"DATABASE_URL": database_url,
                                 "RATELIMIT_STORAGE_OPTIONS": storage}) for _ in range(2))
    try:
        limiter.reset()
        statuses = []
        for instance in [first] * 6 + [second] * 5:
            browser = PasskeyActions(instance, instance.test_client())
            statuses.append(browser.post("/sign-in/options").status_code)
        assert statuses == [200] * 10 + [429]
    finally:
        limiter.reset()
        limiter.init_app(app)  # the limiter is one object: give it back its in-memory storage
