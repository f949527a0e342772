""""Who saw my carnet" (Code de la santé publique, L1111-19) and the consent timeline."""

from __future__ import annotations

from datetime import date

from flask import abort, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import aliased
from sqlmodel import col, func, select

from ..auth import login_required
from ..carnet.access import open_carnet
from ..carnet.validation import too_long
from ..db import get_session
from ..ids import parse_id
from ..models import SECTIONS, Account, AuditEvent, ConsentEvent, Patient
from ..paging import page_count, page_number
from ..rendering import render
from ..types import utcnow
from . import access_requests, bp, ledger

PER_PAGE = 30


def own_carnet(patient_id: int) -> Patient:
    """The carnet, for its patient only; anyone else's attempt is audited and gets 404."""
    return open_carnet(patient_id, "consent")


@bp.get("/carnet/<int:patient_id>/who-saw")
@login_required
def who_saw(patient_id: int):
    """Every read or change of the carnet by someone else, newest first, refusals included."""
    patient = own_carnet(patient_id)
    db = get_session()
    total = db.exec(select(func.count()).select_from(AuditEvent)
                    .where(AuditEvent.patient_id == patient.id)).one()
    pages = page_count(total, PER_PAGE)
    page = min(page_number(), pages)
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
    patient = own_carnet(patient_id)
    db = get_session()
    grantee = aliased(Account)
    total = db.exec(select(func.count()).select_from(ConsentEvent)
                    .where(ConsentEvent.patient_id == patient.id)).one()
    pages = page_count(total, PER_PAGE)
    page = min(page_number(), pages)
    rows = db.exec(
        select(ConsentEvent, grantee)
        .join(grantee, grantee.id == ConsentEvent.grantee_account_id)
        .where(ConsentEvent.patient_id == patient.id)
        .order_by(col(ConsentEvent.created_at).desc(), col(ConsentEvent.id).desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return render("consent/timeline.html", rows=rows, page=page, pages=pages)


def parse_until(value: str) -> tuple[date | None, str | None]:
    """An optional last day of sharing, from a date field: (day, error message)."""
    value = value.strip()
    if not value:
        return None, None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None, _("Please give a date, e.g. 30/06/2027.")
    error = ledger.until_error(day)
    return (None, error) if error else (day, None)


def ask_errors(form) -> dict[str, str]:
    """What is wrong with a request for access (sections and message)."""
    errors = {}
    if not [s for s in form.getlist("sections") if s in SECTIONS]:
        errors["sections"] = _("Tick at least one part of the carnet.")
    message = form.get("message", "")
    if len(message) > access_requests.MESSAGE_MAX:
        errors["message"] = too_long(access_requests.MESSAGE_MAX, len(message))
    return errors


def who_can_see_page(patient: Patient, status: int = 200, errors: dict | None = None):
    db = get_session()
    return render("consent/who_can_see.html", None, status,
                  people=ledger.people_and_access(db, patient), sections=SECTIONS,
                  pending=access_requests.pending(db, patient), errors=errors or {},
                  today=utcnow().astimezone(ledger.PARIS).date())


@bp.get("/carnet/<int:patient_id>/consent")
@login_required
def who_can_see(patient_id: int):
    """"Who can see my carnet": requests waiting, then each person, each part, a switch."""
    return who_can_see_page(own_carnet(patient_id))


def _person(patient: Patient, outside_team: bool = False, source=None) -> ledger.Person:
    """The person a decision is about (``grantee`` of the form, or of ``source``), among those
    around the carnet; 404 otherwise (and, with ``outside_team``, for the care team, whose
    sharing is opposed part by part)."""
    grantee_id = (request.form if source is None else source).get("grantee", "")
    around = {p.account.id: p for p in ledger.people_and_access(get_session(), patient)}
    person = around.get(parse_id(grantee_id))
    if person is None or (outside_team and person.in_team):
        abort(404)
    return person


def _back_to(patient: Patient, person: ledger.Person):
    return redirect(url_for("consent.who_can_see", patient_id=patient.id)
                    + f"#person-{person.account.id}")


@bp.post("/carnet/<int:patient_id>/consent")
@login_required
def switch(patient_id: int):
    """Show or stop showing one part of the carnet to one person; it applies at once."""
    patient = own_carnet(patient_id)
    person = _person(patient)
    scope = request.form.get("section", "")
    visible = request.form.get("visible")
    allowed = SECTIONS if person.in_team else ledger.SCOPES
    if scope not in allowed or visible not in ("yes", "no"):
        abort(404)
    ledger.set_scope(get_session(), patient, g.account, person.account, scope, visible == "yes")
    return _back_to(patient, person)


@bp.post("/carnet/<int:patient_id>/consent/until")
@login_required
def until(patient_id: int):
    """Change until when someone outside the team sees what they were granted."""
    patient = own_carnet(patient_id)
    person = _person(patient, outside_team=True)
    day, error = parse_until(request.form.get("until", ""))
    if error:
        return who_can_see_page(patient, 400, {f"until-{person.account.id}": error})
    ledger.set_until(get_session(), patient, g.account, person.account, day)
    return _back_to(patient, person)


@bp.route("/carnet/<int:patient_id>/consent/stop", methods=["GET", "POST"])
@login_required
def stop(patient_id: int):
    """Someone outside the team no longer sees anything of the carnet: the question first
    (``?grantee=``; without it, the list of people to choose from), at once when confirmed."""
    patient = own_carnet(patient_id)
    if request.method == "GET" and "grantee" not in request.args:
        return redirect(url_for("consent.who_can_see", patient_id=patient.id))
    person = _person(patient, outside_team=True,
                     source=request.args if request.method == "GET" else None)
    if request.method == "GET":
        return render("consent/stop.html", person=person)
    if not request.form.get("confirm"):
        return redirect(url_for("consent.stop", patient_id=patient.id,
                                grantee=person.account.id), 303)
    ledger.stop_sharing(get_session(), patient, g.account, person.account)
    return _back_to(patient, person)
