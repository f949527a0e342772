"""Who is signed in: a session known to the server, carried by a signed cookie.

The cookie holds a random token; the server keeps its SHA-256 in an ``AccountSession`` row.
A session ends at sign-out, by "sign out of every device", when a passkey is removed from
another session, after its idle time (counted in the cookie, so that reading a page writes
nothing) or at its absolute lifetime — and a cookie copied before it ended is refused.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col, select

from ..db import get_session
from ..models import Account, AccountSession, CarnetVisit, Patient, Professional, Role
from ..tokens import digest
from ..types import utcnow

# Requests that never need to know who is signed in (demo.hello: the load benchmark's bare
# route, which exists in demo mode only).
ANONYMOUS_ENDPOINTS = {None, "static", "main.healthz", "main.service_worker", "main.manifest",
                       "demo.hello"}
PERSONAL_ROLES = (Role.PATIENT, Role.CAREGIVER)
REVERIFY_AFTER_SECONDS = 5 * 60


def idle_timeout(account: Account) -> int:
    """Seconds of inactivity after which ``account``'s session ends, by role."""
    config = current_app.config
    if account.role in PERSONAL_ROLES:
        return int(config["CARNET_IDLE_PERSONAL_SECONDS"])
    return int(config["CARNET_IDLE_PROFESSIONAL_SECONDS"])


def lifetime(account: Account) -> timedelta:
    """How long a session of ``account`` may last at most, however active, by role."""
    config = current_app.config
    if account.role in PERSONAL_ROLES:
        return timedelta(seconds=int(config["CARNET_SESSION_PERSONAL_SECONDS"]))
    return timedelta(seconds=int(config["CARNET_SESSION_PROFESSIONAL_SECONDS"]))



# Built once: on every signed-in request, building the statement and its cache key cost
# more than running it.
_SESSION_QUERY = (
    select(AccountSession, Account, Patient, Professional, CarnetVisit)
    .join(Account, col(Account.id) == AccountSession.account_id)
    .outerjoin(Patient, col(Patient.account_id) == Account.id)
    .outerjoin(Professional, col(Professional.account_id) == Account.id)
    .outerjoin(CarnetVisit, (col(CarnetVisit.patient_id) == Patient.id)
               & (col(CarnetVisit.account_id) == Account.id))
    .where(AccountSession.token_hash == sa.bindparam("token_hash"))
)


def load_account() -> None:
    """Set ``g.account`` (and ``g.account_session``) from the cookie's session, ending the
    session if it is unknown, ended, idle or too old."""
    g.account = None
    g.account_session = None
    if request.endpoint in ANONYMOUS_ENDPOINTS:
        return
    token = session.get("token")
    if token is None:
        if "account_id" in session:  # a cookie of before server-side sessions
            _clear_cookie()
        return
    db = get_session()
    # One round trip on every request, which also brings the account's carnet or
    # professional record (own_patient, own_professional) and a patient's visit of her own
    # carnet (notes.visit, on her home), each at most one row.
    found = db.exec(_SESSION_QUERY, params={"token_hash": digest(token)}).first()
    row, account, patient, professional, visit = found if found is not None else (None,) * 5
    if (
        row is None
        or account is None
        or row.ended_at is not None
        or row.expires_at <= utcnow()
        or not account.is_active
        or session.get("generation") != account.session_generation
    ):
        _clear_cookie()
        return
    now = int(time.time())
    if now - int(session.get("seen", 0)) > idle_timeout(account):
        _end(db, row)
        flash(_("You were signed out after a while without activity."))
        return
    if now - int(session.get("seen", 0)) > 60:  # refresh the cookie at most once a minute
        session["seen"] = now
    g.account = account
    g.account_session = row
    g.own = {Patient: patient, Professional: professional, CarnetVisit: visit}


def _clear_cookie() -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def _end(db, row: AccountSession) -> None:
    row.ended_at = utcnow()
    row.shown_once = {}
    db.add(row)
    db.commit()
    _clear_cookie()


def sign_in(account: Account, verified: bool = False) -> None:
    """Start a fresh session for ``account``: the old session's content is never re-used.

    ``verified`` says the person just proved themselves (passkey or recovery code), which
    spares them a second passkey check for sensitive changes in the next minutes.
    """
    db = get_session()
    if g.get("account_session") is not None:
        g.account_session.ended_at = utcnow()
        db.add(g.account_session)
    _clear_cookie()
    token = secrets.token_urlsafe(32)
    started = utcnow()
    row = AccountSession(token_hash=digest(token), account_id=account.id, created_at=started,
                         expires_at=started + lifetime(account))
    db.add(row)
    now = int(time.time())
    session["token"] = token
    session["generation"] = account.session_generation
    session["seen"] = now
    if verified:
        session["verified_at"] = now
    session.permanent = account.role in PERSONAL_ROLES
    account.last_seen_at = started
    db.commit()
    g.account, g.account_session = account, row
    g.pop("own", None)  # what load_account found was another account's


def sign_out() -> None:
    """End this browser's session, here and on the server."""
    row = g.get("account_session")
    if row is not None:
        _end(get_session(), row)
    else:
        _clear_cookie()
    g.account = g.account_session = None
    g.pop("own", None)


def end_other_sessions(account: Account) -> None:
    """End every session of ``account`` but this one (the caller commits)."""
    current = g.get("account_session")
    get_session().exec(
        sa.update(AccountSession)
        .where(col(AccountSession.account_id) == account.id,
               col(AccountSession.ended_at).is_(None),
               col(AccountSession.id) != (current.id if current is not None else -1))
        .values(ended_at=utcnow(), shown_once={}))


def show_once(key: str, value) -> None:
    """Keep ``value`` for the next page of this session only (a secret it shows once).

    It lives in the server's session row, never in the cookie, which is signed but not
    encrypted. The caller commits.
    """
    row = g.account_session
    row.shown_once = {**row.shown_once, key: value}
    flag_modified(row, "shown_once")
    get_session().add(row)


def take_shown(key: str):
    """The value kept by ``show_once`` under ``key``, forgotten as it is read."""
    row = g.get("account_session")
    if row is None or key not in row.shown_once:
        return None
    shown = dict(row.shown_once)
    value = shown.pop(key)
    g.shown_once = True  # this page holds a secret: not for the offline copy (session_marker)
    row.shown_once = shown
    flag_modified(row, "shown_once")
    db = get_session()
    db.add(row)
    db.commit()
    return value


def session_marker(response: Response) -> Response:
    """Tell the service worker whose session a page belongs to, and until when.

    It keeps a visited page for offline reading only under these, never shows it to another
    session or past the end given here, and empties its cache when they change.
    """
    row = g.get("account_session")
    account = g.get("account")
    if row is None or account is None:
        return response
    key = current_app.config["SECRET_KEY"].encode()
    marker = hmac.new(key, f"sw-marker:{row.token_hash}".encode(), "sha256").hexdigest()[:32]
    idle_end = int(session.get("seen", time.time())) + idle_timeout(account)
    ends = min(idle_end, int(row.expires_at.timestamp()))
    response.headers["X-Carnet-Session"] = marker
    response.headers["X-Carnet-Account"] = str(account.id)
    response.headers["X-Carnet-Session-Ends"] = str(ends)
    if g.get("shown_once"):
        # A secret shown once (a link's key, recovery codes) stays out of the service
        # worker's offline copy too: "shown only now" is true on this phone as well.
        response.headers["X-Carnet-Offline"] = "no"
    return response


def idle_warning() -> tuple[int, int] | None:
    """(seconds left before this session ends for want of activity, the whole idle time),
    on the pages of someone whose session ends after minutes (professionals: 30): their
    page warns them before it happens and lets them stay (WCAG 2.2.1). None for others."""
    account = g.get("account")
    if account is None or g.get("account_session") is None or account.role in PERSONAL_ROLES:
        return None
    idle = idle_timeout(account)
    return max(0, int(session.get("seen", time.time())) + idle - int(time.time())), idle


def keep_alive() -> None:
    """Count this moment as activity: "Stay signed in" on the idle warning."""
    session["seen"] = int(time.time())


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


def _own(account: Account | None, role: Role, model):
    if account is None or account.role != role:
        return None
    if account is g.get("account") and "own" in g:  # found with the session
        return g.own[model]
    return get_session().exec(select(model).where(model.account_id == account.id)).first()


def own_patient(account: Account | None) -> Patient | None:
    """The carnet that belongs to ``account``, when it is a patient's."""
    return _own(account, Role.PATIENT, Patient)


def own_professional(account: Account | None) -> Professional | None:
    """The professional record of ``account``, when it is a professional's."""
    return _own(account, Role.PROFESSIONAL, Professional)


def require_professional() -> Professional:
    """The signed-in professional's record; 404 for anyone else (refusal is silent)."""
    professional = own_professional(require_role(Role.PROFESSIONAL))
    if professional is None:
        abort(404)
    return professional
