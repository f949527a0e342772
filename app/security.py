"""The security baseline of every response: CSRF and strict headers."""

from __future__ import annotations

from flask import Flask, Response, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
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
    if request.is_secure:  # https, or forwarded as https by a trusted proxy (ProxyFix)
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        # Pages hold health data: kept by no cache, not even the browser's own (its HTTP
        # and back-forward caches would outlive the session). The service worker keeps a
        # visited page for offline reading in its own cache, bound to the session
        # (static/sw.js, app/auth/session.py session_marker).
        headers.setdefault("Cache-Control", "no-store")
    return response


class SessionCookie(SecureCookieSessionInterface):
    """The session cookie is ``Secure`` when CARNET_ORIGIN is https (SESSION_COOKIE_SECURE),
    and on any request that came over https — behind a TLS proxy too, when ProxyFix was told
    to trust it (CARNET_TRUSTED_PROXIES) — so that the browser never sends it back over http.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookie()
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(_headers)
