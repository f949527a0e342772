"""The symptom pages: "How do I feel today?", "Sent to your care team", the reports, and
the plan of action that says what to do after one."""

from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from .. import policy
from ..auth import login_required, require_professional
from ..carnet import queries
from ..carnet.access import carnet_access, open_carnet, record_reads
from ..carnet.my_day_views import back_to_day
from ..carnet.validation import InputError
from ..content import reading
from ..content.markdown import render_markdown
from ..db import StaleEdit, get_session
from ..models import AuditAction, Patient, Questionnaire
from ..paging import cursor, cursor_args
from ..rendering import render
from . import bp, reports, trends, zones
from .forms import AcknowledgeForm, ZoneNoteForm


def _chosen(choices: list[Questionnaire], wanted: str) -> Questionnaire | None:
    return next((q for q in choices if str(q.id) == wanted), choices[0] if choices else None)


def _form(patient: Patient, questionnaire_id: str = "", status: int = 200,
          errors: dict | None = None, values: dict | None = None):
    db, language = get_session(), reading.reader_language()
    choices = reports.current_questionnaires(db, patient, language)
    questionnaire = _chosen(choices, questionnaire_id)
    # The educational page attached to each question ("heart_failure:ankles"), in one query.
    help_pages = reading.for_questionnaires(db, [questionnaire.code], language) if (
        questionnaire) else {}
    return render("symptoms/new.html", None, status, own=policy.is_owner(g.account, patient),
                  questionnaire=questionnaire, help_pages=help_pages,
                  choices=choices, errors=errors or {}, values=values or {},
                  client_id=reports.new_client_id(), note_max=reports.NOTE_MAX)


@bp.get("/carnet/<int:patient_id>/symptoms/new")
@login_required
def new_report(patient_id: int):
    """"How do I feel today?": one screen of questions, for the patient or a caregiver."""
    patient = open_carnet(patient_id, "symptoms", policy.WRITE, change=AuditAction.CREATE)
    return _form(patient, request.args.get("questionnaire", ""))


@bp.post("/carnet/<int:patient_id>/symptoms/new")
@login_required
def send_report(patient_id: int):
    """Store the report once (a replay gets the first answer) and tell the care team."""
    patient = open_carnet(patient_id, "symptoms", policy.WRITE, change=AuditAction.CREATE)
    db = get_session()
    submission = reports.Submission.from_form(request.form)
    try:
        report, _replayed = reports.submit_report(db, patient, g.account, submission)
    except InputError as error:
        values = {reports.ANSWER + key: value for key, value in submission.answers.items()}
        values["note"] = submission.note
        return _form(patient, submission.questionnaire_id, 400, error.errors, values)
    return redirect(url_for("symptoms.sent", patient_id=patient.id, report_id=report.id),
                    code=303)


@bp.get("/symptoms/csrf-token")
@login_required
def csrf_token():
    """A fresh CSRF token for a report kept offline (static/js/report-queue.js).

    The copy of the report page the phone kept may hold a token of an older session (the
    person signed out and in again while it waited), so the queue asks for one just before
    each send rather than trusting the copy. Same origin only: another site's page cannot
    read this answer, and it is never stored by a cache. The account tells the queue whose
    reports it may send now: not Jeanne's under her daughter's session on a shared phone.
    """
    response = jsonify(csrf_token=generate_csrf(), account=g.account.id)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/carnet/<int:patient_id>/symptoms/<int:report_id>/sent")
@login_required
def sent(patient_id: int, report_id: int):
    """"Sent to your care team", what happens next, and what to do if it is urgent."""
    patient = open_carnet(patient_id, "symptoms", policy.WRITE, change=AuditAction.CREATE)
    db = get_session()
    found = reports.sent_report(db, patient, g.account, report_id)
    if found is None:  # someone else's report
        carnet_access().refuse()
    report, questionnaire = found
    row = reports.ReportRow(report, questionnaire, questionnaire, g.account, None)
    # What to do now: the zone of the plan of action this report is in, for its condition.
    # What the team wrote for it is the plan's: fetched only where the plan is shared with
    # the reader (a caregiver may report without seeing the plan), and read when shown.
    access = carnet_access()
    may_read_plan = access.may(policy.READ, "plan")
    zone = zones.advice(db, patient, questionnaire.condition, row.zone(),
                        reading.reader_language(), with_note=may_read_plan)
    if zone.note is not None and zone.note.text:
        access.read("plan")
    return render("symptoms/sent.html", None, row=row, own=policy.is_owner(g.account, patient),
                  zone=zone, advice=render_markdown(zone.page.body_markdown) if zone.page else "",
                  may_read=access.may(policy.READ, "symptoms"), may_read_plan=may_read_plan)


@bp.get("/carnet/<int:patient_id>/action-plan")
@login_required
def action_plan(patient_id: int):
    """The patient's plan of action: for each of their conditions, what to do in the green,
    amber and red zones, in plain words, and what the team wrote with them."""
    patient = open_carnet(patient_id, "plan")
    db = get_session()
    plans = zones.plans(db, patient, reading.reader_language())
    advice = {(zone.condition, zone.name): render_markdown(zone.page.body_markdown)
              for plan in plans.values() for zone in plan if zone.page}
    return render("symptoms/action_plan.html", None, plans=plans, advice=advice,
                  own=policy.is_owner(g.account, patient),
                  may_write=policy.can(db, g.account, policy.MANAGE, patient, "plan"))


@bp.route("/carnet/<int:patient_id>/action-plan/<condition>/<zone>",
          methods=["GET", "POST"])
@login_required
def zone_note(patient_id: int, condition: str, zone: str):
    """What the team writes with the patient for one zone: the form, and its save unless
    someone saved it meanwhile."""
    patient = open_carnet(patient_id, "plan", policy.MANAGE)
    if condition not in (patient.conditions or []) or zone not in zones.ZONES:
        abort(404)
    db = get_session()
    note = zones.note(db, patient.id, condition, zone)
    form = ZoneNoteForm(obj=note, version=note.version if note else 0)
    status, stale_by = 200, None
    if form.validate_on_submit():
        try:
            zones.write_note(db, patient, g.account, note, condition, zone, form.text.data,
                             form.version.data)
        except StaleEdit as stale:
            note, stale_by, status = stale.current, stale.by, 409
            form = ZoneNoteForm(formdata=None, obj=note, version=note.version)
        else:
            flash(_("Saved."))
            return redirect(url_for("symptoms.action_plan", patient_id=patient.id)
                            + f"#zone-{condition}-{zone}", code=303)
    elif form.is_submitted():
        status = 400
    return render("symptoms/zone_note.html", None, status, form=form, condition=condition,
                  zone=zone, stale=status == 409, stale_by=stale_by, note_max=zones.NOTE_MAX)


@bp.get("/carnet/<int:patient_id>/symptoms")
@login_required
def list_reports(patient_id: int):
    """The reports, newest first: urgent ones say which rule fired, seen ones by whom."""
    patient = open_carnet(patient_id, "symptoms")
    db = get_session()
    keyset = reports.page_of_reports(db, patient.id, cursor(reports.REPORTS_ORDER),
                                     reading.reader_language())
    return render("symptoms/list.html", None, rows=keyset.rows, keyset=keyset,
                  own=policy.is_owner(g.account, patient),
                  may_report=policy.can(db, g.account, policy.WRITE, patient, "symptoms"),
                  may_acknowledge=policy.can(db, g.account, policy.MANAGE, patient, "symptoms"))


@bp.get("/carnet/<int:patient_id>/symptoms/trends")
@login_required
def trends_page(patient_id: int):
    """Each numeric answer over 30 or 90 days: a chart with its alert thresholds, and a table."""
    patient = open_carnet(patient_id, "symptoms")
    days = trends.period(request.args.get("days"))
    charts = trends.patient_trends(get_session(), patient, days, reading.reader_language())
    return render("symptoms/trends.html", None, groups=trends.by_questionnaire(charts), days=days,
                  periods=trends.PERIODS, own=policy.is_owner(g.account, patient))


@bp.post("/carnet/<int:patient_id>/symptoms/<int:report_id>/acknowledge")
@login_required
def acknowledge(patient_id: int, report_id: int):
    """One tap: the team has seen the report, and the patient sees by whom and when."""
    patient = open_carnet(patient_id, "symptoms", policy.MANAGE)
    try:
        reports.acknowledge(get_session(), patient, g.account, report_id)
    except LookupError:
        abort(404)
    # Back to the page the tap was made on (the links of a page carry where it starts).
    form = AcknowledgeForm()
    if form.to_inbox():
        return redirect(url_for("symptoms.inbox", **cursor_args()), code=303)
    if form.back.data == "day":
        return back_to_day(_("Marked as seen."))
    return redirect(url_for("symptoms.list_reports", patient_id=patient.id, **cursor_args())
                    + f"#report-{report_id}", code=303)


@bp.get("/inbox")
@login_required
def inbox():
    """A professional's new reports across the carnets they may read, urgent first."""
    professional = require_professional()
    db = get_session()
    readable = policy.allowed(db, g.account, queries.carnets_of(db, professional),
                              policy.READ, "symptoms")
    keyset = reports.inbox_page(db, [p.id for p in readable], cursor(reports.INBOX_ORDER),
                                reading.reader_language())
    record_reads(db, g.account, [(patient_id, "symptoms") for patient_id in sorted(
        {patient.id for _row, patient, _account in keyset.rows})])
    may_acknowledge = {p.id for p in policy.allowed(db, g.account, readable, policy.MANAGE,
                                                     "symptoms")}
    may_reply = {p.id for p in policy.allowed(db, g.account, readable, policy.WRITE, "notes")}
    return render("symptoms/inbox.html", None, rows=keyset.rows, keyset=keyset,
                  may_acknowledge=may_acknowledge, may_reply=may_reply)

