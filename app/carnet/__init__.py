"""The shared carnet: home, care team, care plan, appointments — seen from every side."""

from flask import Blueprint

bp = Blueprint("carnet", __name__)

from . import appointment_views, my_day_views, notes_views, plan_views, views  # noqa: E402, F401
