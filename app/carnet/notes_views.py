"""The notebook page: read the notes (newest first, unread ones marked) and write one,
possibly in reply to a symptom report (from the professional's inbox)."""

from __future__ import annotations

from flask import abort, g, redirect, request, url_for
from sqlmodel import select

from .. import policy
from ..auth import login_required
from ..db import get_session
from ..models import AuditAction, Patient, Questionnaire, SymptomReport
from ..paging import page_number
from ..rendering import render
from ..types import utcnow
from . import bp, forms, notes
from .access import carnet_access, open_carnet


def _replied_report(patient: Patient, report_id: int | None
                    ) -> tuple[SymptomReport, Questionnaire] | None:
    """The report of this carnet a note answers, when the writer may read the reports.

    Nothing asked: None. A report that is not this carnet's, or one the writer may not
    read, answers 404 like any object out of reach; reading it is audited.
    """
    if report_id is None:
        return None
    db = get_session()
    row = db.exec(
        select(SymptomReport, Questionnaire)
        .join(Questionnaire, Questionnaire.id == SymptomReport.questionnaire_id)
        .where(SymptomReport.id == report_id, SymptomReport.patient_id == patient.id)
    ).first()
    if row is None:
        abort(404)
    report, questionnaire = row
    access = carnet_access()
    if not access.read("symptoms", "symptom_report", report.id):
        access.refuse("symptoms", AuditAction.READ)
    return report, questionnaire


def _notes_page(patient: Patient, form: forms.NoteForm, reply=None, status: int = 200):
    db = get_session()
    page = page_number()
    rows, pages = notes.page_of_notes(db, patient.id, page)
    visit = notes.visit(db, g.account, patient)
    read_until = visit.notes_read_at
    visit.notes_read_at = utcnow()
    return render(
        "carnet/notes.html", None, status, rows=rows, page=min(page, pages), pages=pages,
        read_until=read_until, reply=reply,
        may_write=policy.can(db, g.account, policy.WRITE, patient, "notes"),
        # A note about a report links to it for those who may read the reports.
        may_read_symptoms=policy.can(db, g.account, policy.READ, patient, "symptoms"),
        **form.page())


@bp.get("/carnet/<int:patient_id>/notes")
@login_required
def notes_page(patient_id: int):
    """The liaison notebook; with ``reply_to``, the form answers that symptom report."""
    patient = open_carnet(patient_id, "notes")
    reply = None
    if policy.can(get_session(), g.account, policy.WRITE, patient, "notes"):
        asked = forms.ReplyForm(request.args)
        if not asked.validate():
            abort(404)
        reply = _replied_report(patient, asked.reply_to.data)
    return _notes_page(patient, forms.NoteForm(), reply)


@bp.post("/carnet/<int:patient_id>/notes")
@login_required
def write_note(patient_id: int):
    """Write a note, maybe in reply to a report; everyone who reads the notebook is told."""
    patient = open_carnet(patient_id, "notes", policy.WRITE, change=AuditAction.CREATE)
    form = forms.NoteForm()
    written = form.validate()
    if form.symptom_report_id.errors:
        abort(404)
    reply = _replied_report(patient, form.symptom_report_id.data)
    if not written:
        return _notes_page(patient, form, reply, 400)
    notes.add_note(get_session(), patient, g.account, form.body.data,
                   symptom_report_id=reply[0].id if reply else None)
    return redirect(url_for("carnet.notes_page", patient_id=patient.id))
