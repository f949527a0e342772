"""The carnet in HL7 FHIR R4: the patient's export of her data, a professional's export
of what he may see (bundle.py builds it, views.py hands it over), and the hand-over by QR
code (SMART Health Links: health_links.py, health_link_views.py)."""

from flask import Blueprint

bp = Blueprint("fhir", __name__)

from . import health_link_views, views  # noqa: E402, F401
