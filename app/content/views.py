"""The authoring space's home and the review workflow's steps, for pages and questionnaires."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlmodel import Session, col, select

from ..auth import login_required
from ..db import get_session
from ..models import ContentPage, ContentStatus, Questionnaire, ReviewAction
from ..policy import may_author
from . import authoring, workflow
from .forms import COMMENT_MAX, StepForm, first_errors

# The two kinds of content, as they appear in URLs, with the page that shows one.
KINDS = {
    "pages": (ContentPage, "authoring.page", "page_id"),
    "questionnaires": (Questionnaire, "authoring.questionnaire", "questionnaire_id"),
}
REVIEWS = {"approve": ReviewAction.APPROVE, "comment": ReviewAction.COMMENT,
           "request_changes": ReviewAction.REQUEST_CHANGES}


def author_required(view):
    """Editors and professionals only; anyone else gets 404, as for any page not theirs."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not may_author(g.account):
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def item_url(item: workflow.Content) -> str:
    kind = "pages" if isinstance(item, ContentPage) else "questionnaires"
    _model, endpoint, arg = KINDS[kind]
    return url_for(endpoint, **{arg: item.id})


def workflow_context(db: Session, item: workflow.Content) -> dict:
    """What templates/authoring/_workflow.html needs to show ``item``'s review panel."""
    steps = workflow.history(db, item)
    return {
        "item": item,
        "kind": "pages" if isinstance(item, ContentPage) else "questionnaires",
        "steps": steps,
        "approved_by": workflow.approvals(steps, item),
        "missing": workflow.missing_approvals(steps, item),
        "is_author": g.account.id in workflow.authors(steps, item),
        "comment_max": COMMENT_MAX,
    }


@authoring.get("/")
@author_required
def home():
    """What is waiting for me, then every page and questionnaire with its versions."""
    db = get_session()
    pages = db.exec(select(ContentPage).order_by(
        col(ContentPage.slug), col(ContentPage.language).desc(),
        col(ContentPage.version).desc())).all()
    questionnaires = db.exec(select(Questionnaire).order_by(
        col(Questionnaire.code), col(Questionnaire.language).desc(),
        col(Questionnaire.version).desc())).all()
    waiting = [item for item in [*pages, *questionnaires]
               if item.status == ContentStatus.IN_REVIEW and item.author_id != g.account.id]
    return render_template("authoring/home.html", pages=_families(pages, "slug"),
                           questionnaires=_families(questionnaires, "code"), waiting=waiting)


def _families(rows, key: str) -> list[list]:
    """Rows grouped by slug or code (already sorted), each group French first (its title
    names the group), then each language's newest version first."""
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(getattr(row, key), []).append(row)
    return list(groups.values())


@authoring.post("/<kind>/<int:content_id>/workflow")
@author_required
def step(kind: str, content_id: int):
    """One step of the workflow; a step that cannot be taken changes nothing and says why."""
    if kind not in KINDS:
        abort(404)
    model, _endpoint, _arg = KINDS[kind]
    db = get_session()
    item = db.get(model, content_id)
    if item is None:
        abort(404)
    form = StepForm()
    name, comment = form.step.data, form.comment.data or ""
    try:
        if not form.validate():
            raise workflow.WorkflowError(next(iter(first_errors(form).values())))
        if name == "submit":
            workflow.submit(db, item, g.account, comment)
        elif name == "publish":
            workflow.publish(db, item, g.account)
        elif name == "retire":
            workflow.retire(db, item, g.account, comment)
        else:
            workflow.review(db, item, g.account, REVIEWS[name], comment)
    except workflow.WorkflowError as error:
        db.rollback()
        flash(str(error))
        return redirect(item_url(item), 303)
    flash({"submit": _("Sent for review."), "approve": _("Approved."),
           "comment": _("Comment added."), "request_changes": _("Sent back to its authors."),
           "publish": _("Published."), "retire": _("Retired.")}[name])
    return redirect(item_url(item), 303)
