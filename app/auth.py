"""Who is signed in: the session, sign-in and sign-out.

Passkeys arrive with the passkey issue; until then the demo sign-in is the only way in.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, session, url_for
from sqlmodel import select

from .db import get_session
from .models import Account, Patient, Professional, Role
from .types import utcnow

bp = Blueprint("auth", __name__)


def _load_account() -> None:
    g.account = None
    account_id = session.get("account_id")
    if account_id is None:
        return
    account = get_session().get(Account, account_id)
    if (
        account is None
        or not account.is_active
        or session.get("generation") != account.session_generation
    ):
        session.clear()
        return
    g.account = account


def sign_in(account: Account) -> None:
    """Start a fresh session for ``account`` (a new session, never the old one re-used)."""
    locale = session.get("locale")
    session.clear()
    session["account_id"] = account.id
    session["generation"] = account.session_generation
    if locale:
        session["locale"] = locale
    session.permanent = account.role in (Role.PATIENT, Role.CAREGIVER)
    account.last_seen_at = utcnow()
    get_session().commit()


def login_required(view):
    """Send visitors who are not signed in to the sign-in page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("account") is None:
            return redirect(url_for("auth.sign_in_page"))
        return view(*args, **kwargs)

    return wrapped


def own_patient(account: Account | None) -> Patient | None:
    """The carnet that belongs to ``account``, when it is a patient's."""
    if account is None or account.role != Role.PATIENT:
        return None
    return get_session().exec(select(Patient).where(Patient.account_id == account.id)).first()


def own_professional(account: Account | None) -> Professional | None:
    if account is None or account.role != Role.PROFESSIONAL:
        return None
    return get_session().exec(
        select(Professional).where(Professional.account_id == account.id)
    ).first()


@bp.get("/sign-in")
def sign_in_page():
    """The sign-in page."""
    if g.get("account") is not None:
        return redirect(url_for("main.home"))
    return render_template("auth/sign_in.html")


@bp.post("/sign-out")
def sign_out():
    """End this browser's session."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    return redirect(url_for("auth.sign_in_page"))


def require_role(*roles: Role):
    """Answer 404 to accounts of other roles (refusal is silent)."""
    account = g.get("account")
    if account is None or account.role not in roles:
        abort(404)
    return account


def init_app(app: Flask) -> None:
    @app.before_request
    def _before():
        if request.endpoint in (None, "static", "main.healthz", "main.service_worker"):
            g.account = None
            return
        _load_account()
