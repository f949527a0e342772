"""(being written) Authoring of symptom questionnaires."""

from flask import abort

from . import authoring


@authoring.get("/questionnaires/<int:questionnaire_id>")
def questionnaire(questionnaire_id: int):
    abort(404)
