"""A software WebAuthn authenticator and client, for fast tests without a browser.

`SoftAuthenticator` plays both the platform authenticator (a passkey store holding discoverable
ES256 credentials, attestation "none") and the browser around it: it takes the options JSON the
server sent (`PublicKeyCredentialCreationOptionsJSON` / `...RequestOptionsJSON`, as made by
`webauthn.options_to_json`) and returns what `PublicKeyCredential.toJSON()` gives, ready to POST
and to check with `webauthn.verify_registration_response` / `verify_authentication_response`.

Keyword overrides forge what a hostile or broken client could send: another RP ID, a replayed
challenge, no user verification, a sign count that goes back, another account's user handle.

Only `cryptography` and `cbor2` are used: no network, no browser.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ES256 = -7
"""COSE algorithm of ECDSA with P-256 and SHA-256, the only one this authenticator has."""

FLAG_UP = 0x01  # user present
FLAG_UV = 0x04  # user verified
FLAG_BE = 0x08  # backup eligible
FLAG_BS = 0x10  # backed up
FLAG_AT = 0x40  # attested credential data included


def b64url(data: bytes) -> str:
    """Base64url without padding, as WebAuthn's JSON forms use."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without its padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthnError(Exception):
    """What a browser would reject with a DOMException; `name` is that exception's name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass
class SoftCredential:
    """A discoverable credential held by the authenticator."""

    credential_id: str  # base64url
    rp_id: str
    user_handle: str  # base64url
    private_key: ec.EllipticCurvePrivateKey
    sign_count: int = 0
    user_name: str = ""

    @property
    def cose_public_key(self) -> bytes:
        """The public key as a COSE_Key (EC2, ES256, P-256), as stored by the relying party."""
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: ES256,  # alg
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    @property
    def public_key_der(self) -> bytes:
        """The public key as a DER SubjectPublicKeyInfo (the JSON's `publicKey`)."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class SoftAuthenticator:
    """A platform authenticator holding discoverable ES256 credentials."""

    def __init__(
        self, *, aaguid: bytes = bytes(16), backup_eligible: bool = False, backed_up: bool = False
    ) -> None:
        """`backup_eligible` / `backed_up` set the BE / BS flags, as synced passkeys do."""
        if len(aaguid) != 16:
            raise ValueError("an AAGUID is 16 bytes")
        self.aaguid = aaguid
        self.backup_eligible = backup_eligible
        self.backed_up = backed_up
        self.credentials: list[SoftCredential] = []

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str,
        rp_id: str | None = None,
        user_verified: bool = True,
        user_present: bool = True,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        """Answer navigator.credentials.create() for `options`, the creation options JSON.

        `rp_id` overrides options["rp"]["id"] (to forge a wrong RP ID); `challenge` (base64url)
        overrides the challenge echoed in clientDataJSON (to forge a replay). The new credential
        (sign count 0) replaces any this authenticator held for the same RP ID and user handle,
        and the RegistrationResponseJSON is returned, with attestation "none".
        """
        rp_id = rp_id or options["rp"].get("id") or _host(origin)
        params = options.get("pubKeyCredParams") or []
        if params and not any(p.get("alg") == ES256 for p in params):
            raise SoftAuthnError("NotSupportedError", "the server does not accept ES256")
        excluded = {_canonical(c["id"]) for c in options.get("excludeCredentials") or []}
        for held in self.credentials:
            if held.rp_id == rp_id and held.credential_id in excluded:
                raise SoftAuthnError("InvalidStateError", "a credential is already registered")

        user = options["user"]
        user_handle = _canonical(user["id"])
        raw_id = os.urandom(16)
        credential = SoftCredential(
            credential_id=b64url(raw_id),
            rp_id=rp_id,
            user_handle=user_handle,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            user_name=user.get("name", ""),
        )
        self.credentials = [
            c for c in self.credentials if (c.rp_id, c.user_handle) != (rp_id, user_handle)
        ]
        self.credentials.append(credential)

        flags = self._flags(user_present, user_verified) | FLAG_AT
        authenticator_data = (
            _authenticator_data(rp_id, flags, credential.sign_count)
            + self.aaguid
            + len(raw_id).to_bytes(2, "big")
            + raw_id
            + credential.cose_public_key
        )
        attestation_object = cbor2.dumps(
            {"fmt": "none", "attStmt": {}, "authData": authenticator_data}
        )
        client_data = _client_data("webauthn.create", challenge or options["challenge"], origin)
        extensions: dict[str, Any] = {}
        if (options.get("extensions") or {}).get("credProps"):
            extensions["credProps"] = {"rk": True}
        return {
            "id": credential.credential_id,
            "rawId": credential.credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(authenticator_data),
                "transports": ["internal"],
                "publicKey": b64url(credential.public_key_der),
                "publicKeyAlgorithm": ES256,
                "attestationObject": b64url(attestation_object),
            },
            "clientExtensionResults": extensions,
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str,
        rp_id: str | None = None,
        user_verified: bool = True,
        user_present: bool = True,
        credential_id: str | None = None,
        user_handle: str | None = None,
        sign_count: int | None = None,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        """Answer navigator.credentials.get() for `options`, the request options JSON.

        The credential is the one held for options["rpId"] (among allowCredentials, if any), or
        `credential_id` when several could answer. Its sign count goes up by one, unless
        `sign_count` forces the value sent (the stored count is then left alone). `rp_id` forges
        the RP ID that is signed, `user_handle` (base64url) another account's handle, and
        `challenge` (base64url) a replay. Returns the AuthenticationResponseJSON.
        """
        credential = self._pick(options, origin, credential_id)
        rp_id = rp_id or credential.rp_id
        if sign_count is None:
            credential.sign_count += 1
            sign_count = credential.sign_count

        authenticator_data = _authenticator_data(
            rp_id, self._flags(user_present, user_verified), sign_count
        )
        client_data = _client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = credential.private_key.sign(
            authenticator_data + hashlib.sha256(client_data).digest(),
            ec.ECDSA(hashes.SHA256()),
        )
        return {
            "id": credential.credential_id,
            "rawId": credential.credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(authenticator_data),
                "signature": b64url(signature),
                "userHandle": credential.user_handle if user_handle is None else user_handle,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def _pick(
        self, options: dict[str, Any], origin: str, credential_id: str | None
    ) -> SoftCredential:
        """The credential that answers, as the browser's account chooser would give it."""
        rp_id = options.get("rpId") or _host(origin)
        allowed = {_canonical(c["id"]) for c in options.get("allowCredentials") or []}
        candidates = [
            c
            for c in self.credentials
            if c.rp_id == rp_id
            and (not allowed or c.credential_id in allowed)
            and (credential_id is None or c.credential_id == _canonical(credential_id))
        ]
        if not candidates:
            raise SoftAuthnError("NotAllowedError", f"no credential for {rp_id!r}")
        if len(candidates) > 1:
            raise ValueError(f"{len(candidates)} credentials could answer: pass credential_id")
        return candidates[0]

    def _flags(self, user_present: bool, user_verified: bool) -> int:
        """The flags byte, without AT."""
        return (
            (FLAG_UP if user_present else 0)
            | (FLAG_UV if user_verified else 0)
            | (FLAG_BE if self.backup_eligible else 0)
            | (FLAG_BS if self.backed_up else 0)
        )


def _authenticator_data(rp_id: str, flags: int, sign_count: int) -> bytes:
    """rpIdHash, flags and signCount: the authenticator data before any attested credential."""
    return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + sign_count.to_bytes(4, "big")


def _client_data(kind: str, challenge: str, origin: str) -> bytes:
    """clientDataJSON as browsers serialize it: compact, in this order of keys."""
    data = {
        "type": kind,
        "challenge": _canonical(challenge),
        "origin": origin,
        "crossOrigin": False,
    }
    return json.dumps(data, separators=(",", ":")).encode()


def _canonical(text: str) -> str:
    """Base64url as a browser re-encodes it after decoding: no padding."""
    return b64url(b64url_decode(text))


def _host(origin: str) -> str:
    """The origin's host: the RP ID a browser uses when the options give none."""
    host = urlsplit(origin).hostname
    if not host:
        raise ValueError(f"not an origin: {origin!r}")
    return host
