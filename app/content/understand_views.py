""""Understand my condition": the published pages for a carnet, one page, and "Was this clear?".

A page is not patient data: anyone signed in may read it, and nothing records who did.
The list for one carnet is, since it reveals the carnet's conditions and plan: it asks
the access policy (the plan section), which audits reads by anyone but the patient.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from sqlmodel import Session, col, select

from ..auth import login_required
from ..carnet.access import open_carnet
from ..db import get_session
from ..models import Condition, ContentPage, ContentStatus, Patient, PlanItem, Questionnaire
from ..policy import is_owner
from . import authoring, feedback, reading, understand
from .forms import FeedbackForm, first_errors
from .markdown import render_markdown
from .views import author_required

# The page versions this browser already answered about (kept in its own session only).
ANSWERED = "content_feedback_answered"
ANSWERED_KEPT = 100


def shelves(db: Session, patient: Patient, language: str) -> list[tuple[Condition | None,
                                                                         list[ContentPage]]]:
    """The pages for a carnet, grouped by its conditions (in its order), then the others.

    The pages of its conditions, those its plan's actions point at and those attached to
    the items of its questionnaires: five queries, whatever the number of pages.
    """
    known = {c.value for c in Condition}
    conditions = [c for c in (patient.conditions or []) if c in known]
    slugs = db.exec(select(PlanItem.content_slug).where(
        PlanItem.patient_id == patient.id, col(PlanItem.archived_at).is_(None),
        PlanItem.content_slug != "")).all()
    questionnaires = dict(db.exec(select(Questionnaire.code, Questionnaire.condition).where(
        col(Questionnaire.condition).in_(conditions),
        Questionnaire.status == ContentStatus.PUBLISHED).distinct()).all())
    pages: dict[str, tuple[ContentPage, str | None]] = {}
    for item, page in reading.for_questionnaires(db, questionnaires, language).items():
        pages[page.slug] = (page, questionnaires.get(item.split(":", 1)[0]))
    for page in [*reading.for_conditions(db, conditions, language),
                 *reading.for_slugs(db, slugs, language).values()]:
        pages.setdefault(page.slug, (page, None))
    groups: dict[str | None, list[ContentPage]] = {}
    for page, questionnaire_condition in pages.values():
        shelf = next((c for c in conditions if c in (page.conditions or [])),
                     questionnaire_condition)
        groups.setdefault(shelf, []).append(page)
    order = [*conditions, None]
    return [(Condition(shelf) if shelf else None, reading.by_title(groups[shelf]))
            for shelf in order if shelf in groups]


@understand.get("/carnet/<int:patient_id>/understand")
@login_required
def for_carnet(patient_id: int):
    """"Understand my condition": the pages of a carnet's conditions, plan and questionnaires."""
    patient = open_carnet(patient_id, "plan")
    language = reading.reader_language()
    return render_template("understand/carnet.html", language=language,
                           shelves=shelves(get_session(), patient, language),
                           own=is_owner(g.account, patient))


def _answered(page: ContentPage) -> bool:
    return page.id in session.get(ANSWERED, [])


def _page_view(page: ContentPage, status: int = 200, errors: dict | None = None,
               values: dict | None = None):
    return render_template(
        "understand/page.html", page=page, body=render_markdown(page.body_markdown),
        language=reading.reader_language(), answered=_answered(page), errors=errors or {},
        values=values or {}, comment_max=feedback.COMMENT_MAX), status


def _published_page(slug: str) -> ContentPage:
    page = reading.page(get_session(), slug, reading.reader_language())
    if page is None:
        abort(404)
    return page


@understand.get("/understand/<slug>")
@login_required
def page(slug: str):
    """One educational page, with "Was this clear?" under it."""
    return _page_view(_published_page(slug))


@understand.post("/understand/<slug>/feedback")
@login_required
def answer(slug: str):
    """Keep a "Was this clear?" answer about the version shown, without saying whose."""
    shown = _published_page(slug)
    db = get_session()
    form = FeedbackForm()
    page = db.get(ContentPage, form.page_id.data) if form.page_id.data else None
    if page is None or page.slug != slug or page.status != ContentStatus.PUBLISHED:
        return _page_view(shown, 400, {"page": _(
            "This page has changed since you opened it. Please read it again, then answer.")})
    if _answered(page):
        flash(_("You already answered about this page. Thank you!"))
    elif not form.validate():
        return _page_view(page, 400, first_errors(form), form.data)
    else:
        feedback.record(db, page, form.is_clear(), form.comment.data)
        session[ANSWERED] = [*session.get(ANSWERED, []), page.id][-ANSWERED_KEPT:]
    return redirect(url_for("understand.page", slug=slug) + "#feedback", 303)


@authoring.get("/feedback")
@author_required
def feedback_for_editors():
    """What readers said about each page: counts of each answer and the comments."""
    return render_template("authoring/feedback.html", entries=feedback.summary(get_session()))
