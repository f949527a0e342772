"""Configuration from the environment, with secrets kept in the instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit


def _instance_secret(instance_path: str, name: str) -> str:
    """Read a secret from the instance folder, creating it on first run (never committed)."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def _hops(name: str) -> int:
    """A count of proxies in front of the app: a whole number, 0 or more."""
    value = os.environ.get(name, "0").strip() or "0"
    if not (value.isascii() and value.isdecimal()):
        raise ValueError(f"{name} must be a number of proxies (0, 1, 2…), not {value!r}")
    return int(value)


def sqlalchemy_url(url: str) -> str:
    """``DATABASE_URL`` as SQLAlchemy wants it: PostgreSQL goes through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def load_config(instance_path: str) -> dict:
    """Build the configuration mapping from environment variables."""
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'carnet.sqlite'}"
    # Passkeys belong to a host name, never an IP address: in development the app is
    # reached at http://127.0.0.1:5000 too, and the passkey pages move over to localhost.
    origin = env.get("CARNET_ORIGIN", "http://localhost:5000").rstrip("/")
    extra = env.get("CARNET_EXTRA_ORIGINS", "http://127.0.0.1:5000")
    personal_idle = int(env.get("CARNET_IDLE_PERSONAL_DAYS", "30")) * 86400
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance_path, "secret_key"),
        "DATABASE_URL": database_url,
        "CARNET_DEMO": _flag("CARNET_DEMO"),
        "CARNET_ORIGIN": origin,
        "CARNET_ORIGINS": [origin] + [o.strip().rstrip("/") for o in extra.split(",") if o.strip()],
        "CARNET_RP_ID": env.get("CARNET_RP_ID", urlsplit(origin).hostname or "localhost"),
        "CARNET_INVITATION_DAYS": int(env.get("CARNET_INVITATION_DAYS", "7")),
        "CARNET_IDLE_PROFESSIONAL_SECONDS": int(env.get("CARNET_IDLE_PRO_MINUTES", "30")) * 60,
        "CARNET_IDLE_PERSONAL_SECONDS": personal_idle,
        "PERMANENT_SESSION_LIFETIME": personal_idle,
        # However active, a session ends after this: a working day for professionals (often
        # on shared computers), a season for patients and caregivers on their own phone.
        "CARNET_SESSION_PROFESSIONAL_SECONDS": int(env.get("CARNET_SESSION_PRO_HOURS", "12"))
        * 3600,
        "CARNET_SESSION_PERSONAL_SECONDS": int(env.get("CARNET_SESSION_PERSONAL_DAYS", "90"))
        * 86400,
        "CARNET_SIGN_IN_LIMIT": env.get("CARNET_SIGN_IN_LIMIT", "10 per minute"),
        "CARNET_INVITATION_LIMIT": env.get("CARNET_INVITATION_LIMIT", "30 per minute"),
        # Requests for a hand-over link's content (SMART Health Links manifest) from one
        # client: a passcode is guessed at most 5 times anyway, this bounds the rest.
        "CARNET_HEALTH_LINK_LIMIT": env.get("CARNET_HEALTH_LINK_LIMIT", "30 per minute"),
        # Renewals of a push subscription (a service worker's pushsubscriptionchange) from
        # one client: a browser renews a handful at most; this bounds guessing of secrets.
        "CARNET_PUSH_RENEW_LIMIT": env.get("CARNET_PUSH_RENEW_LIMIT", "30 per minute"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        # How many reverse proxies stand in front of the app (nginx: 1). Only then are their
        # X-Forwarded-For and -Proto believed (app/__init__.py): with 0 anyone could send them.
        "CARNET_TRUSTED_PROXIES": _hops("CARNET_TRUSTED_PROXIES"),
        # Each answer says what it cost (Server-Timing, app/timing.py): for benchmarks.
        "CARNET_SERVER_TIMING": _flag("CARNET_SERVER_TIMING"),
        # Web Push: without VAPID_PRIVATE_KEY, a pair is made in the instance folder.
        "VAPID_PRIVATE_KEY": env.get("VAPID_PRIVATE_KEY", ""),
        "VAPID_PUBLIC_KEY": env.get("VAPID_PUBLIC_KEY", ""),
        "VAPID_SUBJECT": env.get("VAPID_SUBJECT", ""),
        "PUSH_TTL_SECONDS": int(env.get("CARNET_PUSH_TTL_SECONDS", "86400")),
        "PUSH_MAX_ATTEMPTS": int(env.get("CARNET_PUSH_MAX_ATTEMPTS", "8")),
        # A content-free e-mail for those who chose it and have no device for pushes: off
        # without an SMTP host.
        "SMTP_HOST": env.get("CARNET_SMTP_HOST", ""),
        "SMTP_PORT": int(env.get("CARNET_SMTP_PORT", "587")),
        "SMTP_USER": env.get("CARNET_SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("CARNET_SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _flag("CARNET_SMTP_STARTTLS", "1"),
        "MAIL_FROM": env.get("CARNET_MAIL_FROM", ""),
        "PUSH_BATCH": int(env.get("CARNET_PUSH_BATCH", "200")),
        # Messages a worker has in flight at once, and at most to one push service.
        "PUSH_CONCURRENCY": int(env.get("CARNET_PUSH_CONCURRENCY", "64")),
        "PUSH_PER_SERVICE": int(env.get("CARNET_PUSH_PER_SERVICE", "32")),
        # A push worker thread in the web process: unset, on in demo mode (not in tests).
        "PUSH_WORKER_THREAD": (_flag("CARNET_PUSH_WORKER_THREAD")
                               if "CARNET_PUSH_WORKER_THREAD" in env else None),
        # Hosts (and their subdomains) devices may subscribe at; "*" for any public host.
        "PUSH_SERVICES": tuple(h.strip() for h in env.get("CARNET_PUSH_SERVICES", "").split(",")
                               if h.strip()),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Also Secure on any request that came over https (app/security.py).
        "SESSION_COOKIE_SECURE": origin.startswith("https://"),
        "SESSION_COOKIE_NAME": "carnet_session",
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        # Relative to app.root_path (the package), hence the "..".
        "BABEL_TRANSLATION_DIRECTORIES": "../translations",
        "LANGUAGES": ("fr", "en", "ar"),
        "WTF_CSRF_TIME_LIMIT": None,  # the session ends the token's life
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIMETYPES": [
            "text/html", "text/css", "text/javascript", "application/javascript",
            "application/json", "application/manifest+json", "image/svg+xml",
        ],
    }
