"""The software authenticator against py_webauthn itself: no Flask, no database.

Besides proving `tests.softauthn`, the last tests pin down what py_webauthn does *not* check, so
that the app's own code is known to have to.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import cbor2
import pytest
import webauthn
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidBackupFlags,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
    WebAuthnException,
)
from webauthn.helpers.structs import (
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
)

from tests.softauthn import SoftAuthenticator, SoftAuthnError, b64url, b64url_decode

RP_ID = "127.0.0.1"
ORIGIN = "http://127.0.0.1:5000"
USER_ID = b"account-jeanne-0001"
RESPONSE_KEYS = {
    "id",
    "rawId",
    "type",
    "response",
    "clientExtensionResults",
    "authenticatorAttachment",
}


def registration_options(**kwargs: Any) -> tuple[Any, dict[str, Any]]:
    """The options object and the JSON the server would send for them."""
    options = webauthn.generate_registration_options(
        rp_id=RP_ID, rp_name="Carnet", user_name="jeanne", user_id=USER_ID, **kwargs
    )
    return options, json.loads(webauthn.options_to_json(options))


def authentication_options(**kwargs: Any) -> tuple[Any, dict[str, Any]]:
    """The options object and the JSON the server would send for them."""
    options = webauthn.generate_authentication_options(rp_id=RP_ID, **kwargs)
    return options, json.loads(webauthn.options_to_json(options))


def verify_registration(options: Any, credential: dict[str, Any], **kwargs: Any) -> Any:
    return webauthn.verify_registration_response(
        credential=credential,
        expected_challenge=options.challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        **{"require_user_verification": True, **kwargs},
    )


def verify_authentication(
    options: Any, credential: dict[str, Any], registered: Any, sign_count: int, **kwargs: Any
) -> Any:
    return webauthn.verify_authentication_response(
        credential=credential,
        expected_challenge=options.challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=registered.credential_public_key,
        credential_current_sign_count=sign_count,
        **{"require_user_verification": True, **kwargs},
    )


def register(authenticator: SoftAuthenticator) -> Any:
    options, sent = registration_options()
    return verify_registration(options, authenticator.create(sent, origin=ORIGIN))


def test_registration_round_trip() -> None:
    authenticator = SoftAuthenticator()
    options, sent = registration_options()

    response = authenticator.create(sent, origin=ORIGIN)
    verified = verify_registration(options, response)

    (credential,) = authenticator.credentials
    assert verified.credential_id == b64url_decode(response["id"])
    assert response["id"] == credential.credential_id
    assert verified.credential_public_key == credential.cose_public_key
    assert verified.sign_count == 0
    assert verified.user_verified is True
    assert verified.fmt == "none"
    assert verified.aaguid == "00000000-0000-0000-0000-000000000000"
    assert verified.credential_device_type == CredentialDeviceType.SINGLE_DEVICE
    assert verified.credential_backed_up is False
    assert credential.rp_id == RP_ID
    assert credential.user_handle == b64url(USER_ID)
    assert credential.user_name == "jeanne"


def test_registration_json_is_what_a_browser_gives() -> None:
    options, sent = registration_options()
    response = SoftAuthenticator(aaguid=b"\x01" * 16).create(sent, origin=ORIGIN)

    assert set(response) == RESPONSE_KEYS
    assert response["type"] == "public-key"
    assert response["authenticatorAttachment"] == "platform"
    assert response["clientExtensionResults"] == {}
    assert response["response"]["transports"] == ["internal"]
    assert response["response"]["publicKeyAlgorithm"] == -7
    for name in ("clientDataJSON", "authenticatorData", "publicKey", "attestationObject"):
        assert not set(response["response"][name]) & set("=+/"), name
    client_data = b64url_decode(response["response"]["clientDataJSON"])
    assert client_data == (
        b'{"type":"webauthn.create","challenge":"%s","origin":"%s","crossOrigin":false}'
        % (b64url(options.challenge).encode(), ORIGIN.encode())
    )
    attestation = cbor2.loads(b64url_decode(response["response"]["attestationObject"]))
    assert list(attestation) == ["fmt", "attStmt", "authData"]
    assert attestation["fmt"] == "none" and attestation["attStmt"] == {}
    auth_data = attestation["authData"]
    assert auth_data == b64url_decode(response["response"]["authenticatorData"])
    assert auth_data[:32] == hashlib.sha256(RP_ID.encode()).digest()
    assert auth_data[32] == 0x01 | 0x04 | 0x40
    assert auth_data[33:37] == bytes(4)
    assert auth_data[37:53] == b"\x01" * 16
    assert auth_data[53:55] == (16).to_bytes(2, "big")
    assert auth_data[55:71] == b64url_decode(response["rawId"])
    assert cbor2.loads(auth_data[71:]).keys() == {1, 3, -1, -2, -3}


def test_authentication_round_trip_with_a_discoverable_credential() -> None:
    authenticator = SoftAuthenticator()
    registered = register(authenticator)
    sign_count = registered.sign_count

    for expected in (1, 2):
        options, sent = authentication_options()
        assert sent["allowCredentials"] == []
        response = authenticator.get(sent, origin=ORIGIN)
        verified = verify_authentication(options, response, registered, sign_count)
        assert verified.new_sign_count == expected
        assert verified.credential_id == registered.credential_id
        assert verified.user_verified is True
        assert response["response"]["userHandle"] == b64url(USER_ID)
        assert set(response) == RESPONSE_KEYS
        sign_count = verified.new_sign_count


def test_authentication_with_allow_credentials_picks_the_allowed_one() -> None:
    authenticator = SoftAuthenticator()
    first = register(authenticator)
    options, sent = registration_options()
    sent["user"]["id"] = b64url(b"account-claire-0002")
    second = verify_registration(options, authenticator.create(sent, origin=ORIGIN))

    options, sent = authentication_options()
    with pytest.raises(ValueError, match="pass credential_id"):
        authenticator.get(sent, origin=ORIGIN)

    options, sent = authentication_options(
        allow_credentials=[PublicKeyCredentialDescriptor(id=second.credential_id)]
    )
    response = authenticator.get(sent, origin=ORIGIN)
    assert b64url_decode(response["id"]) == second.credential_id
    verify_authentication(options, response, second, 0)

    options, sent = authentication_options()
    response = authenticator.get(sent, origin=ORIGIN, credential_id=b64url(first.credential_id))
    verify_authentication(options, response, first, 0)


def test_the_authenticator_refuses_what_a_browser_refuses() -> None:
    authenticator = SoftAuthenticator()
    registered = register(authenticator)

    _, sent = registration_options(
        exclude_credentials=[PublicKeyCredentialDescriptor(id=registered.credential_id)]
    )
    with pytest.raises(SoftAuthnError) as excluded:
        authenticator.create(sent, origin=ORIGIN)
    assert excluded.value.name == "InvalidStateError"

    _, sent = authentication_options()
    with pytest.raises(SoftAuthnError) as unknown:
        SoftAuthenticator().get(sent, origin=ORIGIN)
    assert unknown.value.name == "NotAllowedError"


def test_registering_the_same_user_again_replaces_the_credential() -> None:
    authenticator = SoftAuthenticator()
    first = register(authenticator)
    second = register(authenticator)
    assert first.credential_id != second.credential_id
    assert [c.credential_id for c in authenticator.credentials] == [b64url(second.credential_id)]


FORGED_REGISTRATIONS = {
    "wrong origin": {"origin": "http://127.0.0.1:5001"},
    "wrong RP ID": {"rp_id": "evil.example"},
    "wrong challenge": {"challenge": b64url(b"an old challenge")},
    "no user verification": {"user_verified": False},
    "no user presence": {"user_present": False},
}


@pytest.mark.parametrize("forgery", FORGED_REGISTRATIONS.values(), ids=FORGED_REGISTRATIONS)
def test_a_forged_registration_is_refused(forgery: dict[str, Any]) -> None:
    options, sent = registration_options()
    response = SoftAuthenticator().create(sent, **{"origin": ORIGIN, **forgery})
    with pytest.raises(InvalidRegistrationResponse):
        verify_registration(options, response)


FORGED_AUTHENTICATIONS = {
    "wrong origin": {"origin": "https://127.0.0.1:5000"},
    "wrong RP ID": {"rp_id": "localhost"},
    "wrong challenge": {"challenge": b64url(b"an old challenge")},
    "no user verification": {"user_verified": False},
    "no user presence": {"user_present": False},
    "sign count replayed": {"sign_count": 1},
    "sign count gone back to zero": {"sign_count": 0},
}


@pytest.mark.parametrize("forgery", FORGED_AUTHENTICATIONS.values(), ids=FORGED_AUTHENTICATIONS)
def test_a_forged_authentication_is_refused(forgery: dict[str, Any]) -> None:
    authenticator = SoftAuthenticator()
    registered = register(authenticator)
    options, sent = authentication_options()
    first = verify_authentication(options, authenticator.get(sent, origin=ORIGIN), registered, 0)
    assert first.new_sign_count == 1

    options, sent = authentication_options()
    response = authenticator.get(sent, **{"origin": ORIGIN, **forgery})
    with pytest.raises(InvalidAuthenticationResponse):
        verify_authentication(options, response, registered, first.new_sign_count)


def test_a_signature_by_another_key_is_refused() -> None:
    registered = register(SoftAuthenticator())
    stranger = SoftAuthenticator()
    register(stranger)
    options, sent = authentication_options()
    with pytest.raises(InvalidAuthenticationResponse, match="signature"):
        verify_authentication(options, stranger.get(sent, origin=ORIGIN), registered, 0)


# What py_webauthn 3.0.1 leaves to the app.


def test_py_webauthn_does_not_check_the_user_handle() -> None:
    """The app must check userHandle against the account the credential belongs to."""
    authenticator = SoftAuthenticator()
    registered = register(authenticator)
    options, sent = authentication_options()
    response = authenticator.get(sent, origin=ORIGIN, user_handle=b64url(b"account-karim-0003"))
    verify_authentication(options, response, registered, 0)


def test_py_webauthn_accepts_a_sign_count_that_stays_at_zero() -> None:
    """Synced passkeys always send 0: only when either count is above 0 must it go up."""
    authenticator = SoftAuthenticator(backup_eligible=True, backed_up=True)
    registered = register(authenticator)
    assert registered.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    assert registered.credential_backed_up is True
    for _ in range(2):
        options, sent = authentication_options()
        response = authenticator.get(sent, origin=ORIGIN, sign_count=0)
        assert verify_authentication(options, response, registered, 0).new_sign_count == 0


def test_py_webauthn_requires_user_verification_only_when_asked() -> None:
    """Both verify functions default to require_user_verification=False."""
    authenticator = SoftAuthenticator()
    options, sent = registration_options()
    response = authenticator.create(sent, origin=ORIGIN, user_verified=False)
    registered = verify_registration(options, response, require_user_verification=False)
    assert registered.user_verified is False

    options, sent = authentication_options()
    response = authenticator.get(sent, origin=ORIGIN, user_verified=False)
    verify_authentication(options, response, registered, 0, require_user_verification=False)


def test_py_webauthn_trusts_the_credential_id_in_authenticator_data_not_the_posted_one() -> None:
    """The app must store `verified.credential_id`, never the id the client posted."""
    options, sent = registration_options()
    response = SoftAuthenticator().create(sent, origin=ORIGIN)
    response["id"] = response["rawId"] = b64url(b"a posted id")
    verified = verify_registration(options, response)
    assert verified.credential_id != b"a posted id"


def test_py_webauthn_raises_other_exceptions_than_the_invalid_response_ones() -> None:
    """Malformed JSON and impossible backup flags: catch WebAuthnException, not just Invalid*."""
    options, sent = registration_options()
    response = SoftAuthenticator().create(sent, origin=ORIGIN)
    del response["response"]
    with pytest.raises(InvalidJSONStructure):
        verify_registration(options, response)

    options, sent = registration_options()
    response = SoftAuthenticator(backed_up=True).create(sent, origin=ORIGIN)
    with pytest.raises(InvalidBackupFlags):
        verify_registration(options, response)
    assert not issubclass(InvalidBackupFlags, InvalidRegistrationResponse)
    assert issubclass(InvalidBackupFlags, WebAuthnException)
