"""Appointment pages: the list, one appointment with its questions, and the calendar files."""

from __future__ import annotations

from flask import Response, abort, current_app, g, redirect, request, url_for

from .. import policy
from ..auth import login_required
from ..auth.session import show_once, take_shown
from ..db import StaleEdit, get_session
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
from . import appointments, bp, forms, queries
from .access import CALENDAR_FILE, carnet_access, open_carnet, record_feed_read

FEED_TOKEN = "calendar_feed_token"
# A calendar file holds appointments (health data): no cache, shared or private, keeps it.
ICS_CACHE = "no-store"


def _appointment(patient: Patient, appointment_id: int) -> Appointment:
    appointment = get_session().get(Appointment, appointment_id)
    if appointment is None or appointment.patient_id != patient.id:
        abort(404)
    return appointment


def _page_of(patient: Patient, row: Appointment) -> str:
    return url_for("carnet.appointment", patient_id=patient.id, appointment_id=row.id)


def _cancelled(patient: Patient, row: Appointment):
    """A cancelled appointment changes no more: its page (a change asked is not made)."""
    page = _page_of(patient, row)
    return redirect(page) if request.method == "GET" else forms.unchanged(page)


def _form_page(team: list, form: forms.AppointmentForm, appointment: Appointment | None = None,
               status: int = 200, **extra):
    """The form of an appointment: a new one, or ``appointment`` moved or changed."""
    return render("carnet/appointment_form.html", None, status, appointment=appointment,
                  team=team, kinds=list(AppointmentKind), **form.page(), **extra)


@bp.get("/carnet/<int:patient_id>/appointments", endpoint="appointments")
@login_required
def appointment_list(patient_id: int):
    """Upcoming and past appointments."""
    patient = open_carnet(patient_id, "appointments")
    db = get_session()
    upcoming, past = queries.appointments(db, patient.id, utcnow())
    return render("carnet/appointments.html", upcoming=upcoming, past=past,
                  may_manage=policy.can(db, g.account, policy.MANAGE, patient, "appointments"),
                  is_owner=policy.can(db, g.account, policy.MANAGE, patient, "calendar"))


@bp.route("/carnet/<int:patient_id>/appointments/new", methods=["GET", "POST"])
@login_required
def new_appointment(patient_id: int):
    """Add an appointment (the care team)."""
    patient = open_carnet(patient_id, "appointments", policy.MANAGE, change=AuditAction.CREATE)
    team = queries.care_team(get_session(), patient.id)
    form = forms.AppointmentForm([m.professional.id for m in team])
    if form.validate_on_submit():
        row = appointments.add(get_session(), patient, g.account, form.values())
        return redirect(_page_of(patient, row))
    return _form_page(team, form, status=400 if form.errors else 200)


def _appointment_page(patient: Patient, row: Appointment, form: forms.QuestionForm,
                      status: int = 200):
    """One appointment: when, where, with whom, the questions for it, and what changed."""
    db = get_session()
    return render("carnet/appointment.html", None, status, a=queries.appointment_row(db, row),
                  questions=appointments.questions(db, row.id),
                  history=appointments.history(db, row.id),
                  may_manage=policy.can(db, g.account, policy.MANAGE, patient, "appointments"),
                  may_ask=policy.can(db, g.account, policy.WRITE, patient, "appointments"),
                  upcoming=row.starts_at > utcnow(), **form.page())


@bp.get("/carnet/<int:patient_id>/appointments/<int:appointment_id>")
@login_required
def appointment(patient_id: int, appointment_id: int):
    """One appointment: when, where, with whom, my questions, and what changed."""
    patient = open_carnet(patient_id, "appointments")
    return _appointment_page(patient, _appointment(patient, appointment_id),
                             forms.QuestionForm())


@bp.route("/carnet/<int:patient_id>/appointments/<int:appointment_id>/edit",
          methods=["GET", "POST"])
@login_required
def edit_appointment(patient_id: int, appointment_id: int):
    """Move or change an appointment, unless someone changed it meanwhile (not a cancelled
    one: its page instead)."""
    patient = open_carnet(patient_id, "appointments", policy.MANAGE)
    row = _appointment(patient, appointment_id)
    if row.status == AppointmentStatus.CANCELLED:
        return _cancelled(patient, row)
    team = queries.care_team(get_session(), patient.id)
    professionals = [m.professional.id for m in team]
    form = forms.AppointmentForm.of(row, professionals)
    if not form.validate_on_submit():
        return _form_page(team, form, row, 400 if form.is_submitted() else 200)
    try:
        appointments.update(get_session(), patient, row, g.account, form.version.data,
                            form.values())
    except StaleEdit as stale:
        current = forms.AppointmentForm.of(stale.current, professionals, formdata=None)
        return _form_page(team, current, stale.current, 409, stale=True, stale_by=stale.by)
    return redirect(_page_of(patient, row))


def _cancel_page(row: Appointment, form: forms.CancelForm, status: int = 200, **extra):
    """The question "cancel this appointment?", with its optional reason."""
    return render("carnet/appointment_cancel.html", None, status,
                  a=queries.appointment_row(get_session(), row), **form.page(), **extra)


@bp.route("/carnet/<int:patient_id>/appointments/<int:appointment_id>/cancel",
          methods=["GET", "POST"])
@login_required
def cancel_appointment(patient_id: int, appointment_id: int):
    """Cancel an appointment (it stays in the list, marked cancelled): the question first,
    the cancellation once confirmed."""
    patient = open_carnet(patient_id, "appointments", policy.MANAGE)
    row = _appointment(patient, appointment_id)
    if row.status == AppointmentStatus.CANCELLED:
        return _cancelled(patient, row)
    form = forms.CancelForm()
    if not form.is_submitted():
        return _cancel_page(row, form)
    if not form.confirm.data:
        return forms.unchanged()
    if not form.validate():
        return _cancel_page(row, form, 400)
    try:
        appointments.cancel(get_session(), patient, row, g.account, form.version.data,
                            form.reason.data)
    except StaleEdit as stale:
        return _cancel_page(stale.current, form, 409, stale_by=stale.by)
    return redirect(_page_of(patient, row))


@bp.post("/carnet/<int:patient_id>/appointments/<int:appointment_id>/questions")
@login_required
def ask(patient_id: int, appointment_id: int):
    """Add a question to ask at this appointment."""
    patient = open_carnet(patient_id, "appointments", policy.WRITE, change=AuditAction.CREATE)
    row = _appointment(patient, appointment_id)
    form = forms.QuestionForm()
    if not form.validate():
        return _appointment_page(patient, row, form, 400)
    appointments.add_question(get_session(), row, g.account, form.question.data)
    return redirect(_page_of(patient, row) + "#questions")


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
    return redirect(_page_of(patient, row) + "#questions")


@bp.get("/carnet/<int:patient_id>/appointments/<int:appointment_id>/calendar.ics")
@login_required
def appointment_ics(patient_id: int, appointment_id: int):
    """This appointment as a file the phone's calendar opens ("Add to my calendar"): an
    export of the appointments."""
    patient = open_carnet(patient_id, "appointments", export=CALENDAR_FILE)
    db = get_session()
    row = _appointment(patient, appointment_id)
    with_whom = queries.appointment_row(db, row).account
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
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": ICS_CACHE})
