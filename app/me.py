""""Me": the signed-in person's own settings."""

from __future__ import annotations

from flask import Blueprint, render_template

from .auth import login_required

bp = Blueprint("me", __name__, url_prefix="/me")


@bp.get("/")
@login_required
def index():
    """Language, and signing out."""
    return render_template("me/index.html")
