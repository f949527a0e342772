"""The shared carnet: home, care team, care plan, appointments — seen from every side."""

from flask import Blueprint

bp = Blueprint("carnet", __name__)

from . import views  # noqa: E402, F401
