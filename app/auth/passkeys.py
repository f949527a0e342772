"""WebAuthn ceremonies (py_webauthn): registering a passkey and signing in with one.

Challenges live server-side, bound to the browser session (and to the invitation they
were made for), single-use (spent by a compare-and-set), 5 minutes.
py_webauthn does not compare the user handle and gives one message for every
refusal, so the checks a person needs to understand are made here first.
"""

from __future__ import annotations

import binascii
import json
import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlmodel import Session, select
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_authenticator_data
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.parse_authentication_credential_json import (
    parse_authentication_credential_json,
)
from webauthn.helpers.parse_registration_credential_json import (
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..db import spend_once
from ..models import Account, ChallengePurpose, Invitation, Passkey, WebAuthnChallenge
from ..types import utcnow
from . import invitations

log = logging.getLogger(__name__)

# py_webauthn raises more than its Invalid*Response on forged input (bad flags, a COSE key
# without y, truncated data): every one of them is a refusal, never a 500.
MALFORMED = (WebAuthnException, binascii.Error, ValueError, KeyError, IndexError, TypeError)

CHALLENGE_LIFETIME = timedelta(minutes=5)


class PasskeyError(Exception):
    """A refused ceremony; the message is translated and safe to show."""


def rp_id() -> str:
    return current_app.config["CARNET_RP_ID"]


def origins() -> list[str]:
    return current_app.config["CARNET_ORIGINS"]


def _store_challenge(
    db: Session,
    challenge: bytes,
    binding: str,
    purpose: ChallengePurpose,
    account: Account | None = None,
    invitation_id: int | None = None,
) -> None:
    now = utcnow()
    db.exec(
        sa.delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at < now - timedelta(days=1))
    )
    db.add(
        WebAuthnChallenge(
            challenge=bytes_to_base64url(challenge),
            session_binding=binding,
            purpose=purpose,
            account_id=account.id if account else None,
            invitation_id=invitation_id,
            expires_at=now + CHALLENGE_LIFETIME,
        )
    )
    db.commit()


def _consume_challenge(
    db: Session,
    client_data_json: bytes,
    binding: str,
    purpose: ChallengePurpose,
    expected_type: str,
) -> WebAuthnChallenge:
    """The stored challenge the browser answered, spent now; refused if foreign or stale."""
    try:
        client_data = json.loads(client_data_json)
    except ValueError:
        client_data = None
    value = client_data.get("challenge") if isinstance(client_data, dict) else None
    if not isinstance(value, str) or client_data.get("type") != expected_type:
        raise PasskeyError(_("The answer of your passkey could not be read. Please try again."))
    stale = _("This request has expired. Please try again.")
    row = db.exec(select(WebAuthnChallenge).where(WebAuthnChallenge.challenge == value)).first()
    if row is None or row.session_binding != binding or row.purpose != purpose:
        raise PasskeyError(stale)
    now = utcnow()
    if row.expires_at <= now:
        raise PasskeyError(stale)
    # Spent at once, in a transaction of its own: a challenge is one attempt, whether the
    # ceremony then succeeds or not (a failed answer cannot be retried with it).
    spent = spend_once(db, WebAuthnChallenge, row.id, now)
    db.commit()
    if not spent:  # already used: a replay
        raise PasskeyError(stale)
    return row


def _check_user_verified(authenticator_data: bytes) -> None:
    flags = parse_authenticator_data(authenticator_data).flags
    if not flags.uv:
        raise PasskeyError(
            _(
                "Your phone did not check that it was you (fingerprint, face or PIN). "
                "Please try again and unlock it when asked."
            )
        )


def registration_options(
    db: Session, account: Account, binding: str, invitation_id: int | None = None
) -> dict[str, Any]:
    """Options for navigator.credentials.create(): a discoverable, user-verified passkey."""
    existing = db.exec(select(Passkey.credential_id).where(Passkey.account_id == account.id)).all()
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name="Carnet",
        user_id=base64url_to_bytes(account.user_handle),
        user_name=account.email,
        user_display_name=account.full_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in existing
        ],
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
    )
    _store_challenge(
        db, options.challenge, binding, ChallengePurpose.REGISTER, account, invitation_id
    )
    return json.loads(options_to_json(options))


def finish_registration(
    db: Session,
    account: Account,
    binding: str,
    credential: Any,
    name: str,
    invitation: Invitation | None = None,
) -> Passkey:
    """Verify the browser's answer to registration options and keep the new passkey.

    With ``invitation``, the passkey is kept only if this registration is the one that
    spends it (same transaction): otherwise InvitationError, and nothing is kept.
    """
    try:
        parsed = parse_registration_credential_json(credential)
    except MALFORMED as error:
        raise PasskeyError(
            _("The answer of your passkey could not be read. Please try again.")
        ) from error
    challenge = _consume_challenge(
        db, parsed.response.client_data_json, binding, ChallengePurpose.REGISTER, "webauthn.create"
    )
    if challenge.account_id != account.id or challenge.invitation_id != (
        invitation.id if invitation else None
    ):
        raise PasskeyError(_("This request has expired. Please try again."))
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(challenge.challenge),
            expected_rp_id=rp_id(),
            expected_origin=origins(),
            require_user_verification=True,
        )
    except MALFORMED as error:
        log.info("passkey registration refused for account %s: %s", account.id, error)
        if "verif" in str(error).lower():
            raise PasskeyError(
                _(
                    "Your phone did not check that it was you (fingerprint, face or "
                    "PIN). Please try again and unlock it when asked."
                )
            ) from error
        raise PasskeyError(_("Your passkey could not be verified for Carnet.")) from error
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.exec(select(Passkey).where(Passkey.credential_id == credential_id)).first():
        raise PasskeyError(_("This passkey is already registered."))
    passkey = Passkey(
        account_id=account.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t.value for t in (parsed.response.transports or [])],
        aaguid=verified.aaguid,
        backed_up=verified.credential_backed_up,
        name=(name or "").strip()[:80] or _("Passkey"),
    )
    db.add(passkey)
    if invitation is not None:
        invitations.spend(db, invitation)
    db.commit()
    return passkey


def authentication_options(
    db: Session, binding: str, purpose: ChallengePurpose, account: Account | None = None
) -> dict[str, Any]:
    """Options for navigator.credentials.get(): any passkey of this site, or ``account``'s."""
    allowed = []
    if account is not None:
        allowed = [
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c))
            for c in db.exec(select(Passkey.credential_id).where(Passkey.account_id == account.id))
        ]
    options = generate_authentication_options(
        rp_id=rp_id(),
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
    )
    _store_challenge(db, options.challenge, binding, purpose, account)
    return json.loads(options_to_json(options))


def finish_authentication(
    db: Session,
    binding: str,
    credential: Any,
    purpose: ChallengePurpose,
    account: Account | None = None,
) -> Account:
    """Verify a passkey assertion; the account it proves (``account`` itself when given)."""
    unreadable = _("The answer of your passkey could not be read. Please try again.")
    refused = _("This passkey could not be verified. Please try again.")
    try:
        parsed = parse_authentication_credential_json(credential)
    except MALFORMED as error:
        raise PasskeyError(unreadable) from error
    challenge = _consume_challenge(
        db, parsed.response.client_data_json, binding, purpose, "webauthn.get"
    )
    passkey = db.exec(
        select(Passkey).where(Passkey.credential_id == bytes_to_base64url(parsed.raw_id))
    ).first()
    if passkey is None:
        raise PasskeyError(
            _(
                "This passkey is not known to Carnet. Was it removed? "
                "Ask your care team for a new invitation."
            )
        )
    owner = db.get(Account, passkey.account_id)
    if owner is None or not owner.is_active:
        raise PasskeyError(refused)
    if account is not None and (owner.id != account.id or challenge.account_id != account.id):
        raise PasskeyError(refused)
    user_handle = parsed.response.user_handle
    # py_webauthn does not compare the user handle: a discoverable sign-in must name the
    # account the credential belongs to.
    if (user_handle is None and account is None) or (
        user_handle is not None and bytes_to_base64url(user_handle) != owner.user_handle
    ):
        log.warning("passkey %s answered with another account's user handle", passkey.id)
        raise PasskeyError(refused)
    try:
        authenticator = parse_authenticator_data(parsed.response.authenticator_data)
    except MALFORMED as error:
        raise PasskeyError(unreadable) from error
    _check_user_verified(parsed.response.authenticator_data)
    if (
        authenticator.sign_count or passkey.sign_count
    ) and authenticator.sign_count <= passkey.sign_count:
        log.warning(
            "sign count went back for passkey %s (%s after %s): possible cloned authenticator",
            passkey.id,
            authenticator.sign_count,
            passkey.sign_count,
        )
        raise PasskeyError(
            _("This passkey looks like a copy and was refused. Please contact your care team.")
        )
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(challenge.challenge),
            expected_rp_id=rp_id(),
            expected_origin=origins(),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except MALFORMED as error:
        log.info("passkey %s refused: %s", passkey.id, error)
        raise PasskeyError(refused) from error
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = utcnow()
    db.commit()
    return owner
