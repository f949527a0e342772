"""The invitation pages: who is invited (the form), then the link and its QR code, shown
once to the person who will hand it over."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import policy
from ..auth import login_required, own_patient, own_professional
from ..auth.invitations import invitation_url, qr_svg
from ..auth.session import show_once, take_shown
from ..carnet.access import open_carnet
from ..db import get_session
from ..models import Account, AuditAction, Invitation, InvitationKind, Patient
from . import bp, people
from .forms import CaregiverForm, PatientForm, PersonForm, ProfessionalForm

SHOWN_TOKENS = "invitation_tokens"
TITLES = {InvitationKind.PATIENT: _l("Open a carnet for a patient"),
          InvitationKind.PROFESSIONAL: _l("Invite a professional"),
          InvitationKind.TEAM_MEMBER: _l("Add a professional to the care team"),
          InvitationKind.CAREGIVER: _l("Invite a caregiver")}


def _invited(kind: InvitationKind, form_class: type[PersonForm],
             invite: Callable[[PersonForm], people.Invited], patient: Patient | None = None,
             done: str = "", then: str = ""):
    """The form of an invitation of ``kind`` (404 for whoever may not invite so); once it is
    valid, ``invite(form)``, then the link shown once (POST → redirect → GET), or, for
    someone brought in as they are, ``done`` said (of their ``%(name)s``) and ``then``
    shown."""
    if not policy.may_invite(get_session(), g.account, kind, patient):
        abort(404)
    form = form_class()
    if form.validate_on_submit():
        try:
            invited = invite(form)
        except people.EmailTaken:
            form.email.errors.append(_("An account already uses this e-mail address."))
        else:
            if invited.invitation is None:
                flash(done % {"name": invited.account.full_name})
                return redirect(then)
            show_once(f"{SHOWN_TOKENS}:{invited.invitation.id}", invited.token)
            return redirect(url_for("invitations.show", invitation_id=invited.invitation.id))
    return render_template("invitations/new.html", form=form, kind=kind.value,
                           title=TITLES[kind]), 400 if form.errors else 200


@bp.route("/patients/new", methods=["GET", "POST"])
@login_required
def new_patient():
    """A professional opens a carnet for a patient and invites them."""
    return _invited(InvitationKind.PATIENT, PatientForm, lambda form: people.invite_patient(
        get_session(), form.invitee(), g.account, own_professional(g.account),
        form.birth_date.data, form.phone.data or "", form.conditions.data or []))


@bp.route("/carnet/<int:patient_id>/team/invite", methods=["GET", "POST"])
@login_required
def new_team_member(patient_id: int):
    """Bring a professional into a patient's care team (inviting them if they are new)."""
    patient = open_carnet(patient_id, "team", policy.WRITE, change=AuditAction.CREATE)
    return _invited(InvitationKind.TEAM_MEMBER, ProfessionalForm, lambda form: (
        people.add_team_member(get_session(), patient, form.invitee(), g.account,
                               **form.details())), patient,
        _("%(name)s is now in the care team."), url_for("carnet.team", patient_id=patient.id))


@bp.route("/me/caregivers/invite", methods=["GET", "POST"])
@login_required
def new_caregiver():
    """A patient invites a caregiver and chooses what they see and may do, and until when."""
    patient = own_patient(g.account)
    return _invited(InvitationKind.CAREGIVER, CaregiverForm, lambda form: (
        people.invite_caregiver(get_session(), patient, form.invitee(), g.account,
                                form.relationship.data or "", form.scopes(),
                                form.until.data)), patient,
        _("%(name)s can now see your carnet."), url_for("me.index"))


@bp.route("/professionals/new", methods=["GET", "POST"])
@login_required
def new_professional():
    """An administrator or the territory's coordinator invites a professional."""
    return _invited(InvitationKind.PROFESSIONAL, ProfessionalForm, lambda form: (
        people.invite_professional(get_session(), form.invitee(), g.account,
                                   **form.details())))


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
