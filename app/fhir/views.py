"""Downloading a carnet as a FHIR Bundle: the whole carnet for its patient ("My data", GDPR
art. 20), and for anyone else the sections the policy lets them read, each written in "Who
saw my carnet" as an EXPORT."""

from __future__ import annotations

import json

from flask import Response, g, request

from ..auth import login_required
from ..carnet.access import FHIR_EXPORT, may_read, open_carnet
from ..db import get_session
from ..policy import is_owner
from ..types import utcnow
from . import bp
from .bundle import build


@bp.get("/carnet/<int:patient_id>/export.fhir.json")
@login_required
def export(patient_id: int):
    patient = open_carnet(patient_id, export=FHIR_EXPORT)
    now = utcnow()
    bundle = build(get_session(), patient, lambda section: may_read(patient, section),
                   owner=is_owner(g.account, patient), namespace=request.url_root, now=now)
    # A file to keep: the day in its name, nothing of the person.
    name = f"carnet-{now.date().isoformat()}.fhir.json"
    return Response(json.dumps(bundle, ensure_ascii=False, indent=1),
                    mimetype="application/fhir+json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
