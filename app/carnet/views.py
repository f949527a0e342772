"""Views of a carnet. Every read goes through the access policy, which audits it."""

from __future__ import annotations

from flask import g, render_template, request

from .. import policy
from ..auth import login_required, require_professional, require_role
from ..db import get_session
from ..models import InvitationKind, Role, TeamRole
from ..paging import page_count, page_number
from ..types import utcnow
from . import bp, notes, queries
from .access import PRINT, carnet_access, may_read, open_carnet, record_reads

PER_PAGE = 20


@bp.get("/carnet/<int:patient_id>/")
@login_required
def home(patient_id: int):
    """The home of a carnet: next appointment, latest plan changes, key people."""
    return carnet_home(patient_id)


def carnet_home(patient_id: int):
    db = get_session()
    patient = open_carnet(patient_id)
    visit = notes.visit(db, g.account, patient)
    readable = {s for s in ("appointments", "plan", "team", "notes") if may_read(patient, s)}
    context = {
        "next_appointment": None, "changes": None, "key_people": None, "unread": None,
        "may_write_notes": policy.can(db, g.account, policy.WRITE, patient, "notes"),
        # The big "How do I feel?" button is for the patient and her close ones; the team
        # reports through the reports page.
        "offer_report": policy.can(db, g.account, policy.WRITE, patient, "symptoms")
        and g.account.role != Role.PROFESSIONAL,
        "may_read_symptoms": policy.can(db, g.account, policy.READ, patient, "symptoms"),
        "may_read_plan": "plan" in readable,
    }
    if "appointments" in readable:
        context["next_appointment"] = queries.next_appointment(db, patient.id, utcnow())
    if readable & {"plan", "appointments"}:
        context["changes"], context["changes_total"] = queries.changes(
            db, patient.id, readable & {"plan", "appointments"}, since=visit.changes_since,
            exclude_account_id=g.account.id, limit=5)
        context["since"] = visit.changes_since
    if "team" in readable:
        context["key_people"] = queries.care_team(
            db, patient.id, roles=(TeamRole.ATTENDING, TeamRole.REFERENT))
    if "notes" in readable:
        context["unread"] = queries.unread_notes(db, patient.id, g.account.id,
                                                 visit.notes_read_at)
    return render_template("carnet/home.html", **context)


@bp.get("/carnet/<int:patient_id>/changes")
@login_required
def changes(patient_id: int):
    """"What changed": every change of the plan and the appointments, newest first."""
    db = get_session()
    patient = open_carnet(patient_id)
    readable = {s for s in ("plan", "appointments") if may_read(patient, s)}
    if not readable:
        carnet_access().refuse()
    page = page_number()
    rows, total = queries.changes(db, patient.id, readable, limit=PER_PAGE,
                                  offset=(page - 1) * PER_PAGE)
    return render_template("carnet/changes.html", rows=rows, page=page,
                           pages=page_count(total, PER_PAGE))


@bp.get("/carnet/<int:patient_id>/print")
@login_required
def print_view(patient_id: int):
    """The paper carnet: team, plan, upcoming appointments and recent notes, for A4 (each
    part printed is an export of it)."""
    db = get_session()
    patient = open_carnet(patient_id, export=PRINT)
    context = {"team": None, "tree": None, "upcoming": None, "recent_notes": None,
               "printed_at": utcnow()}
    if may_read(patient, "team"):
        context["team"] = queries.care_team(db, patient.id)
    if may_read(patient, "plan"):
        context["tree"] = queries.plan_tree(db, patient.id)
    if may_read(patient, "appointments"):
        context["upcoming"] = queries.appointments(db, patient.id, utcnow(), limit=10)[0]
    if may_read(patient, "notes"):
        context["recent_notes"] = notes.page_of_notes(db, patient.id, 1)[0][:10]
    return render_template("carnet/print.html", **context)


@bp.get("/carnet/<int:patient_id>/team")
@login_required
def team(patient_id: int):
    """Who is who in the care team, and whom to call for what."""
    patient = open_carnet(patient_id, "team")
    db = get_session()
    members = queries.care_team(db, patient.id)
    may_add = policy.may_invite(db, g.account, InvitationKind.TEAM_MEMBER, patient)
    may_ask = policy.may_ask_on_behalf(db, g.account, patient)
    return render_template("carnet/team.html", members=members, may_add=may_add,
                           may_ask=may_ask)


@bp.get("/patients")
@login_required
def my_patients():
    """A professional's patients, by name, a page at a time, or those a search names."""
    professional = require_professional()
    db = get_session()
    search = request.args.get("q", "").strip()[:queries.SEARCH_MAX]
    patients, page, pages = queries.page_of_patients(db, professional, page_number(), search)
    # The policy decides for the whole page at once. A carnet that shares nothing with them
    # any more (a grant ended) is left out, so its page shows one patient fewer.
    readable = policy.readable_sections(db, g.account, [patient for patient, _a in patients])
    patients = [(p, a) for p, a in patients if readable[p.id]]
    # Only what this professional may read is counted; each count is a read of its section.
    counted = {patient.id: readable[patient.id] & queries.NEWS_SECTIONS for patient, _a in patients}
    news = queries.news_for(db, g.account.id, counted)
    record_reads(db, g.account, [(patient_id, section) for patient_id, sections in counted.items()
                                 for section in sorted(sections)], object_type="count")
    return render_template(
        "carnet/my_patients.html", patients=patients, news=news, search=search, page=page,
        pages=pages,
        may_invite_professionals=policy.may_invite(db, g.account, InvitationKind.PROFESSIONAL),
    )


@bp.get("/carnets")
@login_required
def choose():
    """A caregiver chooses whose carnet to open."""
    require_role(Role.CAREGIVER)
    db = get_session()
    carnets = queries.carnets_helped_by(db, g.account.id)
    policy.preload(db, g.account, [patient for patient, _account in carnets])
    # A carnet that shares nothing with them any more (revoked, ended) is not listed.
    carnets = [(p, a) for p, a in carnets if policy.permissions(db, g.account, p)]
    return render_template("carnet/choose.html", carnets=carnets)
