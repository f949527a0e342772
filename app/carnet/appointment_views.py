"""Appointment pages: the list, one appointment with its questions, and the calendar files."""

from __future__ import annotations

from flask import Response, abort, current_app, g, redirect, request, url_for

from .. import policy
from ..auth import login_required
from ..auth.session import show_once, take_shown
from ..db import get_session
from ..ids import MAX_ID, whole_number
from ..models import (
    Account,
    Appointment,
    AppointmentKind,
    AppointmentQuestion,
    AppointmentStatus,
    AuditAction,
    Patient,
)
from ..rendering import render
from ..types import utcnow
from . import appointments, bp, queries
from .access import CALENDAR_FILE, carnet_access, open_carnet, record_feed_read

FIELDS = ("title", "kind", "professional_id", "day", "start", "end", "place", "address",
          "details")
FEED_TOKEN = "calendar_feed_token"
# A calendar file holds appointments (health data): no cache, shared or private, keeps it.
ICS_CACHE = "no-store"


def _appointment(patient: Patient, appointment_id: int) -> Appointment:
    appointment = get_session().get(Appointment, appointment_id)
    if appointment is None or appointment.patient_id != patient.id:
        abort(404)
    return appointment


def _form_context(patient: Patient) -> dict:
    team = queries.care_team(get_session(), patient.id)
    return {"team": team, "kinds": list(AppointmentKind),
            "professional_ids": {m.professional.id for m in team}}


def _values_of(appointment: Appointment) -> dict:
    starts = appointments.local(appointment.starts_at)
    ends = appointments.local(appointment.ends_at)
    return {"title": appointment.title, "kind": appointment.kind.value,
            "professional_id": str(appointment.professional_id or ""),
            "day": starts.date().isoformat(), "start": starts.strftime("%H:%M"),
            "end": ends.strftime("%H:%M"), "place": appointment.place,
            "address": appointment.address, "details": appointment.details}


def _version() -> int:
    """The version the form was opened on; anything else is no version (a stale save)."""
    version = whole_number(request.form.get("version", ""), 0, MAX_ID)
    return -1 if version is None else version


@bp.get("/carnet/<int:patient_id>/appointments", endpoint="appointments")
@login_required
def appointment_list(patient_id: int):
    """Upcoming and past appointments."""
    patient = open_carnet(patient_id, "appointments")
    db = get_session()
    upcoming, past = queries.appointments(db, patient.id, utcnow())
    context = {
        "upcoming": upcoming, "past": past,
        "may_manage": policy.can(db, g.account, policy.MANAGE, patient, "appointments"),
        "is_owner": policy.can(db, g.account, policy.MANAGE, patient, "calendar"),
    }
    db.commit()
    return render("carnet/appointments.html", **context)


@bp.route("/carnet/<int:patient_id>/appointments/new", methods=["GET", "POST"])
@login_required
def new_appointment(patient_id: int):
    """Add an appointment (the care team)."""
    patient = open_carnet(patient_id, "appointments", policy.MANAGE, change=AuditAction.CREATE)
    db = get_session()
    context = _form_context(patient)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in FIELDS}
        try:
            appointment = appointments.add(db, patient, g.account, values,
                                           context["professional_ids"])
        except appointments.InputError as error:
            errors = error.errors
        else:
            return redirect(url_for("carnet.appointment", patient_id=patient.id,
                                    appointment_id=appointment.id))
    else:
        values = {"kind": "visit", "start": "09:00", "end": "09:30"}
    db.commit()
    return render("carnet/appointment_form.html", None, 400 if errors else 200, values=values,
                  errors=errors, appointment=None, stale=False, **context)


@bp.get("/carnet/<int:patient_id>/appointments/<int:appointment_id>")
@login_required
def appointment(patient_id: int, appointment_id: int):
    """One appointment: when, where, with whom, my questions, and what changed."""
    patient = open_carnet(patient_id, "appointments")
    db = get_session()
    row = _appointment(patient, appointment_id)
    with_whom = queries.appointment_row(db, row)
    context = {
        "a": with_whom,
        "questions": appointments.questions(db, row.id),
        "history": appointments.history(db, row.id),
        "may_manage": policy.can(db, g.account, policy.MANAGE, patient, "appointments"),
        "may_ask": policy.can(db, g.account, policy.WRITE, patient, "appointments"),
        "upcoming": row.starts_at > utcnow(),
    }
    db.commit()
    return render("carnet/appointment.html", **context, errors={}, values={})


@bp.route("/carnet/<int:patient_id>/appointments/<int:appointment_id>/edit",
          methods=["GET", "POST"])
@login_required
def edit_appointment(patient_id: int, appointment_id: int):
    """Move or change an appointment, unless someone changed it meanwhile."""
    patient = open_carnet(patient_id, "appointments", policy.MANAGE)
    db = get_session()
    row = _appointment(patient, appointment_id)
    context = _form_context(patient)
    errors: dict[str, str] = {}
    values = _values_of(row)
    stale, stale_by = False, None
    status = 200
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in FIELDS}
        try:
            appointments.update(db, patient, row, g.account, _version(), values,
                                context["professional_ids"])
        except appointments.InputError as error:
            errors, status = error.errors, 400
        except appointments.StaleAppointment as error_stale:
            row, stale_by, stale, status = error_stale.current, error_stale.by, True, 409
            values = _values_of(row)
        else:
            return redirect(url_for("carnet.appointment", patient_id=patient.id,
                                    appointment_id=row.id))
    db.commit()
    return render("carnet/appointment_form.html", None, status, values=values, errors=errors,
                  appointment=row, stale=stale, stale_by=stale_by, **context)


def _cancel_page(row: Appointment, status: int = 200, errors: dict | None = None,
                 values=None, **context):
    """The question "cancel this appointment?", with its optional reason."""
    return render("carnet/appointment_cancel.html", None, status,
                  a=queries.appointment_row(get_session(), row), errors=errors or {},
                  values=values or {}, **context)


@bp.route("/carnet/<int:patient_id>/appointments/<int:appointment_id>/cancel",
          methods=["GET", "POST"])
@login_required
def cancel_appointment(patient_id: int, appointment_id: int):
    """Cancel an appointment (it stays in the list, marked cancelled): the question first,
    the cancellation once confirmed."""
    patient = open_carnet(patient_id, "appointments", policy.MANAGE)
    db = get_session()
    row = _appointment(patient, appointment_id)
    if request.method == "GET":
        db.commit()
        if row.status == AppointmentStatus.CANCELLED:
            return redirect(url_for("carnet.appointment", patient_id=patient.id,
                                    appointment_id=row.id))
        return _cancel_page(row)
    if not request.form.get("confirm"):
        return redirect(request.path, 303)
    try:
        appointments.cancel(db, patient, row, g.account, _version(),
                            request.form.get("reason", ""))
    except appointments.InputError as error:
        db.commit()  # a refused change is audited too
        return _cancel_page(row, 400, errors=error.errors, values=request.form)
    except appointments.StaleAppointment as stale:
        db.commit()
        return _cancel_page(stale.current, 409, stale_by=stale.by, values=request.form)
    return redirect(url_for("carnet.appointment", patient_id=patient.id, appointment_id=row.id))


@bp.post("/carnet/<int:patient_id>/appointments/<int:appointment_id>/questions")
@login_required
def ask(patient_id: int, appointment_id: int):
    """Add a question to ask at this appointment."""
    patient = open_carnet(patient_id, "appointments", policy.WRITE, change=AuditAction.CREATE)
    db = get_session()
    row = _appointment(patient, appointment_id)
    try:
        appointments.add_question(db, row, g.account, request.form.get("question", ""))
    except appointments.InputError as error:
        context = {
            "a": queries.appointment_row(db, row), "questions": appointments.questions(db, row.id),
            "history": appointments.history(db, row.id), "may_ask": True, "upcoming": True,
            "may_manage": policy.can(db, g.account, policy.MANAGE, patient, "appointments"),
        }
        db.commit()
        return render("carnet/appointment.html", None, 400, errors=error.errors,
                      values=request.form, **context)
    return redirect(url_for("carnet.appointment", patient_id=patient.id,
                            appointment_id=row.id) + "#questions")


@bp.post("/carnet/<int:patient_id>/appointments/<int:appointment_id>/questions/<int:question_id>"
         "/delete")
@login_required
def forget_question(patient_id: int, appointment_id: int, question_id: int):
    """Remove one of my questions."""
    patient = open_carnet(patient_id, "appointments", policy.WRITE, change=AuditAction.DELETE)
    db = get_session()
    row = _appointment(patient, appointment_id)
    question = db.get(AppointmentQuestion, question_id)
    if question is None or question.appointment_id != row.id:
        abort(404)
    if question.author_account_id != g.account.id:
        carnet_access().refuse()
    db.delete(question)
    db.commit()
    return redirect(url_for("carnet.appointment", patient_id=patient.id,
                            appointment_id=row.id) + "#questions")


@bp.get("/carnet/<int:patient_id>/appointments/<int:appointment_id>/calendar.ics")
@login_required
def appointment_ics(patient_id: int, appointment_id: int):
    """This appointment as a file the phone's calendar opens ("Add to my calendar"): an
    export of the appointments."""
    patient = open_carnet(patient_id, "appointments", export=CALENDAR_FILE)
    db = get_session()
    row = _appointment(patient, appointment_id)
    with_whom = queries.appointment_row(db, row).account
    db.commit()
    body = appointments.calendar([(row, with_whom)], "Carnet")
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="carnet-{row.id}.ics"',
        "Cache-Control": ICS_CACHE})


@bp.route("/carnet/<int:patient_id>/calendar", methods=["GET", "POST"])
@login_required
def calendar_feed(patient_id: int):
    """The patient's private calendar link, which a phone calendar can subscribe to."""
    patient = open_carnet(patient_id, "calendar")  # the patient's own
    db = get_session()
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            appointments.revoke_feed(db, patient)
        else:
            show_once(FEED_TOKEN, appointments.new_feed_token(db, patient))
            db.commit()
        return redirect(url_for("carnet.calendar_feed", patient_id=patient.id))
    token = take_shown(FEED_TOKEN)
    origin = current_app.config["CARNET_ORIGIN"]
    url = origin + url_for("carnet.feed", token=token) if token else None
    return render("carnet/calendar.html", url=url, active=patient.calendar_token_hash is not None)


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """The private feed: every appointment from 90 days ago on; a revoked link answers 404."""
    db = get_session()
    patient = appointments.patient_by_feed_token(db, token)
    owner = db.get(Account, patient.account_id) if patient else None
    if patient is None or owner is None or not policy.can(db, owner, policy.READ, patient,
                                                           "appointments"):
        abort(404)
    record_feed_read(db, patient, owner)
    body = appointments.calendar(appointments.feed_rows(db, patient.id), "Carnet")
    db.commit()
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": ICS_CACHE})
