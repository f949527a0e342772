"""Access for professionals outside the care team: the patient's link, the coordinator's
request, and the patient's answer."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, url_for

from .. import policy
from ..auth import login_required
from ..auth.invitations import qr_svg
from ..auth.session import show_once, take_shown
from ..carnet.access import ACCESS_LINK, CarnetAccess, carnet_access, open_carnet
from ..db import discard_session, get_session
from ..models import SECTIONS, AccessLink, Account, AuditAction, Patient
from . import access_requests, bp
from .forms import AnswerForm, AskForm, AskOnBehalfForm, messages
from .views import own_carnet, who_can_see_page

SHOWN_LINKS = "access_link_tokens"


@bp.post("/carnet/<int:patient_id>/consent/access-link")
@login_required
def make_access_link(patient_id: int):
    """The patient makes a link to hand to a professional outside the team."""
    patient = own_carnet(patient_id)
    link, token = access_requests.make_link(get_session(), patient, g.account)
    show_once(f"{SHOWN_LINKS}:{link.id}", token)
    return redirect(url_for("consent.access_link", patient_id=patient.id, link_id=link.id))


@bp.get("/carnet/<int:patient_id>/consent/access-link/<int:link_id>")
@login_required
def access_link(patient_id: int, link_id: int):
    """The link and its QR code, shown once to the patient who made it."""
    patient = own_carnet(patient_id)
    link = get_session().get(AccessLink, link_id)
    if link is None or link.patient_id != patient.id:
        abort(404)
    token = take_shown(f"{SHOWN_LINKS}:{link_id}")
    url = access_requests.link_url(token) if token else None
    return render_template("consent/access_link.html", link=link, url=url,
                           qr=qr_svg(url) if url else None)


def _ask_page(patient: Patient, form: AskForm, **context):
    owner = get_session().get(Account, patient.account_id)
    return render_template("consent/ask.html", owner=owner, sections=SECTIONS, form=form,
                           errors=messages(form), **context), 400 if form.errors else 200


@bp.route("/access/<token>", methods=["GET", "POST"])
def ask(token: str):
    """A professional outside the team, with the patient's link, asks to see some parts."""
    db = get_session()
    link = access_requests.usable_link(db, token)
    if link is None:
        return render_template("consent/ask_invalid.html"), 404
    if g.get("account") is None:
        return render_template("consent/ask_sign_in.html"), 200
    patient = db.get(Patient, link.patient_id)
    # The page shows the patient's name: a read of her link, by whoever opens it.
    access = CarnetAccess(db, g.account, patient, change=AuditAction.CREATE)
    access.allow(policy.may_ask_access(db, g.account, patient), ACCESS_LINK)
    form = AskForm()
    if not form.validate_on_submit():
        return _ask_page(patient, form)
    try:
        access_requests.ask(db, patient, g.account, form.sections.data, form.message.data,
                            link=link)
    except access_requests.UnusableLink:  # spent by someone else a moment ago: keep nothing
        discard_session()
        return render_template("consent/ask_invalid.html"), 404
    return redirect(url_for("consent.asked"))


@bp.get("/access/sent")
@login_required
def asked():
    """What happens next, once a professional has asked."""
    return render_template("consent/asked.html")


@bp.route("/carnet/<int:patient_id>/team/ask-access", methods=["GET", "POST"])
@login_required
def ask_on_behalf(patient_id: int):
    """The team's coordinator asks the patient to let a professional outside the team in."""
    patient = open_carnet(patient_id, "team", policy.MANAGE, change=AuditAction.CREATE)
    db = get_session()
    carnet_access().check(policy.may_ask_on_behalf(db, g.account, patient))
    carnet_access().about("access_request")
    outside = access_requests.professionals_outside(db, patient)
    form = AskOnBehalfForm([account for account, _p in outside])
    if not form.validate_on_submit():
        return _ask_page(patient, form, professionals=outside)
    access_requests.ask(db, patient, form.requester, form.sections.data, form.message.data,
                        asked_by=g.account)
    return redirect(url_for("carnet.team", patient_id=patient.id))


@bp.post("/carnet/<int:patient_id>/consent/requests/<int:request_id>")
@login_required
def answer(patient_id: int, request_id: int):
    """The patient accepts (the parts they tick, until a date) or refuses a request."""
    patient = own_carnet(patient_id)
    db = get_session()
    pending = access_requests.pending_request(db, patient, request_id)
    form = AnswerForm()
    if pending is None or form.decision.data not in ("accept", "refuse"):
        abort(404)
    if form.decision.data == "refuse":
        access_requests.refuse(db, patient, pending)
        return redirect(url_for("consent.who_can_see", patient_id=patient.id))
    if not form.validate():
        return who_can_see_page(patient, 400, messages(form, f"request-{pending.id}"))
    access_requests.accept(db, patient, pending, g.account, form.sections.data,
                           form.until.data)
    return redirect(url_for("consent.who_can_see", patient_id=patient.id)
                    + f"#person-{pending.requester_account_id}")
