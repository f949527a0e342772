"""Views of a carnet. Every read goes through the access policy, which audits it."""

from __future__ import annotations

from flask import abort, g, render_template

from .. import policy
from ..auth import login_required, own_professional, require_role
from ..db import get_session
from ..models import Account, Patient, Role, TeamRole
from ..types import utcnow
from . import bp, queries


def _open_carnet(patient_id: int) -> Patient:
    """The carnet ``patient_id``, set as the one being viewed; 404 for anyone with no access."""
    db = get_session()
    patient = db.get(Patient, patient_id)
    if patient is None:
        abort(404)
    if not policy.permissions(db, g.account, patient):
        policy.check(db, g.account, policy.READ, patient, "team")  # audits the refusal, 404
    g.carnet = patient
    g.carnet_owner = db.get(Account, patient.account_id)
    return patient


def _read(patient: Patient, section: str) -> bool:
    """Audit and allow a read of ``section`` if permitted; False (no audit) if not shared."""
    db = get_session()
    if not policy.can(db, g.account, policy.READ, patient, section):
        return False
    policy.check(db, g.account, policy.READ, patient, section)
    return True


def _section(patient_id: int, section: str) -> Patient:
    """Open a carnet for one section's page; 404 when that section is not shared."""
    patient = _open_carnet(patient_id)
    policy.check(get_session(), g.account, policy.READ, patient, section)
    return patient


@bp.get("/carnet/<int:patient_id>/")
@login_required
def home(patient_id: int):
    """The home of a carnet: next appointment, latest plan changes, key people."""
    return carnet_home(patient_id)


def carnet_home(patient_id: int):
    db = get_session()
    patient = _open_carnet(patient_id)
    context = {"next_appointment": None, "plan_changes": None, "key_people": None}
    if _read(patient, "appointments"):
        context["next_appointment"] = queries.next_appointment(db, patient.id, utcnow())
    if _read(patient, "plan"):
        context["plan_changes"] = queries.latest_plan_changes(db, patient.id)
    if _read(patient, "team"):
        context["key_people"] = queries.care_team(
            db, patient.id, roles=(TeamRole.ATTENDING, TeamRole.REFERENT)
        )
    db.commit()
    return render_template("carnet/home.html", **context)


@bp.get("/carnet/<int:patient_id>/team")
@login_required
def team(patient_id: int):
    """Who is who in the care team, and whom to call for what."""
    patient = _section(patient_id, "team")
    db = get_session()
    members = queries.care_team(db, patient.id)
    db.commit()
    return render_template("carnet/team.html", members=members)


@bp.get("/carnet/<int:patient_id>/plan")
@login_required
def plan(patient_id: int):
    """The shared care plan: problems, goals and actions."""
    patient = _section(patient_id, "plan")
    db = get_session()
    tree = queries.plan_tree(db, patient.id)
    db.commit()
    return render_template("carnet/plan.html", tree=tree)


@bp.get("/carnet/<int:patient_id>/appointments")
@login_required
def appointments(patient_id: int):
    """Upcoming and past appointments."""
    patient = _section(patient_id, "appointments")
    db = get_session()
    upcoming, past = queries.appointments(db, patient.id, utcnow())
    db.commit()
    return render_template("carnet/appointments.html", upcoming=upcoming, past=past)


@bp.get("/patients")
@login_required
def my_patients():
    """A professional's patients: those whose care team includes them."""
    require_role(Role.PROFESSIONAL)
    professional = own_professional(g.account)
    if professional is None:
        abort(404)
    return render_template(
        "carnet/my_patients.html", patients=queries.patients_of(get_session(), professional.id)
    )


@bp.get("/carnets")
@login_required
def choose():
    """A caregiver chooses whose carnet to open."""
    require_role(Role.CAREGIVER)
    return render_template(
        "carnet/choose.html", carnets=queries.carnets_helped_by(get_session(), g.account.id)
    )
