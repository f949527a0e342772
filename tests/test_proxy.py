"""Behind a TLS reverse proxy (CARNET_TRUSTED_PROXIES): the client's address and scheme are
the forwarded ones — rate limits count per person, HSTS and Secure cookies follow https —
and with the default 0, no X-Forwarded-* header is believed.

Two people sign in through the same nginx: Jeanne at home (203.0.113.10) and Claire at
work (198.51.100.20); without ProxyFix both would be the proxy's 127.0.0.1.
"""

from __future__ import annotations

import pytest

from app import create_app

from .conftest import DemoActions
from .passkey_actions import PasskeyActions

JEANNE = "203.0.113.10"
CLAIRE = "198.51.100.20"
HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture
def proxied(app, database_url):
    """The app behind one proxy (nginx), over the test database."""
    from app.security import limiter

    proxied = create_app({"DATABASE_URL": database_url, "CARNET_DEMO": True, "TESTING": True,
                          "SECRET_KEY": "test-secret", "CARNET_TRUSTED_PROXIES": 1})
    limiter.reset()
    yield proxied
    limiter.reset()
    limiter.init_app(app)  # the limiter is one object: give the suite's app its storage back


def _sign_in_attempts(app, forwarded_for: list[str]) -> list[int]:
    """The status of a sign-in attempt (the passkey options) from each address, in turn."""
    statuses = []
    for address in forwarded_for:
        browser = PasskeyActions(app, app.test_client())
        statuses.append(browser.client.post(
            "/sign-in/options", json={},
            headers={**browser.csrf(), "X-Forwarded-For": address}).status_code)
    return statuses


def test_behind_one_proxy_each_person_has_a_sign_in_budget_of_their_own(proxied, demo):
    assert _sign_in_attempts(proxied, [JEANNE] * 11) == [200] * 10 + [429]
    assert _sign_in_attempts(proxied, [CLAIRE]) == [200]


def test_a_client_cannot_escape_its_budget_by_sending_its_own_forwarded_for(proxied, demo):
    # nginx appends the address it saw to what the client sent: only the last one counts.
    forged = [f"192.0.2.{n}, {JEANNE}" for n in range(11)]
    assert _sign_in_attempts(proxied, forged) == [200] * 10 + [429]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app, demo):
    assert app.config["CARNET_TRUSTED_PROXIES"] == 0
    attempts = [JEANNE] * 5 + [CLAIRE] * 5 + [f"192.0.2.{n}" for n in range(3)]
    assert _sign_in_attempts(app, attempts) == [200] * 10 + [429] * 3


@pytest.mark.parametrize(("hops", "scheme", "hsts"), [
    (1, "https", True),
    (1, "http", False),
    (0, "https", False),
])
def test_hsts_follows_the_forwarded_scheme_behind_a_trusted_proxy(
        app, proxied, demo, hops, scheme, hsts):
    server = proxied if hops else app
    response = server.test_client().get("/sign-in", headers={"X-Forwarded-Proto": scheme})
    assert response.status_code == 200
    assert ("Strict-Transport-Security" in response.headers) is hsts


@pytest.mark.parametrize(("hops", "scheme", "secure"), [
    (1, "https", True),
    (1, "http", False),
    (0, "https", False),
])
def test_the_session_cookie_is_secure_when_the_forwarded_scheme_is_https(
        app, proxied, engine, demo, hops, scheme, secure):
    jeanne = DemoActions((proxied if hops else app).test_client(), engine)
    # A browser says where a form comes from (Flask-WTF insists on it over https).
    jeanne.client.environ_base.update(HTTP_X_FORWARDED_PROTO=scheme,
                                      HTTP_REFERER=f"{scheme}://localhost/demo/")
    response = jeanne.sign_in("jeanne")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("carnet_session=")
    assert ("; Secure" in cookie) is secure
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_proxied_app_serves_jeanne_over_forwarded_https(proxied, engine, demo):
    jeanne = DemoActions(proxied.test_client(), engine)
    jeanne.client.environ_base.update(HTTP_X_FORWARDED_PROTO="https",
                                      HTTP_X_FORWARDED_FOR=JEANNE,
                                      HTTP_REFERER="https://localhost/demo/")
    assert jeanne.sign_in("jeanne").status_code == 302
    home = jeanne.client.get("/", headers={"Accept-Language": "en"})
    assert home.status_code == 200
    assert "Strict-Transport-Security" in home.headers


@pytest.mark.parametrize(("value", "hops"), [(None, 0), ("0", 0), ("1", 1), ("2", 2),
                                             ("one", None), ("-1", None)])
def test_the_number_of_proxies_is_a_whole_number(monkeypatch, tmp_path, value, hops):
    from app.config import load_config

    if value is None:
        monkeypatch.delenv("CARNET_TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("CARNET_TRUSTED_PROXIES", value)
    if hops is None:
        with pytest.raises(ValueError, match="CARNET_TRUSTED_PROXIES"):
            load_config(str(tmp_path))
    else:
        assert load_config(str(tmp_path))["CARNET_TRUSTED_PROXIES"] == hops
