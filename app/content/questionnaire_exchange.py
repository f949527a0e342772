"""Questionnaires shared between territories as FHIR (SDC) files: any version downloads as
one; a French one uploads as a new draft, reviewed and published as usual. A file that is
not right is refused in words and nothing is stored."""

from __future__ import annotations

import json
import re

from flask import Response, g, redirect, render_template, request
from flask_babel import gettext as _

from ..db import get_session
from ..fhir.questionnaires import ImportFault, from_fhir, to_fhir
from ..symptoms.questionnaires import LANGUAGES, QuestionnaireError
from ..symptoms.questionnaires import check_questionnaire as check
from . import authoring
from . import questionnaire_drafts as editing
from .questionnaire_views import _questionnaire, _url
from .views import author_required

CANONICAL = re.compile(r"urn:carnet:questionnaire:([a-z][a-z0-9_]{0,59})")


@authoring.get("/questionnaires/<int:questionnaire_id>/export.fhir.json")
@author_required
def export_questionnaire(questionnaire_id: int):
    """This version as a FHIR Questionnaire (SDC), to share with another territory."""
    questionnaire = _questionnaire(questionnaire_id)
    name = f"{questionnaire.code}-{questionnaire.language}-{questionnaire.version}.fhir.json"
    return Response(json.dumps(to_fhir(questionnaire), ensure_ascii=False, indent=1),
                    mimetype="application/fhir+json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _form(errors: list[str], code: str = "", status: int = 200):
    return render_template("authoring/questionnaire_import.html", errors=errors, code=code), status


@authoring.get("/questionnaires/import")
@author_required
def import_form():
    return _form([])


@authoring.post("/questionnaires/import")
@author_required
def import_questionnaire():
    """A new draft from a FHIR Questionnaire file: of the questionnaire the file names (or
    the code given), its next version; refused in words, storing nothing, when anything is
    wrong."""
    code = request.form.get("code", "").strip()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ImportFault(_("Choose a file."))
        try:
            data = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ImportFault(_("The file is not a FHIR Questionnaire.")) from error
        if not code:  # the file's own; the format's checks say what a code may be
            found = CANONICAL.fullmatch(str(data.get("url", ""))) if isinstance(
                data, dict) else None
            code = found.group(1) if found else ""
        checked = check(from_fhir(data, code), languages=LANGUAGES)
    except ImportFault as fault:
        return _form([str(fault)], code, 400)
    except QuestionnaireError as error:
        return _form([str(fault) for fault in error.faults] or [str(error)], code, 400)
    try:
        draft = editing.imported(get_session(), checked, g.account)
    except editing.EditError as error:
        get_session().rollback()
        return _form(error.faults, code, 400)
    get_session().commit()
    return redirect(_url(draft), 303)
