""""Me → Security": passkeys, recovery codes, signing out everywhere."""

from __future__ import annotations

import re
import time

import pytest
from sqlmodel import select

from app.models import Passkey, RecoveryCode

from .conftest import persona
from .passkey_actions import ORIGIN, PasskeyActions
from .softauthn import SoftAuthenticator


@pytest.fixture
def jeanne(app, client, demo, db):
    """Jeanne, signed in with the passkey she just created from her invitation."""
    actions = PasskeyActions(app, client)
    actions.account = persona(db, "jeanne")
    assert actions.register(actions.invite(actions.account)).status_code == 200
    return actions


def _form(jeanne, path: str, **data):
    token = jeanne.csrf("/me/security")["X-CSRFToken"]
    return jeanne.client.post(path, data={"csrf_token": token, **data},
                              headers={"Accept-Language": "en"})


def _age_verification(jeanne, seconds: int = 600) -> None:
    with jeanne.client.session_transaction() as session:
        session["verified_at"] = int(time.time()) - seconds


def _passkey_ids(db, account) -> list[int]:
    db.expire_all()
    return list(db.exec(select(Passkey.id).where(Passkey.account_id == account.id)).all())


def test_jeanne_sees_her_passkeys(jeanne):
    page = jeanne.client.get("/me/security").get_data(as_text=True)
    assert "Phone" in page


def test_jeanne_renames_a_passkey(jeanne, db):
    [passkey_id] = _passkey_ids(db, jeanne.account)
    response = _form(jeanne, f"/me/security/passkeys/{passkey_id}/rename", name="Mon téléphone")
    assert response.status_code == 302
    assert db.get(Passkey, passkey_id).name == "Mon téléphone"


@pytest.mark.parametrize("name", ["", "x" * 81])
def test_a_bad_name_is_refused_with_a_message(jeanne, db, name):
    [passkey_id] = _passkey_ids(db, jeanne.account)
    response = _form(jeanne, f"/me/security/passkeys/{passkey_id}/rename", name=name)
    assert response.status_code == 400
    assert "1 to 80 characters" in response.get_data(as_text=True)
    assert db.get(Passkey, passkey_id).name == "Phone"


def test_the_last_passkey_cannot_be_removed_without_recovery_codes(jeanne, db):
    [passkey_id] = _passkey_ids(db, jeanne.account)
    response = _form(jeanne, f"/me/security/passkeys/{passkey_id}/delete")
    assert response.status_code == 400
    assert "only passkey" in response.get_data(as_text=True)
    assert _passkey_ids(db, jeanne.account) == [passkey_id]


def test_with_recovery_codes_the_last_passkey_can_go(jeanne, db):
    assert _form(jeanne, "/me/security/recovery-codes").status_code == 302
    [passkey_id] = _passkey_ids(db, jeanne.account)
    assert _form(jeanne, f"/me/security/passkeys/{passkey_id}/delete").status_code == 302
    assert _passkey_ids(db, jeanne.account) == []


def test_removing_needs_a_fresh_passkey_check(jeanne, db):
    tablet = SoftAuthenticator()
    options = jeanne.post("/me/security/passkeys/options", csrf_from="/me/security").get_json()
    jeanne.post("/me/security/passkeys",
                {"credential": tablet.create(options, origin=ORIGIN), "name": "Tablet"},
                csrf_from="/me/security")
    first, second = _passkey_ids(db, jeanne.account)
    _age_verification(jeanne)
    response = _form(jeanne, f"/me/security/passkeys/{second}/delete")
    assert response.status_code == 403
    assert _passkey_ids(db, jeanne.account) == [first, second]

    options = jeanne.post("/me/security/verify/options", csrf_from="/me/security").get_json()
    assert {c["id"] for c in options["allowCredentials"]} == {
        c.credential_id for c in jeanne.phone.credentials + tablet.credentials}
    import json

    assertion = json.dumps(jeanne.phone.get(options, origin=ORIGIN))
    response = _form(jeanne, f"/me/security/passkeys/{second}/delete", assertion=assertion)
    assert response.status_code == 302
    assert _passkey_ids(db, jeanne.account) == [first]


def test_recovery_codes_need_a_fresh_passkey_check(jeanne, db):
    _age_verification(jeanne)
    assert _form(jeanne, "/me/security/recovery-codes").status_code == 403
    assert db.exec(select(RecoveryCode)).all() == []


def test_recovery_codes_are_shown_once_and_work_once(jeanne, app, db):
    _form(jeanne, "/me/security/recovery-codes")
    page = jeanne.client.get("/me/security").get_data(as_text=True)
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5}-[a-z0-9]{5})</code>", page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert codes[0] not in jeanne.client.get("/me/security").get_data(as_text=True)
    stored = db.exec(select(RecoveryCode)).all()
    # The first group finds the row; the rest is only kept as a salted argon2id hash.
    assert sorted(row.selector for row in stored) == sorted(code[:5] for code in codes)
    assert all(row.code_hash.startswith("$argon2id$") for row in stored)
    assert not any(code[6:].replace("-", "") in row.code_hash
                   for code in codes for row in stored)

    other_browser = PasskeyActions(app, app.test_client())
    token = other_browser.csrf()["X-CSRFToken"]
    response = other_browser.client.post("/sign-in/recovery",
                                         data={"code": codes[0].upper(), "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/me/security"
    assert other_browser.signed_in_account_id() == jeanne.account.id

    third_browser = PasskeyActions(app, app.test_client())
    token = third_browser.csrf()["X-CSRFToken"]
    response = third_browser.client.post("/sign-in/recovery",
                                         data={"code": codes[0], "csrf_token": token},
                                         headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "already been used" in response.get_data(as_text=True)
    assert third_browser.signed_in_account_id() is None


@pytest.mark.parametrize("typed", [
    lambda code: code.replace("-", " "),  # as read aloud, or copied from paper
    lambda code: f"  {code.upper().replace('-', '')} ",
])
def test_a_recovery_code_may_be_typed_loosely(jeanne, app, typed):
    _form(jeanne, "/me/security/recovery-codes")
    page = jeanne.client.get("/me/security").get_data(as_text=True)
    code = re.findall(r"<code>([a-z0-9-]+)</code>", page)[0]
    other_browser = PasskeyActions(app, app.test_client())
    token = other_browser.csrf()["X-CSRFToken"]
    response = other_browser.client.post("/sign-in/recovery",
                                         data={"code": typed(code), "csrf_token": token})
    assert response.status_code == 302
    assert other_browser.signed_in_account_id() == jeanne.account.id


@pytest.mark.parametrize("forge", [
    lambda code: code[:6] + "aaaaa-aaaaa",  # a known selector, a wrong secret
    lambda code: "aaaaa-" + code[6:],  # the right secret under another selector
    lambda code: code[:-1],  # one letter short
])
def test_a_wrong_recovery_code_is_refused(jeanne, app, db, forge):
    _form(jeanne, "/me/security/recovery-codes")
    page = jeanne.client.get("/me/security").get_data(as_text=True)
    code = re.findall(r"<code>([a-z0-9-]+)</code>", page)[0]
    other_browser = PasskeyActions(app, app.test_client())
    token = other_browser.csrf()["X-CSRFToken"]
    response = other_browser.client.post("/sign-in/recovery",
                                         data={"code": forge(code), "csrf_token": token},
                                         headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert other_browser.signed_in_account_id() is None
    db.expire_all()
    assert all(row.used_at is None for row in db.exec(select(RecoveryCode)).all())


def test_signing_out_everywhere_ends_every_session(jeanne, app):
    other_browser = PasskeyActions(app, app.test_client(), phone=jeanne.phone)
    assert other_browser.sign_in().status_code == 200
    assert other_browser.client.get("/me/").status_code == 200
    assert _form(jeanne, "/me/security/sign-out-everywhere").status_code == 302
    assert jeanne.signed_in_account_id() is None
    assert other_browser.client.get("/me/").headers["Location"].endswith("/sign-in")


def test_the_security_page_is_for_signed_in_people(client, demo):
    assert client.get("/me/security").headers["Location"].endswith("/sign-in")


def test_nobody_removes_someone_elses_passkey(jeanne, app, db):
    [passkey_id] = _passkey_ids(db, jeanne.account)
    claire = PasskeyActions(app, app.test_client())
    claire.account = persona(db, "claire")
    claire.register(claire.invite(claire.account))
    token = claire.csrf("/me/security")["X-CSRFToken"]
    response = claire.client.post(f"/me/security/passkeys/{passkey_id}/delete",
                                  data={"csrf_token": token})
    assert response.status_code == 404
    assert _passkey_ids(db, jeanne.account) == [passkey_id]
