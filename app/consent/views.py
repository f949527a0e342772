""""Who saw my carnet" (Code de la santé publique, L1111-19) and the consent timeline."""

from __future__ import annotations

from flask import abort, g, redirect, request, url_for
from sqlalchemy.orm import aliased
from sqlmodel import col, func, select

from .. import policy
from ..auth import login_required
from ..carnet.access import open_carnet
from ..db import get_session
from ..models import SECTIONS, Account, AuditEvent, ConsentEvent, Patient
from ..rendering import render
from . import bp, ledger

PER_PAGE = 30


def _own_carnet(patient_id: int) -> Patient:
    """The carnet, for its patient only; anyone else's attempt is audited and gets 404."""
    return open_carnet(patient_id, "consent", policy.MANAGE)


def _page() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and int(page) > 0 else 1


@bp.get("/carnet/<int:patient_id>/who-saw")
@login_required
def who_saw(patient_id: int):
    """Every read or change of the carnet by someone else, newest first, refusals included."""
    patient = _own_carnet(patient_id)
    db = get_session()
    total = db.exec(select(func.count()).select_from(AuditEvent)
                    .where(AuditEvent.patient_id == patient.id)).one()
    pages = max(1, -(-total // PER_PAGE))
    page = min(_page(), pages)
    rows = db.exec(
        select(AuditEvent, Account)
        .outerjoin(Account, Account.id == AuditEvent.actor_account_id)
        .where(AuditEvent.patient_id == patient.id)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return render("consent/who_saw.html", rows=rows, page=page, pages=pages)


@bp.get("/carnet/<int:patient_id>/consent/timeline")
@login_required
def timeline(patient_id: int):
    """The history of the patient's decisions on who sees what."""
    patient = _own_carnet(patient_id)
    db = get_session()
    grantee = aliased(Account)
    total = db.exec(select(func.count()).select_from(ConsentEvent)
                    .where(ConsentEvent.patient_id == patient.id)).one()
    pages = max(1, -(-total // PER_PAGE))
    page = min(_page(), pages)
    rows = db.exec(
        select(ConsentEvent, grantee)
        .join(grantee, grantee.id == ConsentEvent.grantee_account_id)
        .where(ConsentEvent.patient_id == patient.id)
        .order_by(col(ConsentEvent.created_at).desc(), col(ConsentEvent.id).desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return render("consent/timeline.html", rows=rows, page=page, pages=pages)


@bp.get("/carnet/<int:patient_id>/consent")
@login_required
def who_can_see(patient_id: int):
    """"Who can see my carnet": each person, each part, with a switch."""
    patient = _own_carnet(patient_id)
    db = get_session()
    return render("consent/who_can_see.html", people=ledger.people_and_access(db, patient),
                  sections=SECTIONS)


@bp.post("/carnet/<int:patient_id>/consent")
@login_required
def switch(patient_id: int):
    """Show or stop showing one part of the carnet to one person; it applies at once."""
    patient = _own_carnet(patient_id)
    db = get_session()
    grantee_id = request.form.get("grantee", "")
    section = request.form.get("section", "")
    around = {p.account.id: p.account for p in ledger.people_and_access(db, patient)}
    grantee = around.get(int(grantee_id)) if grantee_id.isdigit() else None
    if grantee is None or section not in SECTIONS or request.form.get("visible") not in (
        "yes", "no"
    ):
        abort(404)
    ledger.set_section(db, patient, g.account, grantee, section,
                       request.form["visible"] == "yes")
    return redirect(url_for("consent.who_can_see", patient_id=patient.id)
                    + f"#person-{grantee.id}")
