"""The notebook page: read the notes (newest first, unread ones marked) and write one."""

from __future__ import annotations

from flask import g, redirect, request, url_for

from .. import policy
from ..auth import login_required
from ..db import get_session
from ..rendering import render
from ..types import utcnow
from . import bp, notes
from .access import open_carnet


def _page_number() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and int(page) > 0 else 1


def _notes_page(patient, status: int = 200, errors=None, values=None):
    db = get_session()
    page = _page_number()
    rows, pages = notes.page_of_notes(db, patient.id, page)
    visit = notes.visit(db, g.account, patient)
    read_until = visit.notes_read_at
    visit.notes_read_at = utcnow()
    context = {
        "rows": rows, "page": min(page, pages), "pages": pages, "read_until": read_until,
        "may_write": policy.can(db, g.account, policy.WRITE, patient, "notes"),
        "errors": errors or {}, "values": values or {},
    }
    db.commit()
    return render("carnet/notes.html", None, status, **context)


@bp.get("/carnet/<int:patient_id>/notes")
@login_required
def notes_page(patient_id: int):
    """The liaison notebook."""
    return _notes_page(open_carnet(patient_id, "notes"))


@bp.post("/carnet/<int:patient_id>/notes")
@login_required
def write_note(patient_id: int):
    """Write a note; everyone who reads the notebook is told."""
    patient = open_carnet(patient_id, "notes", policy.WRITE)
    try:
        notes.add_note(get_session(), patient, g.account, request.form.get("body", ""))
    except notes.InputError as error:
        return _notes_page(patient, 400, error.errors, request.form)
    return redirect(url_for("carnet.notes_page", patient_id=patient.id))
