"""Authoring of educational pages: write a draft, change it, start a new version or a
translation, and read a version as a patient would, with what changed, for the review."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import Session
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from ..db import get_session
from ..labels import LABELS, label
from ..models import Account, Condition, ContentPage, ContentStatus, ReadingLevel
from . import authoring, pages, workflow
from .markdown import render_markdown
from .views import author_required, workflow_context

LANGUAGE_NAMES = {"fr": _l("French"), "en": _l("English")}
FIELD_NAMES = {"title": _l("Title"), "conditions": _l("Conditions"),
               "reading_level": _l("Reading level"),
               "questionnaire_item": _l("Questionnaire question")}


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(max)d characters.", max=limit))


class PageForm(FlaskForm):
    """What an author writes on a page, in any version."""

    title = StringField(_l("Title"), [DataRequired(_l("Please give the page a title.")),
                                      _at_most(pages.TITLE_MAX)],
                        render_kw={"maxlength": pages.TITLE_MAX})
    # Rendered as ticks and radio buttons by the template.
    conditions = SelectMultipleField(_l("Conditions it is about"), validate_choice=False,
                                     choices=[(c.value, text) for c, text in
                                              LABELS[Condition].items()])
    reading_level = SelectField(_l("Reading level"), validate_choice=False,
                                default=ReadingLevel.STANDARD.value,
                                choices=[(r.value, text) for r, text in
                                         LABELS[ReadingLevel].items()])
    questionnaire_item = SelectField(_l("Questionnaire question it helps with (optional)"),
                                     validate_choice=False, choices=[])
    body = TextAreaField(_l("Text of the page (Markdown)"), [
        DataRequired(_l("Please write the text of the page.")), _at_most(pages.BODY_MAX)],
        render_kw={"rows": 18})

    def __init__(self, db: Session, *args, **kwargs):
        super().__init__(*args, **kwargs)
        items = pages.questionnaire_items(db, str(get_locale()))
        self.questionnaire_item.choices = [("", _("None")), *items.items()]

    def validate_conditions(self, field):
        if not field.data:
            raise ValidationError(_l("Tick at least one condition."))
        if not set(field.data) <= {c.value for c in Condition}:
            raise ValidationError(_l("Tick conditions from the list."))

    def validate_reading_level(self, field):
        if field.data not in {r.value for r in ReadingLevel}:
            raise ValidationError(_l("Choose a reading level from the list."))

    def validate_questionnaire_item(self, field):
        field.data = field.data or ""
        if field.data not in dict(self.questionnaire_item.choices):
            raise ValidationError(_l("Choose a question from the list."))

    def fields(self) -> dict:
        """The page's fields, as :mod:`.pages` takes them."""
        return {"title": self.title.data, "conditions": self.conditions.data,
                "reading_level": self.reading_level.data,
                "questionnaire_item": self.questionnaire_item.data,
                "body_markdown": self.body.data}


class NewPageForm(PageForm):
    """A first version also chooses its language, and may choose its address."""

    language = SelectField(_l("Language"), validate_choice=False, default="fr",
                           choices=list(LANGUAGE_NAMES.items()))
    slug = StringField(_l("Address (optional)"), [
        Optional(), _at_most(pages.SLUG_MAX),
        Regexp(pages.SLUG, message=_l("Lowercase letters, digits and hyphens only, "
                                      "e.g. my-ankles-swell."))])

    def __init__(self, db: Session, *args, **kwargs):
        super().__init__(db, *args, **kwargs)
        self.db = db

    def validate_language(self, field):
        if field.data not in LANGUAGE_NAMES:
            raise ValidationError(_l("Choose French or English."))

    def validate_slug(self, field):
        if field.data and pages.slug_taken(self.db, field.data):
            raise ValidationError(_l("Another page already has this address."))


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
            db.rollback()
            form.slug.errors = [str(error)]
        else:
            db.commit()
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
        try:
            pages.edit_draft(db, page, **form.fields())
        except pages.PageError as error:
            db.rollback()
            return _refuse(page, str(error))
        workflow.edited(db, page, g.account)
        db.commit()
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
    """Start the English version of a published French page (or go to the one being written)."""
    return _start(page_id, pages.translate)


def _start(page_id: int, make):
    db = get_session()
    page = _page_or_404(db, page_id)
    try:
        draft = make(db, page, g.account)
    except pages.PageError as error:
        db.rollback()
        return _refuse(page, str(error))
    db.commit()
    if draft.status == ContentStatus.DRAFT:
        return redirect(url_for("authoring.edit_page", page_id=draft.id), 303)
    flash(_("This version is being reviewed: it can be changed once the reviewers send it "
            "back, or after it is published."))
    return redirect(url_for("authoring.page", page_id=draft.id), 303)
