"""Inviting people: a patient (which opens a carnet), a professional, a caregiver.

Each invitation creates the account it is for, then shows its link and QR code once to
the person who will hand it over (at the patient's home, say).
"""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlmodel import Session, select

from . import policy
from .auth import login_required, own_patient, own_professional
from .auth.invitations import create_invitation, invitation_url, qr_svg
from .auth.session import show_once, take_shown
from .carnet.access import open_carnet
from .consent import ledger
from .db import get_session
from .forms import CaregiverForm, PatientForm, PersonForm, ProfessionalForm
from .models import (
    Account,
    AuditAction,
    CaregiverLink,
    CareTeamMember,
    Invitation,
    InvitationKind,
    Patient,
    Profession,
    Professional,
    Role,
    TeamRole,
)

bp = Blueprint("invitations", __name__)

# What the invitation form ticks for a caregiver until the patient decides otherwise.
CAREGIVER_DEFAULT_SCOPES = ["team", "plan", "appointments"]
SHOWN_TOKENS = "invitation_tokens"


def _new_account(db: Session, form: PersonForm, role: Role) -> Account:
    account = Account(
        email=form.email.data.strip().lower(), first_name=form.first_name.data.strip(),
        last_name=form.last_name.data.strip(), role=role,
        user_handle=secrets.token_urlsafe(32),
    )
    db.add(account)
    db.flush()
    return account


def _existing(db: Session, email: str) -> Account | None:
    return db.exec(select(Account).where(Account.email == email.strip().lower())).first()


def _show_once(db: Session, invitation: Invitation, token: str):
    """Commit, keep the token for the next page only, and go there (POST → redirect → GET)."""
    show_once(f"{SHOWN_TOKENS}:{invitation.id}", token)
    db.commit()
    return redirect(url_for("invitations.show", invitation_id=invitation.id))


def _inviter_professional() -> Professional:
    if not policy.may_invite(get_session(), g.account, InvitationKind.PATIENT):
        abort(404)
    return own_professional(g.account)


@bp.route("/patients/new", methods=["GET", "POST"])
@login_required
def new_patient():
    """A professional opens a carnet for a patient and invites them."""
    professional = _inviter_professional()
    form = PatientForm()
    db = get_session()
    if form.validate_on_submit():
        if _existing(db, form.email.data):
            form.email.errors.append(_("An account already uses this e-mail address."))
        else:
            account = _new_account(db, form, Role.PATIENT)
            patient = Patient(account_id=account.id, birth_date=form.birth_date.data,
                              phone=form.phone.data or "")
            db.add(patient)
            db.flush()
            db.add(CareTeamMember(
                patient_id=patient.id, professional_id=professional.id, added_by_id=g.account.id,
                team_role=TeamRole.REFERENT if professional.profession == Profession.COORDINATOR
                else TeamRole.MEMBER,
            ))
            invitation, token = create_invitation(
                db, account, InvitationKind.PATIENT, g.account, patient)
            return _show_once(db, invitation, token)
    return render_template("invitations/new.html", form=form, kind="patient",
                           title=_("Open a carnet for a patient")), 400 if form.errors else 200


@bp.route("/carnet/<int:patient_id>/team/invite", methods=["GET", "POST"])
@login_required
def new_team_member(patient_id: int):
    """Bring a professional into a patient's care team (inviting them if they are new)."""
    patient = open_carnet(patient_id, "team", policy.WRITE, change=AuditAction.CREATE)
    db = get_session()
    form = ProfessionalForm()
    if form.validate_on_submit():
        existing = _existing(db, form.email.data)
        if existing is not None and existing.role != Role.PROFESSIONAL:
            form.email.errors.append(_("An account already uses this e-mail address."))
        elif existing is not None:
            professional = own_professional(existing)
            if not db.exec(select(CareTeamMember).where(
                    CareTeamMember.patient_id == patient.id,
                    CareTeamMember.professional_id == professional.id)).first():
                db.add(CareTeamMember(patient_id=patient.id, professional_id=professional.id,
                                      added_by_id=g.account.id))
            db.commit()
            flash(_("%(name)s is now in the care team.", name=existing.full_name))
            return redirect(url_for("carnet.team", patient_id=patient.id))
        else:
            account = _new_account(db, form, Role.PROFESSIONAL)
            professional = Professional(account_id=account.id, profession=form.profession.data,
                                        structure=form.structure.data or "",
                                        phone=form.phone.data or "")
            db.add(professional)
            db.flush()
            db.add(CareTeamMember(patient_id=patient.id, professional_id=professional.id,
                                  added_by_id=g.account.id))
            invitation, token = create_invitation(
                db, account, InvitationKind.TEAM_MEMBER, g.account, patient)
            return _show_once(db, invitation, token)
    db.commit()  # the audit of this page
    return render_template("invitations/new.html", form=form, kind="team_member",
                           title=_("Add a professional to the care team")), (
        400 if form.errors else 200)


@bp.route("/me/caregivers/invite", methods=["GET", "POST"])
@login_required
def new_caregiver():
    """A patient invites a caregiver and chooses what they see and may do, and until when."""
    patient = own_patient(g.account)
    if not policy.may_invite(get_session(), g.account, InvitationKind.CAREGIVER, patient):
        abort(404)
    form = CaregiverForm()
    if request.method == "GET":
        form.sections.data = CAREGIVER_DEFAULT_SCOPES
    db = get_session()
    if form.validate_on_submit():
        existing = _existing(db, form.email.data)
        if existing is not None and existing.role != Role.CAREGIVER:
            form.email.errors.append(_("An account already uses this e-mail address."))
        else:
            account = existing or _new_account(db, form, Role.CAREGIVER)
            if not db.exec(select(CaregiverLink).where(
                    CaregiverLink.patient_id == patient.id,
                    CaregiverLink.caregiver_account_id == account.id)).first():
                db.add(CaregiverLink(patient_id=patient.id, caregiver_account_id=account.id,
                                     relationship=form.relationship.data or ""))
            event = ledger.grant(db, patient, g.account, account, form.scopes(),
                                 form.until.data)
            if existing is not None:
                db.commit()
                flash(_("%(name)s can now see your carnet.", name=account.full_name))
                return redirect(url_for("me.index"))
            invitation, token = create_invitation(
                db, account, InvitationKind.CAREGIVER, g.account, patient,
                details={"scopes": event.scopes})
            return _show_once(db, invitation, token)
    return render_template("invitations/new.html", form=form, kind="caregiver",
                           title=_("Invite a caregiver")), 400 if form.errors else 200


@bp.route("/professionals/new", methods=["GET", "POST"])
@login_required
def new_professional():
    """An administrator or the territory's coordinator invites a professional."""
    if not policy.may_invite(get_session(), g.account, InvitationKind.PROFESSIONAL):
        abort(404)
    form = ProfessionalForm()
    db = get_session()
    if form.validate_on_submit():
        if _existing(db, form.email.data):
            form.email.errors.append(_("An account already uses this e-mail address."))
        else:
            account = _new_account(db, form, Role.PROFESSIONAL)
            db.add(Professional(account_id=account.id, profession=form.profession.data,
                                structure=form.structure.data or "", phone=form.phone.data or ""))
            invitation, token = create_invitation(
                db, account, InvitationKind.PROFESSIONAL, g.account)
            return _show_once(db, invitation, token)
    return render_template("invitations/new.html", form=form, kind="professional",
                           title=_("Invite a professional")), 400 if form.errors else 200


@bp.get("/invitations/<int:invitation_id>")
@login_required
def show(invitation_id: int):
    """The invitation's link and QR code, shown once to the person who made it."""
    db = get_session()
    invitation = db.get(Invitation, invitation_id)
    if invitation is None or invitation.created_by_id != g.account.id:
        abort(404)
    token = take_shown(f"{SHOWN_TOKENS}:{invitation_id}")
    invitee = db.get(Account, invitation.account_id)
    url = invitation_url(token) if token else None
    return render_template("invitations/show.html", invitation=invitation, invitee=invitee,
                           url=url, qr=qr_svg(url) if url else None)
