"""Authoring of symptom questionnaires: a draft edited one change at a time, its live
preview, the changes since the version it replaces, and a test mode that stores nothing."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..db import get_session
from ..models import ContentStatus, Questionnaire
from ..symptoms.questionnaires import OPERATORS, SOURCE_LANGUAGE
from . import authoring, workflow
from . import questionnaire_drafts as editing
from .forms import MoveForm, QuestionnaireTitleForm
from .questionnaire_diff import diff
from .views import author_required, workflow_context

ITEM_KINDS = {
    "scale": _l("Scale from 0 to 10"), "yes_no": _l("Yes or no"),
    "choice": _l("Choice among answers"), "number": _l("Number with a unit"),
    "text": _l("Text"),
}
RULE_KINDS = {
    "threshold": _l("Threshold: an answer above or below a value"),
    "trend": _l("Trend: a rise or a fall since an earlier report"),
    "answer": _l("Answer: a given yes/no or choice answer"),
}


def _questionnaire(questionnaire_id: int) -> Questionnaire:
    row = get_session().get(Questionnaire, questionnaire_id)
    if row is None:
        abort(404)
    return row


def _url(questionnaire: Questionnaire) -> str:
    return url_for("authoring.questionnaire", questionnaire_id=questionnaire.id)


def rule_words(rule: dict) -> str:
    """When a rule fires, in words: 'when “breathlessness” >= 7'."""
    if rule["kind"] == "threshold":
        return _("when “%(item)s” %(op)s %(value)s", item=rule["item"], op=rule["op"],
                 value=rule["value"])
    if rule["kind"] == "trend":
        return _("when “%(item)s” changes by %(change)+g or more within %(days)d days",
                 item=rule["item"], change=rule["change"], days=rule["days"])
    value = rule["value"]
    if isinstance(value, bool):
        value = _("yes") if value else _("no")
    return _("when the answer to “%(item)s” is “%(value)s”", item=rule["item"], value=value)


def _page(questionnaire: Questionnaire, status: int = 200, faults=(), errors=None,
          values=None):
    db = get_session()
    others = workflow.siblings(db, questionnaire)
    other = workflow.chosen(others, request.args.get("against", "")) or (
        workflow.compared_with(db, questionnaire))
    family = sorted([questionnaire, *others], key=lambda row: (row.language, -row.version))
    translated = {(row.language, row.version) for row in family}
    context = workflow_context(db, questionnaire)
    return render_template(
        "authoring/questionnaire.html", questionnaire=questionnaire, family=family,
        others=others,
        compared=other, changes=diff(other, questionnaire) if other else None,
        editable=questionnaire.status == ContentStatus.DRAFT,
        translation=editing.is_translation(questionnaire),
        source_language=SOURCE_LANGUAGE,
        may_translate=[language for language in workflow.TRANSLATIONS
                       if questionnaire.status == ContentStatus.PUBLISHED
                       and questionnaire.language == SOURCE_LANGUAGE
                       and (language, questionnaire.version) not in translated],
        item_kinds=ITEM_KINDS, rule_kinds=RULE_KINDS, rule_words=rule_words,
        faults=list(faults), errors=errors or {}, values=values or {}, **context), status


@authoring.get("/questionnaires/<int:questionnaire_id>")
@author_required
def questionnaire(questionnaire_id: int):
    """A version: its items and rules (with their tools on a draft), the phone preview, the
    changes since the version it replaces, and the review panel."""
    return _page(_questionnaire(questionnaire_id))


def _refused(questionnaire: Questionnaire, error: editing.EditError):
    get_session().rollback()
    return _page(questionnaire, 400, error.faults + list(error.errors.values()))


@authoring.post("/questionnaires/<int:questionnaire_id>/new-version", endpoint="new_version")
@authoring.post("/questionnaires/<int:questionnaire_id>/translate", endpoint="translate")
@author_required
def start(questionnaire_id: int):
    """A draft copied from this published version, or an English or Arabic draft of this
    published French version, only its words to write (or the draft already being
    written)."""
    published = _questionnaire(questionnaire_id)
    db = get_session()
    try:
        language = request.form.get("language", "en")
        draft = (editing.translate(db, published, g.account, language)
                 if request.endpoint == "authoring.translate"
                 else editing.new_version(db, published, g.account))
    except editing.EditError as error:
        return _refused(published, error)
    return redirect(_url(draft), 303)


@authoring.post("/questionnaires/<int:questionnaire_id>/title")
@author_required
def title(questionnaire_id: int):
    row = _questionnaire(questionnaire_id)
    text = QuestionnaireTitleForm().title.data or ""
    try:
        editing.set_title(get_session(), row, text)
    except editing.EditError as error:
        get_session().rollback()
        return _page(row, 400, error.faults, error.errors, {"title": text})
    return _saved(row, _("Title saved."))


def _saved(row: Questionnaire, message: str = "", anchor: str = ""):
    """Keep a change of the draft, and who made it (a co-author may not approve it)."""
    workflow.edited(get_session(), row, g.account)
    if message:
        flash(message)
    return redirect(_url(row) + anchor, 303)


def _entry(row: Questionnaire, part: str, key: str) -> dict:
    entry = next((e for e in row.definition[part] if e["key"] == key), None)
    if entry is None:
        abort(404)
    return entry


def _as_form(entry: dict) -> dict[str, str]:
    """An item or a rule as its form shows it."""
    values = {name: str(value) for name, value in entry.items()
              if not isinstance(value, bool | list)}
    if "choices" in entry:
        values["choices"] = "\n".join(f"{c['value']}: {c['label']}" for c in entry["choices"])
    if isinstance(entry.get("value"), bool):
        values["value"] = "yes" if entry["value"] else "no"
    if entry.get("required"):
        values["required"] = "yes"
    return values


# The items and the rules of a draft have the same pages, under the endpoints ``*_item``
# and ``*_rule``; a rule's key is ``rule_key`` in its addresses.
EDITOR = ["GET", "POST"]


def _part() -> str:
    """Whether the route is about the draft's items or its rules."""
    return "items" if request.endpoint.endswith("_item") else "rules"


@authoring.route("/questionnaires/<int:questionnaire_id>/items/new", endpoint="new_item",
                 methods=EDITOR)
@authoring.route("/questionnaires/<int:questionnaire_id>/rules/new", endpoint="new_rule",
                 methods=EDITOR)
@authoring.route("/questionnaires/<int:questionnaire_id>/items/<key>/edit",
                 endpoint="edit_item", methods=EDITOR)
@authoring.route("/questionnaires/<int:questionnaire_id>/rules/<rule_key>/edit",
                 endpoint="edit_rule", methods=EDITOR)
@author_required
def editor(questionnaire_id: int, key: str | None = None, rule_key: str | None = None):
    """Show, or save, the form of one item or rule; without a key, add one: first its kind,
    then its words and bounds."""
    row, part, key = _questionnaire(questionnaire_id), _part(), key or rule_key
    db = get_session()
    entry = _entry(row, part, key) if key else None
    kind = entry["kind"] if entry else request.values.get("kind", "")
    kinds = ITEM_KINDS if part == "items" else RULE_KINDS
    if row.status != ContentStatus.DRAFT:
        if request.method == "POST":
            return _refused(row, editing.EditError([editing.not_a_draft(row)]))
        flash(editing.not_a_draft(row))
        return redirect(_url(row), 303)
    status, faults, errors = 200, [], {}
    values = _as_form(entry) if entry else {"required": "yes"}
    if request.method == "POST":
        try:
            editing.save_entry(db, row, part, request.form, key, kind)
        except editing.EditError as error:
            db.rollback()
            status, faults, errors, values = 400, error.faults, error.errors, request.form
        else:
            return _saved(row, _("Saved."))
    source = db.get(Questionnaire, row.source_id) if editing.is_translation(row) else None
    original = next((e for e in source.definition[part] if e["key"] == key), {}) if (
        source and key) else {}
    return render_template(
        f"authoring/questionnaire_{part.removesuffix('s')}.html", questionnaire=row,
        entry=entry, kind=kind if kind in kinds else None, kinds=kinds, item_kinds=ITEM_KINDS,
        translation=editing.is_translation(row), original=_as_form(original),
        fields=(editing.ITEM_FIELDS if part == "items" else editing.RULE_FIELDS).get(kind, ()),
        operators=OPERATORS, item_list=row.definition["items"], faults=faults, errors=errors,
        values=values), status


@authoring.post("/questionnaires/<int:questionnaire_id>/items/<key>/move")
@author_required
def move_item(questionnaire_id: int, key: str):
    row = _questionnaire(questionnaire_id)
    _entry(row, "items", key)
    try:
        editing.move_item(get_session(), row, key, MoveForm().up())
    except editing.EditError as error:
        return _refused(row, error)
    return _saved(row, anchor="#items")


@authoring.post("/questionnaires/<int:questionnaire_id>/items/<key>/remove",
                endpoint="remove_item")
@authoring.post("/questionnaires/<int:questionnaire_id>/rules/<rule_key>/remove",
                endpoint="remove_rule")
@author_required
def remove(questionnaire_id: int, key: str | None = None, rule_key: str | None = None):
    row, part, key = _questionnaire(questionnaire_id), _part(), key or rule_key
    _entry(row, part, key)
    try:
        (editing.remove_item if part == "items" else editing.remove_rule)(get_session(), row, key)
    except editing.EditError as error:
        return _refused(row, error)
    return _saved(row, _("Item removed.") if part == "items" else _("Rule removed."), "#" + part)


@authoring.route("/questionnaires/<int:questionnaire_id>/try", methods=["GET", "POST"])
@author_required
def try_questionnaire(questionnaire_id: int):
    """Test mode: fill the form as a patient would and see which rules would fire.
    Nothing is stored, nobody is told."""
    row = _questionnaire(questionnaire_id)
    fired, errors, status = None, {}, 200
    if request.method == "POST":
        _answers, errors, fired = editing.trial(row.definition, request.form)
        status = 400 if errors else 200
    return render_template(
        "authoring/questionnaire_try.html", questionnaire=row, values=request.form,
        errors=errors, fired=fired, earlier=editing.EARLIER, rule_words=rule_words,
        trends=[rule for rule in row.definition["rules"] if rule["kind"] == "trend"],
        by_key={item["key"]: item for item in row.definition["items"]}), status

