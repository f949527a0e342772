"""The care plan pages: read it, and — for the care team — keep it up to date, inline with htmx."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import policy
from ..auth import login_required
from ..content import reading
from ..db import get_session
from ..ids import MAX_ID, parse_id, whole_number
from ..models import ActionStatus, AuditAction, Patient, PlanItem, PlanItemKind
from ..rendering import announce, render
from . import bp, plan, queries
from .access import carnet_access, open_carnet

FIELDS = ("title", "details", "status", "responsible_account_id", "due_date", "content_slug")


def _item(patient: Patient, item_id: int | None) -> PlanItem:
    item = get_session().get(PlanItem, item_id) if item_id is not None else None
    if item is None or item.patient_id != patient.id or item.archived_at is not None:
        abort(404)
    return item


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
        "statuses": list(ActionStatus),
    }


def _form_values(kind: PlanItemKind) -> dict:
    """The fields the form sent; only an action points at an educational page."""
    return {name: request.form[name] for name in FIELDS if name in request.form
            and (name != "content_slug" or kind == PlanItemKind.ACTION)}


def _page_slugs(context: dict, item: PlanItem | None = None) -> set[str]:
    """The pages an action may point at: a published one, or the one it already has."""
    return set(context["understand_pages"]) | ({item.content_slug} if item else set())


def _base_version() -> int:
    """The version the form was opened on; anything else is no version (a stale save)."""
    version = whole_number(request.form.get("version", ""), 0, MAX_ID)
    return -1 if version is None else version


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


@bp.get("/carnet/<int:patient_id>/plan", endpoint="plan")
@login_required
def plan_page(patient_id: int):
    """The shared care plan: problems, goals and actions, who does what and by when."""
    patient = open_carnet(patient_id, "plan")
    context = _context(patient)
    get_session().commit()
    return render("carnet/plan.html", "plan", **context)


@bp.route("/carnet/<int:patient_id>/plan/new", methods=["GET", "POST"])
@login_required
def new_item(patient_id: int):
    """Add a problem, a goal under a problem, or an action under a goal."""
    patient = open_carnet(patient_id, "plan", policy.MANAGE, change=AuditAction.CREATE)
    db = get_session()
    source = request.form if request.method == "POST" else request.args
    try:
        kind = PlanItemKind(source.get("kind", "problem"))
    except ValueError:
        abort(404)
    parent_id = source.get("parent", "")
    parent = _item(patient, parse_id(parent_id)) if parent_id else None
    context = _context(patient)
    errors: dict[str, str] = {}
    if request.method == "POST":
        people = {account.id for account, _role in context["people"]}
        try:
            item = plan.add_item(db, patient, g.account, kind, _form_values(kind), people, parent,
                                 _page_slugs(context))
        except plan.InputError as error:
            errors = error.errors
        else:
            return _back_to(patient, item.id)
    db.commit()
    return render("carnet/plan_form.html", None, 400 if errors else 200, kind=kind,
                  parent=parent, item=None, values=request.form, errors=errors, **context)


@bp.get("/carnet/<int:patient_id>/plan/<int:item_id>")
@login_required
def item_page(patient_id: int, item_id: int):
    """One item of the plan with its whole history: every change and every comment."""
    patient = open_carnet(patient_id, "plan")
    db = get_session()
    _item(patient, item_id)
    context = _context(patient)
    node = queries.plan_node(context["tree"], item_id)
    history = queries.item_history(db, item_id)
    db.commit()
    return render("carnet/plan_item.html", None, node=node, history=history,
                  page_item_id=item_id, **context)


@bp.get("/carnet/<int:patient_id>/plan/<int:item_id>/edit")
@login_required
def edit_item(patient_id: int, item_id: int):
    """The edit form of an item: a page without JavaScript, an inline form with htmx."""
    patient = open_carnet(patient_id, "plan", policy.MANAGE)
    item = _item(patient, item_id)
    context = _context(patient)
    get_session().commit()
    return render("carnet/plan_form.html", "form", item=item, kind=item.kind, parent=None,
                  values={}, errors={}, **context)


@bp.post("/carnet/<int:patient_id>/plan/<int:item_id>")
@login_required
def save_item(patient_id: int, item_id: int):
    """Save an edited item, unless someone changed it meanwhile."""
    patient = open_carnet(patient_id, "plan", policy.MANAGE)
    db = get_session()
    item = _item(patient, item_id)
    context = _context(patient)
    people = {account.id for account, _role in context["people"]}
    try:
        plan.update_item(db, patient, item, g.account, _base_version(), _form_values(item.kind),
                         people, _page_slugs(context, item))
    except plan.InputError as error:
        db.commit()  # its page again: a read
        return render("carnet/plan_form.html", "form", 400, item=item, kind=item.kind,
                      parent=None, values=request.form, errors=error.errors, **context)
    except plan.StaleEdit as stale:
        db.commit()
        return render("carnet/plan_form.html", "form", 409, item=stale.current,
                      kind=item.kind, parent=None, values=request.form, errors={},
                      stale_by=stale.by, **context)
    if request.htmx:
        return announce(_item_fragment(patient, item.id, focus_item=item.id), _("Saved."))
    return _back_to(patient, item.id)


@bp.post("/carnet/<int:patient_id>/plan/<int:item_id>/status")
@login_required
def set_status(patient_id: int, item_id: int):
    """Change the status of an action (the team, or the person responsible for it)."""
    patient = open_carnet(patient_id, "plan")
    db = get_session()
    item = _item(patient, item_id)
    if item.kind != PlanItemKind.ACTION or not policy.may_set_status(
        db, g.account, patient, item.responsible_account_id
    ):
        carnet_access().refuse()
    people = {item.responsible_account_id}
    try:
        plan.update_item(db, patient, item, g.account, _base_version(),
                         {"status": request.form.get("status", "")}, people)
    except plan.InputError:
        abort(400)
    except plan.StaleEdit as stale:
        db.commit()
        return _item_fragment(patient, item.id, 409, stale_item=item.id, stale_by=stale.by)
    if request.htmx:
        return announce(_item_fragment(patient, item.id, focus_item=item.id),
                        _("Status saved."))
    return _back_to(patient, item.id)


@bp.post("/carnet/<int:patient_id>/plan/<int:item_id>/comments")
@login_required
def comment(patient_id: int, item_id: int):
    """Comment on an item (the patient may comment on any action)."""
    patient = open_carnet(patient_id, "plan", policy.WRITE, change=AuditAction.CREATE)
    db = get_session()
    item = _item(patient, item_id)
    try:
        plan.add_comment(db, patient, item, g.account, request.form.get("comment", ""))
    except plan.InputError as error:
        db.commit()  # its page again: a read
        context = _context(patient)
        node = queries.plan_node(context["tree"], item_id)
        return render("carnet/plan_item.html", None, 400, node=node,
                      history=queries.item_history(db, item_id), errors=error.errors,
                      values=request.form, page_item_id=item_id, **context)
    return redirect(url_for("carnet.item_page", patient_id=patient.id, item_id=item.id))


@bp.post("/carnet/<int:patient_id>/plan/<int:item_id>/move")
@login_required
def move_item(patient_id: int, item_id: int):
    """Move an item up or down among its siblings."""
    patient = open_carnet(patient_id, "plan", policy.MANAGE)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    plan.move(get_session(), patient, _item(patient, item_id), g.account, direction)
    if request.htmx:
        return render("carnet/plan.html", "plan", **_context(patient))
    return _back_to(patient, item_id)


@bp.route("/carnet/<int:patient_id>/plan/<int:item_id>/delete", methods=["GET", "POST"])
@login_required
def delete_item(patient_id: int, item_id: int):
    """Take an item and what hangs under it out of the plan (their history is kept): the
    question first, the removal once confirmed."""
    patient = open_carnet(patient_id, "plan", policy.MANAGE, change=AuditAction.DELETE)
    db = get_session()
    item = _item(patient, item_id)
    if request.method == "GET":
        context = _context(patient)
        db.commit()
        return render("carnet/plan_remove.html", node=queries.plan_node(context["tree"], item_id),
                      **context)
    if not request.form.get("confirm"):
        return redirect(request.path, 303)
    try:
        plan.archive(db, patient, item, g.account, _base_version())
    except plan.StaleEdit as stale:
        db.commit()  # its page again: a read
        context = _context(patient)
        return render("carnet/plan_remove.html", None, 409,
                      node=queries.plan_node(context["tree"], item_id), stale_by=stale.by,
                      **context)
    if request.htmx:
        return render("carnet/plan.html", "plan", **_context(patient))
    return _back_to(patient)
