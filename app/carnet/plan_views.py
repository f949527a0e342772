"""The care plan pages: read it, and — for the care team — keep it up to date, inline with htmx."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import policy
from ..auth import login_required
from ..content import reading
from ..db import StaleEdit, get_session
from ..models import ActionStatus, AuditAction, Patient, PlanItem, PlanItemKind
from ..rendering import announce, render
from ..templating import changed_meanwhile
from . import bp, forms, plan, queries
from .access import carnet_access, open_carnet
from .my_day_views import back_to_day


def _item(patient: Patient, item_id: int | None) -> PlanItem:
    item = get_session().get(PlanItem, item_id) if item_id is not None else None
    if item is None or item.patient_id != patient.id or item.archived_at is not None:
        abort(404)
    return item


def _place(patient: Patient) -> tuple[PlanItemKind, PlanItem | None]:
    """The kind of a new item and the item it goes under, from the page's address or its
    form; a place that is not in this plan answers 404."""
    place = forms.PlaceForm(request.values)
    if not place.validate():
        abort(404)
    parent = _item(patient, place.parent.data) if place.parent.data else None
    if not plan.fits(place.kind.data, parent):
        abort(404)
    return place.kind.data, parent


def _context(patient: Patient) -> dict:
    db = get_session()
    # The published pages an action may point at, and the titles of those it points at:
    # one query, however many actions and pages (they are not patient data).
    pages = reading.choices(db, str(get_locale() or "fr"))
    return {
        "page_choices": pages,
        "understand_pages": {page.slug: page for page in pages},
        "tree": queries.plan_tree(db, patient.id),
        "people": queries.people_of(db, patient),
        "may_manage": policy.can(db, g.account, policy.MANAGE, patient, "plan"),
        "may_comment": policy.can(db, g.account, policy.WRITE, patient, "plan"),
        "may_set_status": lambda item: item.kind == PlanItemKind.ACTION and policy.may_set_status(
            db, g.account, patient, item.responsible_account_id),
        "may_answer": lambda item: policy.may_answer_delegation(db, g.account, patient, item),
        "statuses": list(ActionStatus),
    }


def _choices(context: dict, item: PlanItem | None = None) -> tuple[list[int], set[str]]:
    """Whom an action may be given to, and the pages it may point at (a published one, or
    the one it already has)."""
    return ([account.id for account, _role in context["people"]],
            set(context["understand_pages"]) | ({item.content_slug} if item else set()))


def _back_to(patient: Patient, item_id: int | None = None):
    anchor = f"#item-{item_id}" if item_id else ""
    return redirect(url_for("carnet.plan", patient_id=patient.id) + anchor)


def _item_fragment(patient: Patient, item_id: int, status: int = 200, **extra):
    """The item as the page that changed it inline shows it (the htmx answer): the plan,
    or the item's own page; without JavaScript, the item's own page."""
    context = _context(patient)
    node = queries.plan_node(context["tree"], item_id)
    if node is None:
        return "", 200
    own_page = url_for("carnet.item_page", patient_id=patient.id, item_id=item_id)
    on_own_page = not request.htmx or urlsplit(request.htmx.current_url or "").path == own_page
    history = [] if request.htmx else queries.item_history(get_session(), item_id)
    return render("carnet/plan_item.html", "item", status, node=node, history=history,
                  page_item_id=item_id if on_own_page else None, **extra, **context)


def _edit_fragment(item: PlanItem, form: forms.PlanItemForm, context: dict, status: int = 200,
                   **extra):
    """The edit form of an item: a page without JavaScript, inline in the plan with htmx."""
    return render("carnet/plan_form.html", "form", status, item=item, kind=item.kind,
                  parent=None, **form.page(), **extra, **context)


@bp.get("/carnet/<int:patient_id>/plan", endpoint="plan")
@login_required
def plan_page(patient_id: int):
    """The shared care plan: problems, goals and actions, who does what and by when."""
    patient = open_carnet(patient_id, "plan")
    return render("carnet/plan.html", "plan", **_context(patient))


@bp.route("/carnet/<int:patient_id>/plan/new", methods=["GET", "POST"])
@login_required
def new_item(patient_id: int):
    """Add a problem, a goal under a problem, or an action under a goal."""
    patient = open_carnet(patient_id, "plan", policy.MANAGE, change=AuditAction.CREATE)
    kind, parent = _place(patient)
    context = _context(patient)
    form = forms.PlanItemForm(*_choices(context))
    if form.validate_on_submit():
        item = plan.add_item(get_session(), patient, g.account, kind, parent, form.values(kind))
        return _back_to(patient, item.id)
    return render("carnet/plan_form.html", None, 400 if form.errors else 200, kind=kind,
                  parent=parent, item=None, **form.page(), **context)


@bp.get("/carnet/<int:patient_id>/plan/<int:item_id>")
@login_required
def item_page(patient_id: int, item_id: int):
    """One item of the plan with its whole history: every change and every comment."""
    patient = open_carnet(patient_id, "plan")
    return _item_fragment(patient, _item(patient, item_id).id)


@bp.get("/carnet/<int:patient_id>/plan/<int:item_id>/edit", endpoint="edit_item")
@bp.post("/carnet/<int:patient_id>/plan/<int:item_id>", endpoint="save_item")
@login_required
def edit_item(patient_id: int, item_id: int):
    """The edit form of an item (a page without JavaScript, inline with htmx), and its save
    unless someone changed the item meanwhile."""
    patient = open_carnet(patient_id, "plan", policy.MANAGE)
    item = _item(patient, item_id)
    context = _context(patient)
    choices = _choices(context, item)
    form = forms.PlanItemForm.of(item, *choices)
    if not form.validate_on_submit():
        return _edit_fragment(item, form, context, 400 if form.is_submitted() else 200)
    try:
        plan.update_item(get_session(), patient, item, g.account, form.version.data,
                         form.values(item.kind))
    except StaleEdit as stale:
        current = forms.PlanItemForm.of(stale.current, *choices, formdata=None)
        return _edit_fragment(stale.current, current, context, 409, stale_by=stale.by)
    if request.htmx:
        return announce(_item_fragment(patient, item.id, focus_item=item.id), _("Saved."))
    return _back_to(patient, item.id)


def _action_for(patient_id: int, item_id: int, may) -> tuple[Patient, PlanItem]:
    """The carnet and its plan item, once ``may(db, patient, item)`` lets the viewer change
    it; refused (and audited) otherwise."""
    patient = open_carnet(patient_id, "plan")
    item = _item(patient, item_id)
    if not may(get_session(), patient, item):
        carnet_access().refuse()
    return patient, item


@bp.post("/carnet/<int:patient_id>/plan/<int:item_id>/status")
@login_required
def set_status(patient_id: int, item_id: int):
    """Change the status of an action (the team, or the person responsible for it)."""
    patient, item = _action_for(patient_id, item_id, lambda db, patient, item: (
        item.kind == PlanItemKind.ACTION and policy.may_set_status(
            db, g.account, patient, item.responsible_account_id)))
    db = get_session()
    form = forms.StatusForm()
    if not form.validate():
        abort(400)  # the list offers every status: another one is a forged request
    try:
        plan.update_item(db, patient, item, g.account, form.version.data,
                         {"status": form.status.data})
    except StaleEdit as stale:
        if form.back.data == "day":  # My day shows the list again, as it is now, and says so
            return back_to_day(changed_meanwhile(stale.by))
        return _item_fragment(patient, item.id, 409, stale_item=item.id, stale_by=stale.by)
    if form.back.data == "day":
        return back_to_day(_("Status saved."))
    if request.htmx:
        return announce(_item_fragment(patient, item.id, focus_item=item.id),
                        _("Status saved."))
    return _back_to(patient, item.id)


@bp.post("/carnet/<int:patient_id>/plan/<int:item_id>/delegation")
@login_required
def answer_delegation(patient_id: int, item_id: int):
    """The professional an action was put on accepts it or declines it."""
    patient, item = _action_for(patient_id, item_id, lambda db, patient, item: (
        policy.may_answer_delegation(db, g.account, patient, item)))
    db = get_session()
    form = forms.DelegationForm()
    if not form.validate():
        if form.errors.keys() - {"note"}:
            abort(400)  # the page offers two answers: another one is a forged request
        message = str(form.errors["note"][0])
    else:
        try:
            plan.answer_delegation(db, patient, item, g.account, form.version.data,
                                   form.answer.data == "accept", form.note.data)
            message = _("You accepted this action.") if form.answer.data == "accept" else _(
                "You declined this action.")
        except StaleEdit as stale:
            message = changed_meanwhile(stale.by)
    if form.back.data == "day":
        return back_to_day(message)
    flash(message)
    return redirect(url_for("carnet.item_page", patient_id=patient.id, item_id=item.id),
                    code=303)


@bp.post("/carnet/<int:patient_id>/plan/<int:item_id>/comments")
@login_required
def comment(patient_id: int, item_id: int):
    """Comment on an item (the patient may comment on any action)."""
    patient = open_carnet(patient_id, "plan", policy.WRITE, change=AuditAction.CREATE)
    item = _item(patient, item_id)
    form = forms.CommentForm()
    if not form.validate():
        return _item_fragment(patient, item.id, 400, **form.page())
    plan.add_comment(get_session(), patient, item, g.account, form.comment.data)
    return redirect(url_for("carnet.item_page", patient_id=patient.id, item_id=item.id))


@bp.post("/carnet/<int:patient_id>/plan/<int:item_id>/move")
@login_required
def move_item(patient_id: int, item_id: int):
    """Move an item up or down among its siblings."""
    patient = open_carnet(patient_id, "plan", policy.MANAGE)
    form = forms.MoveForm()
    if not form.validate():
        abort(400)
    plan.move(get_session(), patient, _item(patient, item_id), g.account, form.direction.data)
    if request.htmx:
        return render("carnet/plan.html", "plan", **_context(patient))
    return _back_to(patient, item_id)


@bp.route("/carnet/<int:patient_id>/plan/<int:item_id>/delete", methods=["GET", "POST"])
@login_required
def delete_item(patient_id: int, item_id: int):
    """Take an item and what hangs under it out of the plan (their history is kept): the
    question first, the removal once confirmed."""
    patient = open_carnet(patient_id, "plan", policy.MANAGE, change=AuditAction.DELETE)
    item = _item(patient, item_id)
    form = forms.ConfirmForm()
    stale_by = {}
    if form.is_submitted():
        if not form.confirm.data:
            return forms.unchanged()
        try:
            plan.archive(get_session(), patient, item, g.account, form.version.data)
        except StaleEdit as stale:
            stale_by = {"stale_by": stale.by}
        else:
            if request.htmx:
                return render("carnet/plan.html", "plan", **_context(patient))
            return _back_to(patient)
    context = _context(patient)
    return render("carnet/plan_remove.html", None, 409 if stale_by else 200,
                  node=queries.plan_node(context["tree"], item_id), **stale_by, **context)
