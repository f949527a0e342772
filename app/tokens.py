"""The two ways Carnet writes a secret down: a bearer token by its SHA-256 (what the
database keeps of a session cookie, an invitation, a link), and bytes in URL-safe base64
without padding (keys in links and in Web Push)."""

from __future__ import annotations

import base64
import hashlib


def digest(token: str) -> str:
    """What is kept of a random bearer token: its SHA-256, in hex. (A token of 256 random
    bits needs no salt nor slow hash: nobody can guess one to try.)"""
    return hashlib.sha256(token.encode()).hexdigest()


def b64url(data: bytes) -> str:
    """``data`` in URL-safe base64, without padding (JWK, VAPID, SMART Health Links)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
