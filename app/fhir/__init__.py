"""The carnet in HL7 FHIR R4: the patient's export of her data, a professional's export
of what he may see (bundle.py builds it, views.py hands it over)."""

from flask import Blueprint

bp = Blueprint("fhir", __name__)

from . import views  # noqa: E402, F401
