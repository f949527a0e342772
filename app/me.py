""""Me": the signed-in person's own settings."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from .auth import login_required, own_patient

bp = Blueprint("me", __name__, url_prefix="/me")


@bp.get("/")
@login_required
def index():
    """Language, security, and — for a patient — who saw the carnet and their decisions."""
    return render_template("me/index.html", own_carnet=own_patient(g.account))
