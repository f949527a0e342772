"""Who is signed in: the signed-cookie session, its rotation and its idle timeout."""

from __future__ import annotations

import secrets
import time
from functools import wraps

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlmodel import select

from ..db import get_session
from ..models import Account, Patient, Professional, Role
from ..types import utcnow

# Requests that never need to know who is signed in.
ANONYMOUS_ENDPOINTS = {None, "static", "main.healthz", "main.service_worker", "main.manifest"}
PERSONAL_ROLES = (Role.PATIENT, Role.CAREGIVER)
REVERIFY_AFTER_SECONDS = 5 * 60


def idle_timeout(account: Account) -> int:
    """Seconds of inactivity after which ``account``'s session ends, by role."""
    config = current_app.config
    if account.role in PERSONAL_ROLES:
        return int(config["CARNET_IDLE_PERSONAL_SECONDS"])
    return int(config["CARNET_IDLE_PROFESSIONAL_SECONDS"])


def load_account() -> None:
    """Set ``g.account`` from the session, ending the session if it is void or idle."""
    g.account = None
    if request.endpoint in ANONYMOUS_ENDPOINTS:
        return
    account_id = session.get("account_id")
    if account_id is None:
        return
    account = get_session().get(Account, account_id)
    now = int(time.time())
    if (
        account is None
        or not account.is_active
        or session.get("generation") != account.session_generation
    ):
        _end_session()
        return
    if now - int(session.get("seen", 0)) > idle_timeout(account):
        _end_session()
        flash(_("You were signed out after a while without activity."))
        return
    if now - int(session.get("seen", 0)) > 60:  # refresh the cookie at most once a minute
        session["seen"] = now
    g.account = account


def _end_session() -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def sign_in(account: Account, verified: bool = False) -> None:
    """Start a fresh session for ``account``: the old session's content is never re-used.

    ``verified`` says the person just proved themselves (passkey or recovery code), which
    spares them a second passkey check for sensitive changes in the next minutes.
    """
    _end_session()
    now = int(time.time())
    session["account_id"] = account.id
    session["generation"] = account.session_generation
    session["seen"] = now
    if verified:
        session["verified_at"] = now
    session.permanent = account.role in PERSONAL_ROLES
    account.last_seen_at = utcnow()
    get_session().commit()


def sign_out() -> None:
    """End this browser's session."""
    _end_session()


def recently_verified() -> bool:
    """Did this session prove its passkey (or a recovery code) within the last 5 minutes?"""
    return int(time.time()) - int(session.get("verified_at", 0)) <= REVERIFY_AFTER_SECONDS


def mark_verified() -> None:
    session["verified_at"] = int(time.time())


def session_binding() -> str:
    """A random value tying server-side state (WebAuthn challenges) to this browser session."""
    if "binding" not in session:
        session["binding"] = secrets.token_urlsafe(24)
    return session["binding"]


def login_required(view):
    """Send visitors who are not signed in to the sign-in page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("account") is None:
            return redirect(url_for("auth.sign_in_page"))
        return view(*args, **kwargs)

    return wrapped


def require_role(*roles: Role) -> Account:
    """The signed-in account if it has one of ``roles``; 404 otherwise (refusal is silent)."""
    account = g.get("account")
    if account is None or account.role not in roles:
        abort(404)
    return account


def own_patient(account: Account | None) -> Patient | None:
    """The carnet that belongs to ``account``, when it is a patient's."""
    if account is None or account.role != Role.PATIENT:
        return None
    return get_session().exec(select(Patient).where(Patient.account_id == account.id)).first()


def own_professional(account: Account | None) -> Professional | None:
    """The professional record of ``account``, when it is a professional's."""
    if account is None or account.role != Role.PROFESSIONAL:
        return None
    return get_session().exec(
        select(Professional).where(Professional.account_id == account.id)
    ).first()
