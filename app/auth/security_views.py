""""Me → Security": passkeys, recovery codes, signing out everywhere.

Removing a passkey and making new recovery codes need a passkey check from the last
five minutes; the page's script asks for one when needed and sends it with the form.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from ..db import get_session
from ..models import ChallengePurpose, Passkey
from . import bp, passkeys, recovery
from .session import (
    end_other_sessions,
    login_required,
    mark_verified,
    recently_verified,
    session_binding,
    show_once,
    sign_out,
    take_shown,
)
from .views import canonical_host, json_credential, refused

NAME_MAX = 80


def _own_passkey(passkey_id: int) -> Passkey:
    passkey = get_session().get(Passkey, passkey_id)
    if passkey is None or passkey.account_id != g.account.id:
        abort(404)
    return passkey


def _reverified() -> bool:
    """Recently verified, or a passkey assertion for this account came with the form."""
    if recently_verified():
        return True
    assertion = request.form.get("assertion", "")
    if not assertion:
        return False
    try:
        passkeys.finish_authentication(get_session(), session_binding(), assertion,
                                       ChallengePurpose.REAUTHENTICATE, account=g.account)
    except passkeys.PasskeyError as error:
        flash(str(error))
        return False
    mark_verified()
    return True


def _security_page(status: int = 200, **errors):
    db = get_session()
    keys = db.exec(
        select(Passkey).where(Passkey.account_id == g.account.id).order_by(Passkey.id)
    ).all()
    return render_template(
        "auth/security.html", passkeys=keys, codes_left=recovery.remaining(db, g.account),
        new_codes=take_shown("new_recovery_codes"), errors=errors,
        name_max=NAME_MAX, needs_passkey_check=not recently_verified(),
    ), status


@bp.get("/me/security")
@login_required
def security():
    """The account's passkeys and recovery codes."""
    return canonical_host() or _security_page()


@bp.post("/me/security/passkeys/options")
@login_required
def add_passkey_options():
    """Options to add one more passkey (another phone, a tablet)."""
    return jsonify(passkeys.registration_options(get_session(), g.account, session_binding()))


@bp.post("/me/security/passkeys")
@login_required
def add_passkey():
    """Keep the new passkey."""
    try:
        body = json_credential()
        passkeys.finish_registration(get_session(), g.account, session_binding(),
                                     body["credential"], str(body.get("name") or _("Passkey")))
    except passkeys.PasskeyError as error:
        return refused(str(error))
    flash(_("Your new passkey is ready."))
    return jsonify(redirect=url_for("auth.security"))


@bp.post("/me/security/passkeys/<int:passkey_id>/rename")
@login_required
def rename_passkey(passkey_id: int):
    """Give a passkey a name one recognises ("Mon téléphone")."""
    passkey = _own_passkey(passkey_id)
    name = request.form.get("name", "").strip()
    if not name or len(name) > NAME_MAX:
        return _security_page(400, rename=(passkey_id, _(
            "Give a name of 1 to %(max)d characters.", max=NAME_MAX)))
    passkey.name = name
    get_session().commit()
    flash(_("Passkey renamed."))
    return redirect(url_for("auth.security"))


@bp.post("/me/security/passkeys/<int:passkey_id>/delete")
@login_required
def remove_passkey(passkey_id: int):
    """Remove a passkey — never the last one, unless recovery codes remain."""
    db = get_session()
    passkey = _own_passkey(passkey_id)
    if not _reverified():
        return _security_page(403, reverify=_("Confirm with your passkey first."))
    others = db.exec(
        select(sa.func.count()).select_from(Passkey).where(
            Passkey.account_id == g.account.id, Passkey.id != passkey.id)
    ).one()
    if others == 0 and recovery.remaining(db, g.account) == 0:
        return _security_page(400, remove=(passkey_id, _(
            "This is your only passkey: without it you could not sign in again. "
            "Add another passkey or make recovery codes first.")))
    db.delete(passkey)
    # A lost phone may still be signed in: removing one of its passkeys ends it there too.
    end_other_sessions(g.account)
    db.commit()
    flash(_("Passkey removed."))
    return redirect(url_for("auth.security"))


@bp.post("/me/security/recovery-codes")
@login_required
def make_recovery_codes():
    """Make ten new recovery codes (the old ones stop working) and show them once."""
    if not _reverified():
        return _security_page(403, reverify=_("Confirm with your passkey first."))
    show_once("new_recovery_codes", recovery.new_codes(get_session(), g.account))
    get_session().commit()
    return redirect(url_for("auth.security"))


@bp.post("/me/security/verify/options")
@login_required
def reverify_options():
    """A challenge for one of this account's passkeys, before a sensitive change."""
    return jsonify(passkeys.authentication_options(
        get_session(), session_binding(), ChallengePurpose.REAUTHENTICATE, g.account))


@bp.post("/me/security/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """End every session of this account, on every device."""
    g.account.session_generation += 1
    end_other_sessions(g.account)
    get_session().commit()
    sign_out()
    flash(_("You are signed out on all your devices."))
    return redirect(url_for("auth.sign_in_page"))
