"""Authoring of educational pages: write a draft, change it, start a new version or a
translation, and read a version as a patient would, with what changed, for the review."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..db import get_session
from ..labels import label
from ..models import Account, Condition, ContentPage, ContentStatus, ReadingLevel
from . import authoring, pages, workflow
from .forms import LANGUAGE_NAMES, NewPageForm, PageForm
from .markdown import render_markdown
from .views import author_required, workflow_context

FIELD_NAMES = {"title": _l("Title"), "conditions": _l("Conditions"),
               "reading_level": _l("Reading level"),
               "questionnaire_item": _l("Questionnaire question")}


def _page_or_404(db: Session, page_id: int) -> ContentPage:
    page = db.get(ContentPage, page_id)
    if page is None:
        abort(404)
    return page


def _form_page(form: PageForm, page: ContentPage | None = None):
    status = 400 if form.errors else 200
    return render_template("authoring/page_form.html", form=form, page=page,
                           languages=LANGUAGE_NAMES), status


@authoring.route("/pages/new", methods=["GET", "POST"])
@author_required
def new_page():
    """Write the first version of a page, as a draft."""
    db = get_session()
    form = NewPageForm(db)
    if form.validate_on_submit():
        try:
            page = pages.create_draft(db, g.account, language=form.language.data,
                                      slug=form.slug.data or "", **form.fields())
        except pages.PageError as error:
            form.slug.errors = [str(error)]
        else:
            flash(_("Draft saved."))
            return redirect(url_for("authoring.page", page_id=page.id), 303)
    return _form_page(form)


@authoring.get("/pages/<int:page_id>")
@author_required
def page(page_id: int):
    """A version as a patient would read it, what changed since the version it replaces,
    and its review."""
    db = get_session()
    page = _page_or_404(db, page_id)
    items = pages.questionnaire_items(db, str(get_locale()))
    others = workflow.siblings(db, page)
    base = workflow.chosen(others, request.args.get("against", "")) or (
        workflow.compared_with(db, page))
    changes = pages.diff(base, page, _words(items)) if base else None
    return render_template(
        "authoring/page.html", page=page, base=base, changes=changes, others=others,
        body=render_markdown(page.body_markdown), question=items.get(page.questionnaire_item, ""),
        author=db.get(Account, page.author_id) if page.author_id else None,
        conditions=[label(Condition(c)) for c in page.conditions], field_names=FIELD_NAMES,
        languages=LANGUAGE_NAMES, **workflow_context(db, page))


def _words(items: dict[str, str]):
    """How a field's value reads in the diff, in the reader's language."""
    def words(name: str, value) -> str:
        if name == "conditions":
            return ", ".join(label(Condition(c)) for c in value) or "—"
        if name == "reading_level":
            return label(ReadingLevel(value))
        if name == "questionnaire_item":
            return items.get(value, value) or _("None")
        return str(value)
    return words


@authoring.route("/pages/<int:page_id>/edit", methods=["GET", "POST"])
@author_required
def edit_page(page_id: int):
    """Change a draft; a version in review or published is never changed in place."""
    db = get_session()
    page = _page_or_404(db, page_id)
    if page.status != ContentStatus.DRAFT:
        return _refuse(page, _("Only a draft can be changed. To change a published page, "
                               "make a new version of it."))
    form = PageForm(db, data=None if request.method == "POST" else {
        "title": page.title, "conditions": page.conditions,
        "reading_level": page.reading_level.value,
        "questionnaire_item": page.questionnaire_item, "body": page.body_markdown})
    if form.validate_on_submit():
        pages.edit_draft(db, page, **form.fields())  # a draft, as seen above
        workflow.edited(db, page, g.account)
        flash(_("Draft saved."))
        return redirect(url_for("authoring.page", page_id=page.id), 303)
    return _form_page(form, page)


def _refuse(page: ContentPage, message: str):
    flash(message)
    return redirect(url_for("authoring.page", page_id=page.id), 303)


@authoring.post("/pages/<int:page_id>/new-version")
@author_required
def new_page_version(page_id: int):
    """Start a new version from the published one (or go to the one being written)."""
    return _start(page_id, pages.new_version)


@authoring.post("/pages/<int:page_id>/translate")
@author_required
def translate_page(page_id: int):
    """Start the English or Arabic version of a published French page (or go to the one
    being written)."""
    language = request.form.get("language", "en")

    def make(db, page: ContentPage, author) -> ContentPage:
        if language not in workflow.TRANSLATIONS:
            abort(400)  # the page offers these only: another is a forged request
        return pages.translate(db, page, author, language)

    return _start(page_id, make)


def _start(page_id: int, make):
    db = get_session()
    page = _page_or_404(db, page_id)
    try:
        draft = make(db, page, g.account)
    except pages.PageError as error:
        return _refuse(page, str(error))
    if draft.status == ContentStatus.DRAFT:
        return redirect(url_for("authoring.edit_page", page_id=draft.id), 303)
    flash(_("This version is being reviewed: it can be changed once the reviewers send it "
            "back, or after it is published."))
    return redirect(url_for("authoring.page", page_id=draft.id), 303)
