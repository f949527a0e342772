"""What the patient controls and can check: who saw the carnet, and the consent decisions."""

from flask import Blueprint

bp = Blueprint("consent", __name__)

from . import request_views, views  # noqa: E402, F401
