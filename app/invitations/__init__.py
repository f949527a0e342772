"""Inviting people: a patient (which opens a carnet), a professional, a caregiver.

``people.py`` creates the account an invitation is for (or finds it) and what goes with
it; ``views.py`` shows its link and QR code once to the person who will hand it over (at
the patient's home, say); the token itself is made and spent in ``app/auth/invitations.py``.
"""

from flask import Blueprint

bp = Blueprint("invitations", __name__)

from . import views  # noqa: E402, F401
