"""Demo sign-in, registered only when CARNET_DEMO=1, otherwise the route does not exist."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlmodel import select

from ..auth import sign_in
from ..db import get_session
from ..ids import parse_id
from ..models import Account, Role

bp = Blueprint("demo", __name__, url_prefix="/demo")

ROLE_ORDER = [Role.PATIENT, Role.CAREGIVER, Role.PROFESSIONAL, Role.EDITOR, Role.ADMIN]


@bp.get("/")
def index():
    """The demo's people, grouped by role, each with a sign-in button."""
    accounts = get_session().exec(
        select(Account).where(Account.email.endswith("@example.org"))  # type: ignore[attr-defined]
        .order_by(Account.id)
    ).all()
    groups = [(role, [a for a in accounts if a.role == role]) for role in ROLE_ORDER]
    return render_template("demo/index.html", groups=[(r, a) for r, a in groups if a])


@bp.post("/sign-in")
def sign_in_as():
    """Sign in as one of the demo's people, or of a made-up big territory's (``example.net``,
    not listed: the load benchmark signs them in by their account's id)."""
    account_id = parse_id(request.form.get("account_id"))
    account = get_session().get(Account, account_id) if account_id else None
    if account is None or not account.email.endswith(("@example.org", "@example.net")):
        abort(404)
    sign_in(account)
    return redirect(url_for("main.home"))


@bp.get("/hello")
def hello():
    """A bare answer through the same app, hooks and server: the load benchmark's yardstick
    for what a page costs above the minimum (benchmarks/load.py)."""
    return "hello", 200, {"Content-Type": "text/plain; charset=utf-8"}
