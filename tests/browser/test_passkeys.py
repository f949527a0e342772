"""Passkeys in a real Chromium: an invitation, signing in, a second device, recovery codes.

Chromium's virtual authenticators (the CDP WebAuthn domain) play the phones: each holds
discoverable passkeys, "reads the fingerprint" and answers at once. Passkeys need a host
name, so these tests use the app served at http://localhost:<port> (``localhost_server``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.auth import session as auth_session
from app.auth.invitations import create_invitation
from app.models import InvitationKind
from tests.conftest import persona

from .conftest import assert_accessible, follow, new_context

PHONE = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
         "hasUserVerification": True, "isUserVerified": True,
         "automaticPresenceSimulation": True}

# A virtual authenticator answers the sign-in page's passkey autofill by itself, at once: the
# page would sign in before its button could be pressed. So these pages run as on a browser
# without autofill; test_the_sign_in_page_offers_jeannes_passkey_by_autofill covers it.
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"

HOME = re.compile(r"^http://localhost:\d+/$")
SIGN_IN = re.compile(r"/sign-in$")
SECURITY = re.compile(r"/me/security$")

FULL_NAMES = {"jeanne": "Jeanne Martin", "claire": "Claire Martin"}

WORDS = {"create": "Créer ma clé d’accès", "sign in": "Se connecter avec une clé d’accès"}


class Authenticators:
    """The virtual authenticators of one page: phones or tablets, put away by removing them."""

    def __init__(self, page: Page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")

    def add(self) -> str:
        reply = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": PHONE})
        return reply["authenticatorId"]

    def remove(self, authenticator: str) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})

    def passkeys(self, authenticator: str) -> list[dict]:
        reply = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        return reply["credentials"]


@pytest.fixture
def page(browser, localhost_server, demo) -> Iterator[Page]:
    """A page on the localhost origin, in French, without passkey autofill."""
    context = new_context(browser, localhost_server.url)
    context.add_init_script(NO_AUTOFILL)
    yield context.new_page()
    context.close()


@pytest.fixture
def authenticators(page) -> Authenticators:
    return Authenticators(page)


def invitation_path(app, name: str, kind: InvitationKind = InvitationKind.PATIENT) -> str:
    """The link of a new invitation for the demo's ``name`` (demo accounts have no passkey)."""
    with app.app_context(), Session(app.extensions["carnet.engine"]) as db:
        _, token = create_invitation(db, persona(db, name), kind)
        db.commit()
    return f"/invite/{token}"


def accept_invitation(page: Page, app, name: str, device: str,
                      kind: InvitationKind = InvitationKind.PATIENT) -> None:
    """``name`` opens an invitation, names the device and creates a passkey: signed in."""
    page.goto(invitation_path(app, name, kind))
    assert_accessible(page)
    page.locator("#passkey-name").fill(device)
    follow(page, 'button[data-passkey="create"]')  # the script opens the home once it is made
    expect(page.locator(".site-header__who")).to_have_text(FULL_NAMES[name])


def sign_out(page: Page) -> None:
    page.goto("/me/security")
    follow(page, 'form[action="/sign-out"] button')
    expect(page).to_have_url(SIGN_IN)


def sign_in_with_passkey(page: Page) -> None:
    follow(page, 'button[data-passkey="sign-in"]')
    expect(page).to_have_url(HOME)


def passkey_list(page: Page):
    """The entries of "My passkeys" on the security page (one "Remove" form each)."""
    return page.locator("li", has=page.locator('form[action$="/delete"]'))


@pytest.mark.browser
def test_jeanne_creates_her_passkey_from_her_invitation_and_signs_in_with_it(
    page, authenticators, localhost_app
):
    phone = authenticators.add()
    invitation = invitation_path(localhost_app, "jeanne")
    page.goto(invitation)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jeanne Martin")
    assert_accessible(page)

    create = page.locator('button[data-passkey="create"]')
    expect(create).to_have_text(WORDS["create"])
    follow(page, create)
    expect(page).to_have_url(HOME)
    expect(page.locator(".site-header__who")).to_have_text("Jeanne Martin")
    assert len(authenticators.passkeys(phone)) == 1

    page.goto("/me/security")
    expect(passkey_list(page)).to_have_count(1)
    assert_accessible(page)
    follow(page, 'form[action="/sign-out"] button')
    expect(page).to_have_url(SIGN_IN)
    expect(page.locator(".site-header__who")).to_have_count(0)
    assert_accessible(page)

    sign_in = page.locator('button[data-passkey="sign-in"]')
    expect(sign_in).to_have_text(WORDS["sign in"])
    follow(page, sign_in)
    expect(page).to_have_url(HOME)
    expect(page.locator(".site-header__who")).to_have_text("Jeanne Martin")
    assert_accessible(page)

    response = page.goto(invitation)  # an invitation works once
    assert response.status == 404
    expect(page.locator('button[data-passkey="create"]')).to_have_count(0)
    assert_accessible(page)


@pytest.mark.browser
def test_a_passkey_added_on_a_tablet_from_security_signs_in_too(
    page, authenticators, localhost_app
):
    phone = authenticators.add()
    accept_invitation(page, localhost_app, "jeanne", "Téléphone de Jeanne")
    page.goto("/me/security")
    authenticators.remove(phone)  # left at home: only the tablet can answer
    tablet = authenticators.add()

    page.locator("#passkey-name").fill("Tablette de Jeanne")
    follow(page, 'button[data-passkey="create"]')
    expect(passkey_list(page)).to_have_count(2)
    expect(page).to_have_url(SECURITY)
    expect(passkey_list(page).nth(1)).to_contain_text("Tablette de Jeanne")
    assert_accessible(page)
    [passkey] = authenticators.passkeys(tablet)

    sign_out(page)
    sign_in_with_passkey(page)
    expect(page.locator(".site-header__who")).to_have_text("Jeanne Martin")
    assert authenticators.passkeys(tablet)[0]["signCount"] > passkey["signCount"]


@pytest.mark.browser
def test_jeanne_confirms_with_her_tablet_before_removing_her_old_phone_passkey(
    page, authenticators, localhost_app, monkeypatch
):
    phone = authenticators.add()
    accept_invitation(page, localhost_app, "jeanne", "Téléphone de Jeanne")
    page.goto("/me/security")
    authenticators.remove(phone)
    tablet = authenticators.add()
    page.locator("#passkey-name").fill("Tablette de Jeanne")
    follow(page, 'button[data-passkey="create"]')
    expect(passkey_list(page)).to_have_count(2)
    [passkey] = authenticators.passkeys(tablet)

    # Five minutes later: her sign-in no longer vouches for her, a passkey must.
    monkeypatch.setattr(auth_session, "REVERIFY_AFTER_SECONDS", -1)
    page.reload()
    old_phone = passkey_list(page).filter(has_text="Téléphone de Jeanne")
    follow(page, old_phone.locator('form[action$="/delete"] button'))  # after the tablet says yes
    expect(passkey_list(page)).to_have_count(1)
    expect(passkey_list(page)).to_contain_text("Tablette de Jeanne")
    assert_accessible(page)
    assert authenticators.passkeys(tablet)[0]["signCount"] > passkey["signCount"]


@pytest.mark.browser
def test_claire_cannot_remove_her_only_passkey_while_she_has_no_recovery_codes(
    page, authenticators, localhost_app
):
    authenticators.add()
    accept_invitation(page, localhost_app, "claire", "Mon téléphone", InvitationKind.CAREGIVER)
    page.goto("/me/security")

    removal = follow(page, passkey_list(page).locator('form[action$="/delete"] button'))
    assert re.search(r"/delete$", removal.url) and removal.status == 400
    expect(passkey_list(page)).to_have_count(1)
    expect(passkey_list(page).locator(".field-error[role=alert]")).to_be_visible()
    assert_accessible(page)


@pytest.mark.browser
def test_jeanne_who_lost_her_phone_signs_in_once_with_a_recovery_code(
    page, authenticators, localhost_app
):
    phone = authenticators.add()
    accept_invitation(page, localhost_app, "jeanne", "Téléphone de Jeanne")
    page.goto("/me/security")
    follow(page, 'form[action="/me/security/recovery-codes"] button')
    expect(page.locator("ol.codes code")).to_have_count(10)
    assert_accessible(page)
    codes = page.locator("ol.codes code").all_inner_texts()
    page.reload()  # shown once
    expect(page.locator("ol.codes code")).to_have_count(0)

    authenticators.remove(phone)  # lost
    sign_out(page)
    page.locator("#recovery-code").fill(codes[0])
    follow(page, 'form[action="/sign-in/recovery"] button')
    expect(page).to_have_url(SECURITY)
    expect(page.locator(".site-header__who")).to_have_text("Jeanne Martin")
    expect(page.locator("p.banner[role=status]")).to_be_visible()  # the flash, not #announcer
    assert_accessible(page)

    # The code just proved her: removing the lost phone's passkey asks for no passkey.
    follow(page, passkey_list(page).locator('form[action$="/delete"] button'))
    expect(passkey_list(page)).to_have_count(0)

    sign_out(page)
    page.locator("#recovery-code").fill(codes[0])
    attempt = follow(page, 'form[action="/sign-in/recovery"] button')
    assert re.search(r"/sign-in/recovery$", attempt.url) and attempt.status == 400
    expect(page.locator("#recovery-error")).to_be_visible()
    expect(page.locator("#recovery-code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".site-header__who")).to_have_count(0)
    assert_accessible(page)


@pytest.mark.browser
def test_the_sign_in_page_offers_jeannes_passkey_by_autofill(
    browser, localhost_server, localhost_app, demo
):
    context = new_context(browser, localhost_server.url)
    page = context.new_page()
    Authenticators(page).add()
    accept_invitation(page, localhost_app, "jeanne", "Téléphone de Jeanne")
    page.goto("/me/security")
    # Signed out, then at once signed in again from the sign-in field's passkey autofill.
    follow(page, 'form[action="/sign-out"] button', url=HOME)
    expect(page).to_have_url(HOME)
    expect(page.locator(".site-header__who")).to_have_text("Jeanne Martin")
    context.close()
