"""Sign-in, sign-out and invitations: the pages, and the JSON steps of the passkey ceremonies."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..db import get_session
from ..models import ChallengePurpose
from ..security import limiter
from . import bp, passkeys, recovery
from .invitations import InvitationError, usable_invitation
from .session import keep_alive, login_required, session_binding, sign_in, sign_out

# One budget for every way of signing in from one client.
sign_in_limit = limiter.shared_limit(lambda: current_app.config["CARNET_SIGN_IN_LIMIT"],
                                     scope="sign-in")
invitation_limit = limiter.shared_limit(lambda: current_app.config["CARNET_INVITATION_LIMIT"],
                                        scope="invitation")


def canonical_host():
    """Passkeys belong to a host name (never an IP address): send the browser there."""
    origin = urlsplit(current_app.config["CARNET_ORIGIN"])
    if request.host != origin.netloc and request.host.split(":")[0] != passkeys.rp_id():
        return redirect(f"{origin.scheme}://{origin.netloc}{request.full_path.rstrip('?')}")
    return None


def json_credential() -> dict:
    """The credential JSON of a ceremony step; PasskeyError (a 400) if it cannot be read."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        raise passkeys.PasskeyError(_("The answer of your passkey could not be read. "
                                      "Please try again."))
    return body


def refused(message: str, status: int = 400):
    return jsonify(error=message), status


@bp.get("/sign-in")
def sign_in_page():
    """Sign in with a passkey (or a recovery code)."""
    if g.get("account") is not None:
        return redirect(url_for("main.home"))
    return canonical_host() or render_template("auth/sign_in.html")


@bp.post("/sign-in/options")
@sign_in_limit
def sign_in_options():
    """Step 1 of a discoverable sign-in: a challenge for any passkey of Carnet."""
    return jsonify(passkeys.authentication_options(
        get_session(), session_binding(), ChallengePurpose.AUTHENTICATE))


@bp.post("/sign-in/verify")
@sign_in_limit
def sign_in_verify():
    """Step 2: check the passkey's answer, then open a new session."""
    try:
        account = passkeys.finish_authentication(get_session(), session_binding(),
                                                 json_credential()["credential"],
                                                 ChallengePurpose.AUTHENTICATE)
    except passkeys.PasskeyError as error:
        return refused(str(error))
    sign_in(account, verified=True)
    return jsonify(redirect=url_for("main.home"))


@bp.post("/sign-in/recovery")
@sign_in_limit
def sign_in_with_recovery_code():
    """Sign in once with a recovery code, then go and create a new passkey."""
    account = recovery.use_code(get_session(), request.form.get("code", ""))
    if account is None:
        error = _("This code is not valid, or it has already been used.")
        return render_template("auth/sign_in.html", recovery_error=error), 400
    sign_in(account, verified=True)
    flash(_("You are signed in with a recovery code. Create a new passkey now: "
            "each code works only once."))
    return redirect(url_for("auth.security"))


@bp.post("/session/keep")
@login_required
def keep_session():
    """The idle warning's "Stay signed in": the session goes on (JavaScript only, 204)."""
    keep_alive()
    return "", 204


@bp.post("/sign-out", endpoint="sign_out")
def sign_out_view():
    """End this browser's session."""
    sign_out()
    return redirect(url_for("auth.sign_in_page"))


@bp.get("/invite/<token>")
@invitation_limit
def invitation(token: str):
    """Who the invitation is for, and a button to create a passkey."""
    redirect_elsewhere = canonical_host()
    if redirect_elsewhere:
        return redirect_elsewhere
    try:
        invitation, account = usable_invitation(get_session(), token)
    except InvitationError as error:
        return render_template("auth/invitation_invalid.html", message=str(error)), 404
    return render_template("auth/invitation.html", invitation=invitation, invitee=account,
                           token=token)


@bp.post("/invite/<token>/options")
@invitation_limit
def invitation_options(token: str):
    """Registration step 1: options for a new passkey of the invited account."""
    db = get_session()
    try:
        invitation, account = usable_invitation(db, token)
    except InvitationError as error:
        return refused(str(error), 404)
    return jsonify(passkeys.registration_options(db, account, session_binding(), invitation.id))


@bp.post("/invite/<token>/register")
@invitation_limit
def invitation_register(token: str):
    """Registration step 2: keep the passkey, spend the invitation, sign in."""
    db = get_session()
    try:
        body = json_credential()
        invitation, account = usable_invitation(db, token)
        passkeys.finish_registration(db, account, session_binding(), body["credential"],
                                     str(body.get("name") or _("My phone")), invitation)
    except InvitationError as error:
        return refused(str(error), 404)
    except passkeys.PasskeyError as error:
        return refused(str(error))
    sign_in(account, verified=True)
    return jsonify(redirect=url_for("main.home"))
