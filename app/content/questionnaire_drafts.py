"""Editing a questionnaire's draft in the authoring space, in the format of the files
(app/questionnaires/README.md) and with the same checks (app/symptoms/questionnaires.py).

A published version never changes: "new version" copies it into a draft, which is
edited one change at a time. Every change builds the whole new definition and checks
it; a change with a fault stores nothing. A translation draft follows a published
French version and may change only its words.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlmodel import Session, col, select

from ..carnet.validation import too_long
from ..models import Account, ContentStatus, Questionnaire
from ..symptoms import rules
from ..symptoms.answers import parse_answers, parse_one
from ..symptoms.questionnaires import (
    FORMAT,
    LANGUAGES,
    N_,
    SOURCE_LANGUAGE,
    QuestionnaireError,
    QuestionnaireFile,
    check_questionnaire,
    skeleton,
)
from ..symptoms.reports import ANSWER
from ..types import utcnow
from . import workflow

ITEM_KINDS = ("scale", "yes_no", "choice", "number", "text")
RULE_KINDS = ("threshold", "trend", "answer")
# The fields of each kind's form, in the format's names; "key" only when adding.
ITEM_FIELDS = {
    "scale": ("label", "help", "min_label", "max_label"),
    "yes_no": ("label", "help"),
    "choice": ("label", "help", "choices"),
    "number": ("label", "help", "unit", "min", "max", "step"),
    "text": ("label", "help", "max_length"),
}
RULE_FIELDS = {
    "threshold": ("item", "label", "op", "value", "zone"),
    "trend": ("item", "label", "change", "days", "zone"),
    "answer": ("item", "label", "value", "zone"),
}
# What a translator may change (the checker refuses a translation that changes more).
WORDS = ("label", "help", "min_label", "max_label", "unit", "choices")
_NUMBERS = {"min", "max", "step", "change"}
_WHOLE = {"days", "max_length"}
YES, NO = ("yes", "true", "oui", "vrai"), ("no", "false", "non", "faux")  # fr editors too
NUMBER_LENGTH, NUMBER_MAX = 20, Decimal(10) ** 9  # no health measure is larger
TITLE_MAX = 200  # as the column
EARLIER = "earlier-"  # test mode: "earlier-weight_gain" is the earlier value of that trend
# Adding an item or a rule: its kinds, and why it cannot be added (in a translation; of a
# kind not in the list).
_NEW = {
    "items": (ITEM_KINDS, N_("A translation changes only the words: add the item to the "
                             "French version first."),
              N_("Choose what kind of answer the item asks for.")),
    "rules": (RULE_KINDS, N_("A translation changes only the words: add the rule to the "
                             "French version first."), N_("Choose what kind of rule to add.")),
}


class EditError(Exception):
    """A change refused, nothing stored: ``errors`` maps a form field to its message,
    ``faults`` says the rest (translated, each with where it is)."""

    def __init__(self, faults: list[str] | None = None, errors: dict[str, str] | None = None):
        super().__init__(faults, errors)
        self.faults = faults or []
        self.errors = errors or {}


def is_translation(questionnaire: Questionnaire) -> bool:
    return questionnaire.language != SOURCE_LANGUAGE and questionnaire.source_id is not None


def as_written(definition: dict) -> dict:
    """A stored definition as a file would say it: without what the checker fills in
    (the 0 and 10 of a scale), so that it can be checked again."""
    items = [{k: v for k, v in item.items() if item["kind"] != "scale" or k not in
              ("min", "max")} for item in definition["items"]]
    return {"items": copy.deepcopy(items), "rules": copy.deepcopy(definition["rules"])}


def _check(db: Session, questionnaire: Questionnaire, title: str, items: list, rules: list,
           focus: tuple[str, int] | None = None, fields: tuple[str, ...] = ()) -> dict:
    """The checked definition, or EditError: faults of the entry ``focus`` about one of
    ``fields`` go next to that field, the others above the form."""
    data = {"format": FORMAT, "code": questionnaire.code, "condition": questionnaire.condition,
            "language": questionnaire.language, "version": questionnaire.version,
            "title": title, "items": items, "rules": rules}
    try:
        checked = check_questionnaire(data, languages=LANGUAGES)
    except QuestionnaireError as error:
        errors: dict[str, str] = {}
        faults: list[str] = []
        for fault in error.faults:
            if fault.place.entry == focus and fault.field in fields:
                message = _("%(where)s: %(fault)s", where=fault.place.part,
                            fault=fault.message) if fault.place.part else fault.message
                errors[fault.field] = " ".join(filter(None, [errors.get(fault.field),
                                                             message]))
            else:
                faults.append(str(fault))
        raise EditError(faults or ([] if errors else [str(error)]), errors) from None
    source = db.get(Questionnaire, questionnaire.source_id) if is_translation(
        questionnaire) else None
    if source is not None and skeleton(source.condition, source.definition) != skeleton(
            checked.condition, checked.definition):
        raise EditError([_("A translation changes only the words: its items, bounds, "
                           "choices and rules must stay those of the French version %(n)d.",
                           n=source.version)])
    return checked.definition


def faults(db: Session, questionnaire: Questionnaire) -> list[str]:
    """What keeps ``questionnaire`` from being published (nothing, when it is sound)."""
    written = as_written(questionnaire.definition)
    try:
        _check(db, questionnaire, questionnaire.title, written["items"], written["rules"])
    except EditError as error:
        return error.faults + list(error.errors.values())
    return []


def not_a_draft(questionnaire: Questionnaire) -> str:
    """Why a version that is not a draft cannot change."""
    if questionnaire.status == ContentStatus.IN_REVIEW:
        return _("This version is in review, so it cannot change. A reviewer can send it "
                 "back to its authors with “Ask for changes”.")
    return _("A published or retired version never changes: reports point at it. Make a "
             "new version to change it.")


def _draft(questionnaire: Questionnaire) -> None:
    if questionnaire.status != ContentStatus.DRAFT:
        raise EditError([not_a_draft(questionnaire)])


def _store(db: Session, questionnaire: Questionnaire, title: str, items: list, rules: list,
           focus: tuple[str, int] | None = None, fields: tuple[str, ...] = ()) -> None:
    _draft(questionnaire)
    questionnaire.definition = _check(db, questionnaire, title, items, rules, focus, fields)
    questionnaire.title = title.strip()
    db.add(questionnaire)


def new_version(db: Session, published: Questionnaire, author: Account,
                now: datetime | None = None) -> Questionnaire:
    """A draft copied from a published French version (or the draft already open)."""
    if published.status != ContentStatus.PUBLISHED or published.language != SOURCE_LANGUAGE:
        raise EditError([_("A new version starts from the published French version; a "
                           "translation starts from “Translate into English”.")])
    draft = workflow.open_draft(db, published)
    if draft is not None:
        return draft
    draft = Questionnaire(
        code=published.code, condition=published.condition, language=published.language,
        version=workflow.next_version(db, published), status=ContentStatus.DRAFT,
        title=published.title, definition=copy.deepcopy(published.definition),
        author_id=author.id, created_at=now or utcnow())
    db.add(draft)
    db.flush()
    return draft


def imported(db: Session, file: QuestionnaireFile, author: Account,
             now: datetime | None = None) -> Questionnaire:
    """A draft from a checked file brought from elsewhere (app/fhir/questionnaires.py): the
    next version of its code, or version 1 of a new questionnaire; French only, and not
    while another version of it is being written."""
    if file.language != SOURCE_LANGUAGE:
        raise EditError([_("Only a French questionnaire can be imported: translations are "
                           "written here.")])
    draft = Questionnaire(code=file.code, condition=file.condition, language=file.language,
                          version=1, status=ContentStatus.DRAFT, title=file.title,
                          definition=file.definition, author_id=author.id,
                          created_at=now or utcnow())
    if workflow.open_draft(db, draft) is not None:
        raise EditError([_("A new version of this questionnaire is already being written: "
                           "finish or publish it first.")])
    draft.version = workflow.next_version(db, draft)
    db.add(draft)
    db.flush()
    return draft


def translate(db: Session, source: Questionnaire, author: Account, language: str = "en",
              now: datetime | None = None) -> Questionnaire:
    """A draft translating a published French version, its words taken from the newest
    translation where the keys match (the French words elsewhere); or the one open."""
    if (source.status != ContentStatus.PUBLISHED or source.language != SOURCE_LANGUAGE
            or language not in LANGUAGES or language == SOURCE_LANGUAGE):
        raise EditError([_("Only a published French version can be translated.")])
    family = list(db.exec(select(Questionnaire).where(
        Questionnaire.code == source.code, Questionnaire.language == language,
    ).order_by(col(Questionnaire.version).desc())))
    for row in family:
        if row.status in (ContentStatus.DRAFT, ContentStatus.IN_REVIEW):
            return row
    if family and family[0].version >= source.version:
        raise EditError([_("Version %(n)d is already translated.", n=source.version)])
    definition = copy.deepcopy(source.definition)
    title = source.title
    if family:
        title = family[0].title
        _copy_words(family[0].definition, definition)
    draft = Questionnaire(
        code=source.code, condition=source.condition, language=language,
        version=source.version, status=ContentStatus.DRAFT, title=title,
        definition=definition, source_id=source.id, author_id=author.id,
        created_at=now or utcnow())
    db.add(draft)
    db.flush()
    return draft


def _copy_words(words_from: dict, definition: dict) -> None:
    for part in ("items", "rules"):
        known = {entry["key"]: entry for entry in words_from[part]}
        for entry in definition[part]:
            old = known.get(entry["key"])
            if old is None or old.get("kind") != entry.get("kind"):
                continue
            entry.update({k: old[k] for k in ("label", "help", "min_label", "max_label",
                                              "unit") if k in old and k in entry})
            if "choices" in entry:
                labels = {c["value"]: c["label"] for c in old.get("choices", [])}
                for choice in entry["choices"]:
                    choice["label"] = labels.get(choice["value"], choice["label"])


def set_title(db: Session, questionnaire: Questionnaire, title: str) -> None:
    _draft(questionnaire)
    if len(title.strip()) > TITLE_MAX:
        raise EditError([], {"title": too_long(TITLE_MAX, len(title.strip()))})
    written = as_written(questionnaire.definition)
    _store(db, questionnaire, title, written["items"], written["rules"], None, ("title",))


def _number(name: str, raw: str) -> tuple[float | int | None, str | None]:
    text = raw.strip().replace(",", ".").replace(" ", "")
    try:
        number = Decimal(text) if len(text) <= NUMBER_LENGTH else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) >= NUMBER_MAX:
        if name in _WHOLE:
            return None, _("Write a whole number, such as 3.")
        return None, _("Write a number, such as 70, 0.5 or -2.")
    if number == number.to_integral_value():
        return int(number), None
    if name in _WHOLE:
        return None, _("Write a whole number, such as 3.")
    return float(number), None


def _choices(raw: str) -> tuple[list | None, str | None]:
    choices = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        value, colon, words = line.partition(":")
        if not colon:
            return None, _('Write each answer on its own line as “value: words”, such as '
                           '“green: Green”.')
        choices.append({"value": value.strip(), "label": words.strip()})
    return choices, None


def _read(entry: dict, names: tuple[str, ...], form: Mapping[str, str], partial: bool,
          items: dict[str, dict]) -> dict[str, str]:
    """Set ``entry``'s fields from the form; a field left empty is taken out. With
    ``partial`` (a translation), a field the form does not send stays as it was."""
    errors = {}
    for name in names:
        if partial and name not in form:
            continue
        raw = form.get(name, "").strip()
        if not raw:
            entry.pop(name, None)
            continue
        value: object = raw
        if name in _NUMBERS | _WHOLE or (name == "value" and entry.get("kind") == "threshold"):
            value, error = _number(name, raw)
        elif name == "choices":
            value, error = _choices(raw)
        elif name == "value" and items.get(entry.get("item", ""), {}).get("kind") == "yes_no":
            value, error = (True if raw.lower() in YES else False if raw.lower() in NO
                            else raw), None
        else:
            error = None
        if error:
            errors[name] = error
        else:
            entry[name] = value
    return errors


def _entries(questionnaire: Questionnaire, part: str, key: str | None) -> tuple[list, int]:
    """The items or rules of ``questionnaire`` as written, and where ``key`` is (-1: new)."""
    entries = as_written(questionnaire.definition)[part]
    if key is None:
        return entries, -1
    for index, entry in enumerate(entries):
        if entry["key"] == key:
            return entries, index
    raise LookupError(key)


def save_entry(db: Session, questionnaire: Questionnaire, part: str, form: Mapping[str, str],
               key: str | None = None, kind: str = "") -> None:
    """Add an item or a rule (``part``, ``key`` None, of ``kind``) or change the one ``key``,
    from the fields of its form (they depend on its kind)."""
    _draft(questionnaire)
    written = as_written(questionnaire.definition)
    entries, index = _entries(questionnaire, part, key)
    if index < 0:  # a new one, only in a French version
        kinds, in_translation, unknown_kind = _NEW[part]
        if kind not in kinds or is_translation(questionnaire):
            raise EditError([_(in_translation) if kind in kinds else _(unknown_kind)])
        entries.append({"key": form.get("key", "").strip(), "kind": kind})
        index = len(entries) - 1
    entry = entries[index]
    partial = is_translation(questionnaire)
    fields = (ITEM_FIELDS if part == "items" else RULE_FIELDS)[entry["kind"]]
    if part == "items" and not partial:
        entry["required"] = form.get("required") == "yes"
    if part == "rules" and "item" in form:
        entry["item"] = form["item"].strip()  # read first: the value's type depends on it
    errors = _read(entry, fields, form, partial, {item["key"]: item for item in written["items"]})
    if errors:
        raise EditError([], errors)
    written[part] = entries
    _store(db, questionnaire, questionnaire.title, written["items"], written["rules"],
           (part.removesuffix("s"), index + 1), ("key", *fields))


def move_item(db: Session, questionnaire: Questionnaire, key: str, up: bool) -> None:
    """Move an item one place up (or down)."""
    _draft(questionnaire)
    items, index = _entries(questionnaire, "items", key)
    other = index - 1 if up else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    _store(db, questionnaire, questionnaire.title, items,
           as_written(questionnaire.definition)["rules"])


def remove_item(db: Session, questionnaire: Questionnaire, key: str) -> None:
    """Take an item out, unless a rule is about it."""
    _draft(questionnaire)
    items, index = _entries(questionnaire, "items", key)
    rules = as_written(questionnaire.definition)["rules"]
    users = [rule for rule in rules if rule["item"] == key]
    if users:
        raise EditError([_("The rule “%(rule)s” (%(key)s) is about this item: remove or "
                           "change that rule first.", rule=users[0]["label"],
                           key=users[0]["key"])])
    del items[index]
    _store(db, questionnaire, questionnaire.title, items, rules)


def remove_rule(db: Session, questionnaire: Questionnaire, key: str) -> None:
    _draft(questionnaire)
    if is_translation(questionnaire):
        raise EditError([_("A translation changes only the words: remove the rule from "
                           "the French version first.")])
    rules, index = _entries(questionnaire, "rules", key)
    del rules[index]
    _store(db, questionnaire, questionnaire.title,
           as_written(questionnaire.definition)["items"], rules)


def trial(definition: dict, form: Mapping[str, str], now: datetime | None = None
          ) -> tuple[dict, dict[str, str], list[dict]]:
    """Test mode: the answers typed in the form, their errors, and the rules they would
    fire; nothing is stored. A trend rule compares with the "earlier value" typed for it
    (``earlier-<rule key>``), as if reported ``days`` days before."""
    now = now or utcnow()
    raw = {key.removeprefix(ANSWER): value for key, value in form.items()
           if key.startswith(ANSWER)}
    answers, errors = parse_answers(definition, raw)
    errors = {ANSWER + key: message for key, message in errors.items()}
    items = {item["key"]: item for item in definition["items"]}
    fired = []
    for rule in definition["rules"]:
        earlier = []
        if rule["kind"] == "trend":
            text = form.get(EARLIER + rule["key"], "").strip()
            if text:
                value, error = parse_one(items[rule["item"]], text)
                if error:
                    errors[EARLIER + rule["key"]] = error
                    continue
                earlier = [rules.Earlier(now - timedelta(days=rule["days"]),
                                         {rule["item"]: value})]
        if rules.fires(rule, answers, now, earlier):
            fired.append(rule)
    return answers, errors, [] if errors else fired
