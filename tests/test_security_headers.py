"""Every response carries the security headers; the CSP allows no inline script or style."""

from __future__ import annotations

import pytest

PATHS = ["/sign-in", "/demo/", "/offline", "/manifest.webmanifest", "/sw.js", "/healthz",
         "/no/such/page"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_headers(client, demo, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'"):
        assert directive in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("page", ["/", "/plan", "/appointments", "/team", "/notes"])
def test_pages_with_health_data_are_kept_by_no_cache(signed_in, jeanne_id, page):
    """Not even the browser's own HTTP and back-forward caches: they would outlive the
    session. The service worker keeps them for offline reading, bound to the session."""
    response = signed_in("jeanne").get(f"/carnet/{jeanne_id}{page}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_are_not_no_store(client):
    response = client.get("/static/css/carnet.css")
    assert "no-store" not in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_session_cookie_is_http_only_and_lax(demo_actions):
    response = demo_actions.sign_in("jeanne")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_template_has_inline_script_or_style():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert "<style" not in text and " style=" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template
