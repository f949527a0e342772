"""Signing in with passkeys only: invitations, WebAuthn ceremonies, recovery, sessions."""

from flask import Blueprint, Flask

from .session import (
    load_account,
    login_required,
    own_patient,
    own_professional,
    require_professional,
    require_role,
    session_marker,
    sign_in,
    sign_out,
)

bp = Blueprint("auth", __name__)

from . import security_views, views  # noqa: E402, F401


def init_app(app: Flask) -> None:
    app.before_request(load_account)
    app.after_request(session_marker)


__all__ = [
    "bp",
    "init_app",
    "login_required",
    "own_patient",
    "own_professional",
    "require_professional",
    "require_role",
    "sign_in",
    "sign_out",
]
