"""The security baseline of every response: CSRF and strict headers."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# In memory by default; RATELIMIT_STORAGE_URI (e.g. redis://…) shares it between instances.
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# No inline script or style anywhere: everything comes from our own /static.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        # Pages hold health data: kept by no cache, not even the browser's own (its HTTP
        # and back-forward caches would outlive the session). The service worker keeps a
        # visited page for offline reading in its own cache, bound to the session
        # (static/sw.js, app/auth/session.py session_marker).
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(_headers)
