"""Hand-over by QR code (SMART Health Links, app/fhir/health_links.py): the patient's page
to make and end links, the manifest that hands the ciphertext over, and the viewer that
decrypts it in the recipient's browser."""

from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from ..auth import login_required
from ..auth.invitations import qr_svg
from ..auth.session import show_once, take_shown
from ..carnet.access import open_carnet
from ..consent.forms import messages
from ..db import get_session
from ..i18n import script_locale
from ..labels import label
from ..models import (
    SECTIONS,
    ActionStatus,
    AppointmentStatus,
    Profession,
    TeamRole,
)
from ..rendering import render
from ..security import csrf, limiter
from ..types import utcnow
from . import bp, health_links
from .forms import HandOverForm

SHOWN = "health_link"
manifest_limit = limiter.shared_limit(
    lambda: current_app.config["CARNET_HEALTH_LINK_LIMIT"], scope="health-link")


def _own_carnet(patient_id: int):
    return open_carnet(patient_id, "consent")  # the patient's alone, as her sharing choices


def _own_link(patient_id: int, link_id: int):
    """The patient's carnet and one of her links (404 for anything else)."""
    patient = _own_carnet(patient_id)
    link = health_links.own_link(get_session(), patient, link_id)
    if link is None:
        abort(404)
    return patient, link


def _page(patient, form: HandOverForm, status: int = 200):
    return render("fhir/handover.html", None, 400 if form.errors else status, form=form,
                  errors=messages(form), sections=SECTIONS, lifetimes=health_links.LIFETIMES,
                  links=health_links.made(get_session(), patient), now=utcnow())


@bp.route("/carnet/<int:patient_id>/handover", methods=["GET", "POST"])
@login_required
def handover(patient_id: int):
    """Make a link and QR code to a copy of some parts of the carnet; see and end links."""
    patient = _own_carnet(patient_id)
    form = HandOverForm()
    if request.method == "GET":
        form.sections.data = list(SECTIONS[:3])  # team, plan, appointments: what a night
        return _page(patient, form)                 # doctor needs first; she may tick more
    if not form.validate():
        return _page(patient, form)
    link, url = health_links.make(get_session(), patient, form.sections.data,
                                  form.lifetime.data, form.passcode.data, form.label.data,
                                  utcnow())
    show_once(f"{SHOWN}:{link.id}", url)
    return redirect(url_for("fhir.handed_over", patient_id=patient.id, health_link_id=link.id))


@bp.get("/carnet/<int:patient_id>/handover/<int:health_link_id>")
@login_required
def handed_over(patient_id: int, health_link_id: int):
    """The new link and its QR code, shown once: Carnet keeps no copy of its key."""
    patient, link = _own_link(patient_id, health_link_id)
    url = take_shown(f"{SHOWN}:{link.id}")
    return render("fhir/handed_over.html", link=link, url=url,
                  qr=qr_svg(url, _("QR code of your hand-over link")) if url else None)


@bp.post("/carnet/<int:patient_id>/handover/<int:health_link_id>/end")
@login_required
def end(patient_id: int, health_link_id: int):
    """End a link in one tap: its copy is erased, nobody gets it any more."""
    patient, link = _own_link(patient_id, health_link_id)
    health_links.end(link, utcnow())
    get_session().add(link)
    return redirect(url_for("fhir.handover", patient_id=patient.id) + "#links")


@bp.get("/shl/view")
def viewer():
    """Carnet's reader of a hand-over link: the key is after the ``#``, so the page's script
    asks for the copy and decrypts it here, in the recipient's browser."""
    return render("fhir/viewer.html", words=_viewer_words(), js_locale=script_locale(),
                  time_zone=current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _viewer_words() -> dict:
    """What the viewer's script writes, translated here ({count}, {date}: its values)."""
    return {
        "professions": {profession.value: label(profession) for profession in Profession},
        "roles": {"attending": label(TeamRole.ATTENDING), "referent": label(TeamRole.REFERENT)},
        "status": {"not-started": label(ActionStatus.TODO),
                   "in-progress": label(ActionStatus.IN_PROGRESS),
                   "completed": label(ActionStatus.DONE)},
        "cancelled": label(AppointmentStatus.CANCELLED),
        "yes": _("Yes"), "no": _("No"),
        "answer": _("%(question)s: %(answer)s", question="{question}", answer="{answer}"),
        "due": _("Due on %(date)s", date="{date}"),
        "born": _("Born on %(date)s", date="{date}"),
        "until": _("This link works until %(date)s.", date="{date}"),
        "made": _("A copy made on %(date)s.", date="{date}"),
        "older": _("And %(count)s older reports.", count="{count}"),
        "bad_link": _("This is not a link to a carnet. Scan the QR code again."),
        "expired": _("This link has expired. Ask the patient for a new QR code."),
        "ended": _("This link has ended. Ask the patient for a new QR code."),
        "wrong": _("Wrong passcode. Tries left before the link stops: %(count)s.",
                   count="{count}"),
        "recipient": _("Please give your name and your role."),
        "network": _("Carnet could not be reached. Check the connection and try again."),
        "broken": _("The copy could not be read. Ask the patient for a new QR code."),
        "busy": _("Opening the carnet…"),
    }


def _json(body: dict, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    # Any SMART Health Links reader may ask (the link is the credential, not a cookie).
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/shl/<token>", methods=["POST", "OPTIONS"])
@csrf.exempt  # no cookie counts here: the link's token (and passcode) is the credential
@manifest_limit
def manifest(token: str):
    """The SMART Health Links manifest: the link's ciphertext for a named recipient."""
    if request.method == "OPTIONS":  # a reader on another origin asks first (CORS)
        response = _json({}, 204)
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
        return response
    asked = request.get_json(silent=True)
    recipient = asked.get("recipient") if isinstance(asked, dict) else None
    passcode = asked.get("passcode", "") if isinstance(asked, dict) else ""
    if (not isinstance(recipient, str) or not recipient.strip()
            or len(recipient) > health_links.RECIPIENT_MAX or not isinstance(passcode, str)
            or len(passcode) > health_links.PASSCODE_MAX):
        return _json({"error": "recipient is required (at most 80 characters)"}, 400)
    db = get_session()
    link = health_links.find(db, token)
    if link is None:
        return _json({"error": "no such link"}, 404)
    answer = health_links.retrieve(db, link, " ".join(recipient.split()), passcode, utcnow())
    if answer.wrong_passcode:
        return _json({"remainingAttempts": answer.attempts_left}, 401)
    if not answer.content:
        return _json({"error": "this link has ended"}, 404)
    return _json({"files": [{"contentType": health_links.FILE_TYPE,
                             "embedded": answer.content}]})
