"""VAPID: the key pair that signs our pushes (RFC 8292), and the signatures themselves.

The private key comes from ``VAPID_PRIVATE_KEY`` or is generated on first run into the
instance folder (never committed). Browsers subscribe with the public key; a new pair
voids every subscription, so rotating is a deliberate act (``flask vapid --rotate``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

from ..tokens import b64url

KEY_FILE = "vapid_private_key.pem"
# RFC 8292 §2: a token may live 24 hours at most; push services reject the rest.
TOKEN_LIFETIME = timedelta(hours=12)
RENEW_BEFORE = timedelta(hours=1)


class VapidError(Exception):
    """The configured keys cannot be used."""


def public_key_of(vapid: Vapid) -> str:
    """The public key as browsers want it (applicationServerKey): base64url, uncompressed."""
    return b64url(vapid.public_key.public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint))


def _from_text(text: str) -> Vapid:
    """A key given as PEM, or base64url DER, or the raw 32-byte scalar in base64url."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
                raise VapidError("VAPID keys are P-256 (prime256v1) keys.")
            return Vapid(key)
        return Vapid.from_string(text)
    except VapidError:
        raise
    except Exception as error:  # the libraries raise anything from ValueError to binascii
        raise VapidError(
            f"The VAPID private key cannot be read ({type(error).__name__}).") from error


def generate(path: Path) -> Vapid:
    """A new pair, its private half written to ``path`` (readable by us only)."""
    vapid = Vapid()
    vapid.generate_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(vapid.private_pem())
    temporary.chmod(0o600)
    temporary.replace(path)  # atomic: a worker starting now reads the old key or the new one
    return vapid


def load_keys(instance_path: str, private_key: str = "", public_key: str = "") -> Vapid:
    """The configured pair (environment first, then the instance folder, created if absent)."""
    if private_key:
        vapid = _from_text(private_key)
        if public_key and public_key.strip().rstrip("=") != public_key_of(vapid):
            raise VapidError("VAPID_PUBLIC_KEY is not the public half of VAPID_PRIVATE_KEY.")
        return vapid
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        return generate(path)
    return _from_text(path.read_text())


def default_subject(origin: str) -> str:
    """Who push services may contact about our traffic: the site, or a mailbox."""
    if origin.startswith("https://"):
        return origin
    return f"mailto:carnet@{urlsplit(origin).hostname or 'localhost'}"


@dataclass
class _Token:
    header: str
    expires_at: datetime


class Signer:
    """Signs one VAPID token per push-service origin and reuses it until it nears expiry.

    Signing costs an ECDSA signature per message otherwise; the push service only asks
    that the token be for its origin (``aud``) and not expired.
    """

    def __init__(self, vapid: Vapid, subject: str):
        self.vapid = vapid
        self.subject = subject
        self.public_key = public_key_of(vapid)
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()
        self.signed = 0  # how many tokens were made (tests check the reuse)

    def authorization(self, endpoint: str, now: datetime) -> str:
        """The ``Authorization`` header for a push to ``endpoint`` at ``now``."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            token = self._tokens.get(audience)
            if token is None or token.expires_at - now < RENEW_BEFORE:
                expires_at = now + TOKEN_LIFETIME
                # A fresh dict each time: py_vapid and pywebpush write into the claims.
                claims = {"aud": audience, "exp": int(expires_at.timestamp()),
                          "sub": self.subject}
                header = self.vapid.sign(claims)["Authorization"]
                token = self._tokens[audience] = _Token(header, expires_at)
                self.signed += 1
            return token.header
