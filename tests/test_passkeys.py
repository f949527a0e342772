"""Passkey registration and sign-in, and every way they refuse, with no session created."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.models import Passkey, WebAuthnChallenge
from app.types import utcnow

from .conftest import persona
from .passkey_actions import PasskeyActions
from .softauthn import SoftAuthenticator, b64url


@pytest.fixture
def jeanne(app, client, demo, db):
    """Jeanne's browser and phone, her invitation not yet opened."""
    actions = PasskeyActions(app, client)
    actions.account = persona(db, "jeanne")
    return actions


@pytest.fixture
def jeanne_with_passkey(jeanne):
    assert jeanne.register(jeanne.invite(jeanne.account)).status_code == 200
    jeanne.client.post("/sign-out", headers=jeanne.csrf("/me/"))
    assert jeanne.signed_in_account_id() is None
    return jeanne


def test_jeanne_creates_a_passkey_from_her_invitation(jeanne, db):
    response = jeanne.register(jeanne.invite(jeanne.account))
    assert response.get_json() == {"redirect": "/"}
    assert jeanne.signed_in_account_id() == jeanne.account.id
    passkey = db.exec(select(Passkey).where(Passkey.account_id == jeanne.account.id)).one()
    assert passkey.credential_id == jeanne.phone.credentials[0].credential_id


def test_the_options_ask_for_a_discoverable_user_verified_passkey(jeanne):
    options = jeanne.post(f"/invite/{jeanne.invite(jeanne.account)}/options").get_json()
    selection = options["authenticatorSelection"]
    assert selection["residentKey"] == "required"
    assert selection["userVerification"] == "required"
    assert options["rp"]["id"] == "localhost"
    assert "@" not in options["user"]["id"]  # the user handle is random, never the e-mail


def test_jeanne_signs_in_with_her_passkey(jeanne_with_passkey, db):
    response = jeanne_with_passkey.sign_in()
    assert response.status_code == 200
    assert jeanne_with_passkey.signed_in_account_id() == jeanne_with_passkey.account.id
    passkey = db.exec(select(Passkey)).one()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


def test_the_sign_in_options_name_no_one(jeanne):
    options = jeanne.sign_in_options()
    assert options.get("allowCredentials", []) == []
    assert options["userVerification"] == "required"


def _refused(actions, response, words: str):
    assert response.status_code >= 400
    assert words in response.get_json()["error"]
    assert actions.signed_in_account_id() is None


@pytest.mark.parametrize(
    ("forge", "words"),
    [
        ({"origin": "https://evil.example"}, "could not be verified"),
        ({"rp_id": "evil.example"}, "could not be verified"),
        ({"user_verified": False}, "did not check that it was you"),
        ({"challenge": b64url(b"a challenge we never gave")}, "expired"),
    ],
)
def test_registration_is_refused(jeanne, db, forge, words):
    _refused(jeanne, jeanne.register(jeanne.invite(jeanne.account), **forge), words)
    assert db.exec(select(Passkey)).all() == []


@pytest.mark.parametrize(
    ("forge", "words"),
    [
        ({"origin": "https://evil.example"}, "could not be verified"),
        ({"rp_id": "evil.example"}, "could not be verified"),
        ({"user_verified": False}, "did not check that it was you"),
        ({"challenge": b64url(b"a challenge we never gave")}, "expired"),
        ({"sign_count": 1}, "looks like a copy"),
    ],
)
def test_sign_in_is_refused(jeanne_with_passkey, forge, words):
    jeanne = jeanne_with_passkey
    jeanne.sign_in()  # the stored sign count is now 1
    jeanne.client.post("/sign-out", headers=jeanne.csrf("/me/"))
    _refused(jeanne, jeanne.sign_in(**forge), words)


@pytest.mark.db_engine
def test_a_replayed_challenge_is_refused(jeanne_with_passkey):
    jeanne = jeanne_with_passkey
    options = jeanne.sign_in_options()
    credential = jeanne.phone.get(options, origin="http://localhost:5000")
    assert jeanne.post("/sign-in/verify", {"credential": credential}).status_code == 200
    jeanne.client.post("/sign-out", headers=jeanne.csrf("/me/"))
    _refused(jeanne, jeanne.post("/sign-in/verify", {"credential": credential}), "expired")


@pytest.mark.db_engine
def test_an_expired_challenge_is_refused(jeanne_with_passkey, db):
    jeanne = jeanne_with_passkey
    options = jeanne.sign_in_options()
    db.exec(sa.update(WebAuthnChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    _refused(jeanne, jeanne.sign_in(options), "expired")


def test_a_challenge_from_another_browser_session_is_refused(jeanne_with_passkey, app):
    jeanne = jeanne_with_passkey
    options = jeanne.sign_in_options()
    other_browser = PasskeyActions(app, app.test_client(), phone=jeanne.phone)
    _refused(other_browser, other_browser.sign_in(options), "expired")


def test_an_unknown_credential_is_refused(jeanne_with_passkey, db):
    db.exec(sa.delete(Passkey))
    db.commit()
    _refused(jeanne_with_passkey, jeanne_with_passkey.sign_in(), "not known to Carnet")


def test_a_user_handle_of_another_account_is_refused(jeanne_with_passkey, db):
    claire = persona(db, "claire")
    _refused(jeanne_with_passkey, jeanne_with_passkey.sign_in(user_handle=claire.user_handle),
             "could not be verified")


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        {"credential": "a string"},
        {"credential": {}},
        {"credential": {"id": "x", "rawId": "x", "type": "public-key",
                        "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA",
                                     "signature": "AA"}}},
    ],
)
def test_malformed_or_truncated_json_is_refused(jeanne_with_passkey, body):
    jeanne = jeanne_with_passkey
    headers = jeanne.csrf()
    response = jeanne.client.post("/sign-in/verify", data=body if isinstance(body, str) else None,
                                  json=None if isinstance(body, str) else body, headers=headers,
                                  content_type="application/json")
    _refused(jeanne, response, "could not be read")


def test_a_truncated_answer_of_a_real_passkey_is_refused(jeanne_with_passkey):
    jeanne = jeanne_with_passkey
    credential = jeanne.phone.get(jeanne.sign_in_options(), origin="http://localhost:5000")
    credential["response"]["authenticatorData"] = credential["response"]["authenticatorData"][:20]
    _refused(jeanne, jeanne.post("/sign-in/verify", {"credential": credential}), "")


@pytest.mark.db_engine
@pytest.mark.parametrize("flag", ["used", "expired", "unknown"])
def test_an_invitation_that_cannot_be_used_is_refused(jeanne, db, flag):
    from app.models import Invitation

    token = jeanne.invite(jeanne.account)
    if flag == "used":
        assert jeanne.register(token).status_code == 200
        jeanne.client.post("/sign-out", headers=jeanne.csrf("/me/"))
        words = "already been used"
    elif flag == "expired":
        db.exec(sa.update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.commit()
        words = "expired"
    else:
        token = "no-such-invitation"
        words = "not valid"
    page = jeanne.client.get(f"/invite/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 404 and words in page.get_data(as_text=True)
    _refused(jeanne, jeanne.post(f"/invite/{token}/options"), words)
    credential = SoftAuthenticator().create(
        {"rp": {"id": "localhost"}, "user": {"id": b64url(b"x"), "name": "x"},
         "challenge": b64url(b"x"), "pubKeyCredParams": [{"type": "public-key", "alg": -7}]},
        origin="http://localhost:5000")
    _refused(jeanne, jeanne.post(f"/invite/{token}/register", {"credential": credential}), words)


def test_a_second_phone_adds_a_passkey_from_security(jeanne, app, db):
    jeanne.register(jeanne.invite(jeanne.account))
    tablet = SoftAuthenticator()
    options = jeanne.post("/me/security/passkeys/options", csrf_from="/me/security").get_json()
    credential = tablet.create(options, origin="http://localhost:5000")
    response = jeanne.post("/me/security/passkeys", {"credential": credential, "name": "Tablet"},
                           csrf_from="/me/security")
    assert response.get_json() == {"redirect": "/me/security"}
    names = db.exec(select(Passkey.name).where(Passkey.account_id == jeanne.account.id)).all()
    assert sorted(names) == ["Phone", "Tablet"]
