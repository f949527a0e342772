"""Content co-written with patient associations: educational pages and questionnaires.

Two blueprints: ``authoring`` (/authoring), where editors and professionals write,
review and publish; ``understand``, where patients and caregivers read the published
pages and say whether they were clear. Nothing here reads a patient's data, except the
list of pages for one carnet's conditions, which asks the access policy first.
"""

from flask import Blueprint

authoring = Blueprint("authoring", __name__, url_prefix="/authoring")
understand = Blueprint("understand", __name__)

from . import (  # noqa: E402, F401
    page_views,
    questionnaire_exchange,
    questionnaire_views,
    understand_views,
    views,
)
