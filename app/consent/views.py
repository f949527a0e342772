""""Who saw my carnet" (Code de la santé publique, L1111-19), the consent timeline, and the
patient's switches: who sees what, until when, and stopping it all."""

from __future__ import annotations

from flask import abort, g, redirect, request, url_for

from ..auth import login_required
from ..carnet.access import open_carnet
from ..db import get_session
from ..fhir import health_links
from ..models import SECTIONS, Patient
from ..paging import cursor, page_number
from ..rendering import render
from ..types import utcnow
from . import access_requests, bp, ledger, queries
from .forms import StopForm, SwitchForm, UntilForm, messages


def own_carnet(patient_id: int) -> Patient:
    """The carnet, for its patient only; anyone else's attempt is audited and gets 404."""
    return open_carnet(patient_id, "consent")


@bp.get("/carnet/<int:patient_id>/who-saw")
@login_required
def who_saw(patient_id: int):
    """Every read or change of the carnet by someone else, newest first, refusals included."""
    patient = own_carnet(patient_id)
    db = get_session()
    keyset = queries.who_saw(db, patient, cursor(queries.WHO_SAW_ORDER))
    # Who opened a hand-over link is named as they gave their name: one query, if any.
    names = health_links.recipients(db, {event.object_id for event, _actor in keyset.rows
                                         if event.object_type == health_links.HANDED_OVER})
    return render("consent/who_saw.html", keyset=keyset, rows=[
        (event, actor, names.get(event.object_id) if event.object_type
         == health_links.HANDED_OVER else None) for event, actor in keyset.rows])


@bp.get("/carnet/<int:patient_id>/consent/timeline")
@login_required
def timeline(patient_id: int):
    """The history of the patient's decisions on who sees what."""
    rows, page, pages = queries.timeline(get_session(), own_carnet(patient_id), page_number())
    return render("consent/timeline.html", rows=rows, page=page, pages=pages)


def who_can_see_page(patient: Patient, status: int = 200, errors: dict | None = None):
    db = get_session()
    return render("consent/who_can_see.html", None, status,
                  people=ledger.people_and_access(db, patient), sections=SECTIONS,
                  pending=access_requests.pending(db, patient), errors=errors or {},
                  opened=request.args.get("open", type=int),
                  today=utcnow().astimezone(ledger.PARIS).date())


@bp.get("/carnet/<int:patient_id>/consent")
@login_required
def who_can_see(patient_id: int):
    """"Who can see my carnet": requests waiting, then each person, each part, a switch."""
    return who_can_see_page(own_carnet(patient_id))


def _about(form_class, patient: Patient, outside_team: bool = False, **kwargs):
    """The form of a decision about someone around the carnet; 404 when it is about nobody
    there (and, with ``outside_team``, about the care team, whose sharing is opposed part
    by part)."""
    form = form_class(ledger.people_and_access(get_session(), patient), **kwargs)
    if form.person is None or (outside_team and form.person.in_team):
        abort(404)
    return form


def _back_to(patient: Patient, person: ledger.Person):
    """Back to the sharing page, with that person's disclosure open where it was."""
    return redirect(url_for("consent.who_can_see", patient_id=patient.id,
                            open=person.account.id) + f"#person-{person.account.id}")


@bp.post("/carnet/<int:patient_id>/consent")
@login_required
def switch(patient_id: int):
    """Show or stop showing one part of the carnet to one person; it applies at once."""
    patient = own_carnet(patient_id)
    form = _about(SwitchForm, patient)
    if not form.validate():
        abort(404)
    try:
        ledger.set_scope(get_session(), patient, g.account, form.person.account,
                         form.section.data, form.visible.data == "yes")
    except ValueError:  # writing, inside the team, goes with seeing
        abort(404)
    return _back_to(patient, form.person)


@bp.post("/carnet/<int:patient_id>/consent/until")
@login_required
def until(patient_id: int):
    """Change until when someone outside the team sees what they were granted."""
    patient = own_carnet(patient_id)
    form = _about(UntilForm, patient, outside_team=True)
    if not form.validate():
        return who_can_see_page(patient, 400, messages(form, str(form.person.account.id)))
    ledger.set_until(get_session(), patient, g.account, form.person.account, form.until.data)
    return _back_to(patient, form.person)


@bp.route("/carnet/<int:patient_id>/consent/stop", methods=["GET", "POST"])
@login_required
def stop(patient_id: int):
    """Someone outside the team no longer sees anything of the carnet: the question first
    (``?grantee=``; without it, the list of people to choose from), at once when confirmed."""
    patient = own_carnet(patient_id)
    if request.method == "GET":
        if "grantee" not in request.args:
            return redirect(url_for("consent.who_can_see", patient_id=patient.id))
        form = _about(StopForm, patient, outside_team=True, formdata=request.args)
        return render("consent/stop.html", person=form.person)
    form = _about(StopForm, patient, outside_team=True)
    if not form.confirm.data:
        return redirect(url_for("consent.stop", patient_id=patient.id,
                                grantee=form.person.account.id), 303)
    ledger.stop_sharing(get_session(), patient, g.account, form.person.account)
    return _back_to(patient, form.person)
