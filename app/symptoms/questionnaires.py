"""Symptom questionnaires as versioned data: read app/questionnaires/*.json, check them,
and store each version once.

One file holds one version of one questionnaire in one language
(``<code>.<language>.json``). The French file is the source; a translation must ask the
same items with the same bounds and carry the same alert rules, only its words differ.
A published version is never changed in place: a change is a new version, which retires
the previous one. The files and the editor of the authoring space
(app/content/questionnaire_drafts.py) share these checks: a fault is said in words an editor
understands, translated, with where it is and the field of the file it is about.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import has_request_context
from flask_babel import gettext
from sqlmodel import Session, col, select

from ..models import Condition, ContentStatus, Questionnaire
from ..types import utcnow

DIRECTORY = Path(__file__).resolve().parent.parent / "questionnaires"
FORMAT = 1
SOURCE_LANGUAGE = "fr"
LANGUAGES = ("fr", "en", "ar")
SCALE_MIN, SCALE_MAX = 0, 10
TEXT_MAX = 2000
TREND_DAYS_MAX = 30
NUMERIC_KINDS = {"scale", "number"}
OPERATORS = ("<", "<=", ">", ">=")
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

_TOP = {"format", "code", "condition", "language", "version", "title", "items", "rules"}
_COMMON = {"key", "kind", "label", "help", "required"}
_ITEM_KEYS = {
    "scale": _COMMON | {"min_label", "max_label"},
    "yes_no": _COMMON,
    "choice": _COMMON | {"choices"},
    "number": _COMMON | {"unit", "min", "max", "step"},
    "text": _COMMON | {"max_length"},
}
_RULE_KEYS = {
    "threshold": {"key", "kind", "item", "label", "op", "value"},
    "trend": {"key", "kind", "item", "label", "change", "days"},
    "answer": {"key", "kind", "item", "label", "value"},
}
# The zones of a patient's plan of action (``zones``): a rule may say which one it means
# ("zone"), amber unless it says red; a report is in the worst zone of the rules it fires,
# green when it fires none.
GREEN, AMBER, RED = "green", "amber", "red"
ZONES = (GREEN, AMBER, RED)
RULE_ZONES = (AMBER, RED)
# What a translation may not change: everything but the words.
_WORDS = {"label", "help", "min_label", "max_label", "unit"}


def _(message: str, **values: Any) -> str:
    """``message`` in the reader's language during a request (the editor's), in English
    elsewhere: under ``flask symptoms load`` there is an app context but no request, and
    flask_babel would then call Carnet's locale selector, which reads the request."""
    if has_request_context():
        return gettext(message, **values)
    return message % values if values else message


def N_(message: str) -> str:  # noqa: N802 (the name pybabel extracts)
    """Marks words for translation; ``_()`` translates them where they are used."""
    return message


# The fields a fault names, in words, with their name in the file.
FIELDS = {
    "title": N_('the title ("title")'),
    "key": N_('the key ("key")'),
    "kind": N_('the kind ("kind")'),
    "label": N_('the question ("label")'),
    "help": N_('the help ("help")'),
    "min_label": N_('the words at 0 ("min_label")'),
    "max_label": N_('the words at 10 ("max_label")'),
    "unit": N_('the unit ("unit")'),
    "min": N_('the lowest value ("min")'),
    "max": N_('the highest value ("max")'),
    "choices": N_('the answers to choose from ("choices")'),
    "item": N_('the item ("item")'),
    "op": N_('the comparison ("op")'),
    "value": N_('the value ("value")'),
    "change": N_('the change ("change")'),
    "days": N_('the number of days ("days")'),
    "zone": N_('the zone of the plan of action ("zone")'),
}
_RULE_FIELDS = {**FIELDS, "label": N_('the words the professional reads ("label")')}
_CHOICE_FIELDS = {**FIELDS, "label": N_('the words of the answer ("label")')}
KINDS = {
    "scale": N_("a 0–10 scale"), "yes_no": N_("a yes/no question"), "choice": N_("a choice"),
    "number": N_("a number"), "text": N_("a text"),
}


class QuestionnaireError(ValueError):
    """A questionnaire that cannot be loaded or saved; the message names the file and the
    faults, ``faults`` holds each one (empty for a file that cannot be read at all)."""

    def __init__(self, message: str, faults: list[Fault] | None = None):
        super().__init__(message)
        self.faults = faults or []


@dataclass(frozen=True)
class Place:
    """Where a fault is: in words ('item 3 ("weight")'), and as ("item", 3) for a form."""

    words: str = ""
    entry: tuple[str, int] | None = None
    part: str = ""  # within the entry: "choice 2"


@dataclass(frozen=True)
class Fault:
    """One fault of a questionnaire, translated, with its place and the field it is about."""

    place: Place
    message: str
    field: str = ""

    def __str__(self) -> str:
        if not self.place.words:
            return self.message
        return _("%(where)s: %(fault)s", where=self.place.words, fault=self.message)


@dataclass
class QuestionnaireFile:
    """One checked file: what a Questionnaire row is made of."""

    name: str
    code: str
    condition: str
    language: str
    version: int
    title: str
    definition: dict  # {"format", "items", "rules"}, defaults filled in

    lagging: bool = False  # a translation of an older version than its French source

    def skeleton(self) -> dict:
        """The definition without its words: what every language must share."""
        return skeleton(self.condition, self.definition)


def skeleton(condition: str, definition: dict) -> dict:
    """A definition without its words: what a translation may not change."""
    def strip(entry: dict) -> dict:
        kept = {k: v for k, v in entry.items() if k not in _WORDS}
        if "choices" in kept:
            kept["choices"] = [choice["value"] for choice in kept["choices"]]
        return kept

    return {"condition": condition, "items": [strip(item) for item in definition["items"]],
            "rules": [strip(rule) for rule in definition["rules"]]}


def is_number(value: Any) -> bool:
    """A JSON number (a bool is not one, although Python says it is an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


class _Checker:
    """Collects the faults of one questionnaire, each said with where it is."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def fault(self, place: Place, message: str, field: str = "") -> None:
        self.faults.append(Fault(place, message, field))

    def keys(self, place: Place, entry: dict, allowed: set[str], required: set[str],
             fields: dict[str, str] = FIELDS) -> None:
        for key in sorted(set(entry) - allowed):
            self.fault(place, _('unknown field "%(name)s"', name=key), key)
        for key in sorted(required - set(entry)):
            self.missing(place, key, fields)

    def missing(self, place: Place, name: str, fields: dict[str, str] = FIELDS) -> None:
        words = _(fields[name]) if name in fields else f'"{name}"'
        self.fault(place, _("fill in %(field)s", field=words), name)

    def words(self, place: Place, entry: dict, *names: str,
              fields: dict[str, str] = FIELDS) -> None:
        for name in names:
            if name in entry and not _text(entry[name]):
                self.missing(place, name, fields)


def _item_place(position: int, key: Any) -> Place:
    if isinstance(key, str):
        return Place(_('item %(number)d ("%(key)s")', number=position, key=key),
                     ("item", position))
    return Place(_("item %(number)d", number=position), ("item", position))


def _check_number(check: _Checker, place: Place, item: dict) -> None:
    item.setdefault("step", 1)
    low, high, step = item.get("min"), item.get("max"), item["step"]
    for name, value in (("min", low), ("max", high)):
        if name in item and not is_number(value):
            check.fault(place, _("%(field)s must be a number", field=_(FIELDS[name])), name)
    if is_number(low) and is_number(high) and low >= high:
        check.fault(place, _('the lowest value ("min", %(min)s) must be below the highest '
                             'value ("max", %(max)s)', min=low, max=high), "min")
    if not (is_number(step) and step > 0):
        check.fault(place, _('the step ("step") must be a number above 0 (1, 0.1, 0.01…)'),
                    "step")


def _check_choices(check: _Checker, place: Place, choices: Any) -> None:
    if not isinstance(choices, list) or len(choices) < 2:
        check.fault(place, _('give at least 2 answers to choose from ("choices")'), "choices")
        return
    values = []
    for number, choice in enumerate(choices, 1):
        here = Place(_("%(item)s, choice %(number)d", item=place.words, number=number),
                     place.entry, _("choice %(number)d", number=number))
        if not isinstance(choice, dict):
            check.fault(here, _("must be an object"), "choices")
            continue
        check.keys(here, choice, {"value", "label"}, {"value", "label"}, _CHOICE_FIELDS)
        check.words(here, choice, "label", fields=_CHOICE_FIELDS)
        if not isinstance(choice.get("value"), str) or not SLUG.match(choice["value"]):
            check.fault(here, _('the value must be lowercase letters, digits and _, starting '
                                 'with a letter (e.g. "green")'), "choices")
        values.append(choice.get("value"))
    for value in {str(v) for v in values if values.count(v) > 1}:
        check.fault(place, _('two answers have the value "%(value)s"', value=value), "choices")


def _key_and_kind(check: _Checker, place: Place, entry: dict, kinds: dict,
                  bad_key: str) -> str | None:
    """The kind of an item or a rule, once its key and kind are checked (None: unknown)."""
    if not isinstance(entry.get("key"), str) or not SLUG.match(entry["key"]):
        check.fault(place, bad_key, "key")
    kind = entry.get("kind")
    if kind not in kinds:
        check.fault(place, _("the kind must be one of %(kinds)s", kinds=", ".join(kinds)),
                    "kind")
        return None
    return kind


def _check_item(check: _Checker, position: int, item: Any) -> dict | None:
    place = _item_place(position, item.get("key") if isinstance(item, dict) else None)
    if not isinstance(item, dict):
        check.fault(place, _("must be an object"))
        return None
    kind = _key_and_kind(check, place, item, _ITEM_KEYS, _(
        'the key must be lowercase letters, digits and _, starting with a letter '
        '(e.g. "weight")'))
    if kind is None:
        return None
    needed = {"key", "kind", "label"} | {
        "scale": {"min_label", "max_label"}, "choice": {"choices"},
        "number": {"unit", "min", "max"}, "yes_no": set(), "text": set()}[kind]
    check.keys(place, item, _ITEM_KEYS[kind], needed)
    check.words(place, item, "label", "help", "min_label", "max_label", "unit")
    item = {**item, "required": item.get("required", False)}
    if not isinstance(item["required"], bool):
        check.fault(place, _('"required" must be true or false'), "required")
    if kind == "scale":
        item.update(min=SCALE_MIN, max=SCALE_MAX)
    elif kind == "number":
        _check_number(check, place, item)
    elif kind == "text":
        item.setdefault("max_length", 500)
        size = item["max_length"]
        if not (is_number(size) and int(size) == size and 1 <= size <= TEXT_MAX):
            check.fault(place, _('the longest answer ("max_length") must be a whole number '
                                 'from 1 to %(max)d', max=TEXT_MAX), "max_length")
    elif kind == "choice" and "choices" in item:
        _check_choices(check, place, item["choices"])
    return item


_NEEDS_NUMBER = {
    "threshold": N_('a threshold needs a number or a 0–10 scale item; "%(item)s" is %(kind)s'),
    "trend": N_('a trend needs a number or a 0–10 scale item; "%(item)s" is %(kind)s'),
}


def _check_rule(check: _Checker, position: int, rule: Any, items: dict[str, dict]) -> None:
    place = Place(_("rule %(number)d", number=position), ("rule", position))
    if isinstance(rule, dict) and isinstance(rule.get("key"), str):
        place = Place(_('rule %(number)d ("%(key)s")', number=position, key=rule["key"]),
                      ("rule", position))
    if not isinstance(rule, dict):
        check.fault(place, _("must be an object"))
        return
    kind = _key_and_kind(check, place, rule, _RULE_KEYS, _(
        'the key must be lowercase letters, digits and _, starting with a letter '
        '(e.g. "weight_gain")'))
    if kind is None:
        return
    check.keys(place, rule, _RULE_KEYS[kind] | {"zone"}, _RULE_KEYS[kind], _RULE_FIELDS)
    check.words(place, rule, "label", fields=_RULE_FIELDS)
    if "zone" in rule and rule["zone"] not in RULE_ZONES:
        check.fault(place, _('the zone ("zone") must be "amber" (call the care team today) or '
                             '"red" (call 15 now)'), "zone")
    if "item" not in rule:
        return  # said above
    item = items.get(rule["item"]) if isinstance(rule["item"], str) else None
    if item is None:
        check.fault(place, _('the rule is about "%(item)s", which is not an item of this '
                             'questionnaire', item=rule["item"]), "item")
        return
    words = {"item": item["key"], "kind": _(KINDS[item["kind"]])}
    if kind in _NEEDS_NUMBER and item["kind"] not in NUMERIC_KINDS:
        check.fault(place, _(_NEEDS_NUMBER[kind], **words), "item")
        return
    if kind == "threshold":
        if rule.get("op") not in OPERATORS:
            check.fault(place, _('the comparison ("op") must be one of %(ops)s',
                                 ops=" ".join(OPERATORS)), "op")
        value = rule.get("value")
        if not is_number(value):
            check.fault(place, _('the threshold ("value") must be a number'), "value")
        elif is_number(item.get("min")) and is_number(item.get("max")) and not (
                item["min"] <= value <= item["max"]):
            check.fault(place, _('the threshold %(value)s is outside the bounds of '
                                 '"%(item)s" (%(min)s to %(max)s)', value=value,
                                 item=item["key"], min=item["min"], max=item["max"]), "value")
    elif kind == "trend":
        if not (is_number(rule.get("change")) and rule["change"] != 0):
            check.fault(place, _('the change ("change") must be a number other than 0 '
                                 '(+2: a rise of 2, -3: a fall of 3)'), "change")
        days = rule.get("days")
        if not (is_number(days) and int(days) == days and 1 <= days <= TREND_DAYS_MAX):
            check.fault(place, _('the number of days ("days") must be a whole number from 1 '
                                 'to %(max)d', max=TREND_DAYS_MAX), "days")
    elif item["kind"] == "yes_no":
        if not isinstance(rule.get("value"), bool):
            check.fault(place, _('the answer ("value") must be yes or no (true or false) '
                                 'for a yes/no item'), "value")
    elif item["kind"] == "choice":
        values = [c.get("value") for c in item.get("choices", []) if isinstance(c, dict)]
        if rule.get("value") not in values:
            check.fault(place, _('the answer ("value") must be one of the choices of '
                                 '"%(item)s"', item=item["key"]), "value")
    else:
        check.fault(place, _('an answer rule needs a yes/no or a choice item; "%(item)s" is '
                             '%(kind)s', **words), "item")


def _check_top(check: _Checker, data: dict, name: str, languages) -> None:
    top = Place()
    check.keys(top, data, _TOP, _TOP)
    if data.get("format") != FORMAT:
        check.fault(top, _('"format" must be %(format)d', format=FORMAT), "format")
    code, language = data.get("code"), data.get("language")
    if not isinstance(code, str) or not SLUG.match(code):
        check.fault(top, _('the code must be lowercase letters, digits and _, starting with a '
                           'letter (e.g. "heart_failure")'), "code")
    if language not in languages:
        check.fault(top, _('"language" must be one of %(languages)s',
                           languages=", ".join(languages)), "language")
    if name and isinstance(code, str) and isinstance(language, str) and (
            name != f"{code}.{language}.json"):
        check.fault(top, _('the file must be named "%(name)s"', name=f"{code}.{language}.json"))
    if data.get("condition") not in Condition._value2member_map_:
        check.fault(top, _('"condition" must be one of %(conditions)s',
                           conditions=", ".join(c.value for c in Condition)), "condition")
    version = data.get("version")
    if not (is_number(version) and int(version) == version and version >= 1):
        check.fault(top, _('"version" must be a whole number from 1'), "version")
    check.words(top, data, "title")


def check_questionnaire(data: Any, name: str = "", languages=LANGUAGES) -> QuestionnaireFile:
    """Check one questionnaire's data; ``name`` is its file name (``code.language.json``).

    Raises QuestionnaireError with every fault found.
    """
    check = _Checker()
    if not isinstance(data, dict):
        raise QuestionnaireError(f"{name}: " + _("a questionnaire must be a JSON object"))
    _check_top(check, data, name, languages)
    raw_items, raw_rules = data.get("items"), data.get("rules", [])
    checked: list[tuple[int, dict]] = []
    if not isinstance(raw_items, list) or not raw_items:
        check.fault(Place(), _('a questionnaire needs at least one item ("items")'), "items")
    else:
        checked = [(n, item) for n, raw in enumerate(raw_items, 1)
                   if (item := _check_item(check, n, raw)) is not None]
    by_key: dict[str, dict] = {}
    for n, item in checked:
        key = item.get("key")
        if not isinstance(key, str):
            continue  # said above
        if key in by_key:
            check.fault(_item_place(n, key), _('two items have the key "%(key)s"', key=key),
                        "key")
        by_key[key] = item
    if not isinstance(raw_rules, list):
        check.fault(Place(), _('"rules" must be a list'), "rules")
        raw_rules = []
    seen: set[str] = set()
    for n, rule in enumerate(raw_rules, 1):
        _check_rule(check, n, rule, by_key)
        key = str(rule.get("key")) if isinstance(rule, dict) else ""
        if key in seen:
            check.fault(Place(_('rule %(number)d ("%(key)s")', number=n, key=key), ("rule", n)),
                        _('two rules have the key "%(key)s"', key=key), "key")
        seen.add(key)
    if check.faults:
        raise QuestionnaireError(
            f"{name or 'questionnaire'}: " + "; ".join(map(str, check.faults)), check.faults)
    return QuestionnaireFile(
        name=name, code=data["code"], condition=data["condition"], language=data["language"],
        version=int(data["version"]), title=data["title"].strip(),
        definition={"format": FORMAT, "items": [item for _n, item in checked],
                    "rules": list(raw_rules)},
    )


def read_file(path: Path, languages=LANGUAGES) -> QuestionnaireFile:
    """Read and check one questionnaire file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise QuestionnaireError(
            f"{path.name}: not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionnaireError(f"{path.name}: cannot be read ({error})") from None
    return check_questionnaire(data, path.name, languages)


def read_directory(directory: Path = DIRECTORY, languages=LANGUAGES) -> list[QuestionnaireFile]:
    """Every questionnaire file of ``directory``, checked, French sources first.

    A translation needs its French source at the same version, and must match it in
    everything but its words.
    """
    files = [read_file(path, languages) for path in sorted(directory.glob("*.json"))]
    sources = {f.code: f for f in files if f.language == SOURCE_LANGUAGE}
    for file in files:
        if file.language == SOURCE_LANGUAGE:
            continue
        source = sources.get(file.code)
        if source is None or source.version < file.version:
            raise QuestionnaireError(
                f"{file.name}: no French source at version {file.version} "
                f"({file.code}.{SOURCE_LANGUAGE}.json)")
        if source.version > file.version:
            file.lagging = True  # checked against the stored French version when loaded
        elif file.skeleton() != source.skeleton():
            raise QuestionnaireError(_differs(file, source.name))
    return sorted(files, key=lambda f: (f.language != SOURCE_LANGUAGE, f.code, f.language))


def _differs(file: QuestionnaireFile, source: str) -> str:
    return (f"{file.name}: differs from {source} in more than its words (items, bounds, "
            "choices or rules); a translation only changes the words")


def _stored(db: Session, file: QuestionnaireFile) -> list[Questionnaire]:
    return list(db.exec(select(Questionnaire).where(
        Questionnaire.code == file.code, Questionnaire.language == file.language,
    ).order_by(col(Questionnaire.version))).all())


def load_questionnaires(
    db: Session,
    directory: Path = DIRECTORY,
    *,
    now: datetime | None = None,
    author_id: int | None = None,
    languages=LANGUAGES,
) -> list[tuple[Questionnaire, str]]:
    """Publish the questionnaires of ``directory``; each with "added" or "unchanged".

    Every file is checked before anything is written. A new version is published and
    retires the previous one; a published version whose file changed is refused.
    The caller commits.
    """
    from ..content.workflow import mark_translations_outdated  # content imports this module

    now = now or utcnow()
    files = read_directory(directory, languages)
    loaded: list[tuple[Questionnaire, str]] = []
    sources: dict[tuple[str, int], Questionnaire] = {}
    for file in files:
        stored = _stored(db, file)
        if stored and stored[-1].version > file.version:
            raise QuestionnaireError(
                f"{file.name}: version {file.version} is older than version "
                f"{stored[-1].version}, already published")
        same = next((row for row in stored if row.version == file.version), None)
        if same is not None:
            if (same.title, same.condition, same.definition) != (
                    file.title, file.condition, file.definition):
                raise QuestionnaireError(
                    f"{file.name}: version {file.version} is already published and cannot "
                    f"change; give the changed questionnaire version {file.version + 1}")
            loaded.append((same, "unchanged"))
            if file.language == SOURCE_LANGUAGE:
                sources[file.code, file.version] = same
            continue
        for older in stored:
            if older.status == ContentStatus.PUBLISHED:
                older.status, older.retired_at = ContentStatus.RETIRED, now
                db.add(older)
        source = sources.get((file.code, file.version))
        if file.lagging:
            source = db.exec(select(Questionnaire).where(
                Questionnaire.code == file.code, Questionnaire.language == SOURCE_LANGUAGE,
                Questionnaire.version == file.version)).first()
            if source is None:
                raise QuestionnaireError(
                    f"{file.name}: no French source at version {file.version} "
                    f"({file.code}.{SOURCE_LANGUAGE}.json)")
            if skeleton(source.condition, source.definition) != file.skeleton():
                raise QuestionnaireError(_differs(file, f"{file.code}.{SOURCE_LANGUAGE}.json "
                                                        f"version {file.version}"))
        row = Questionnaire(
            code=file.code, condition=file.condition, language=file.language,
            version=file.version, status=ContentStatus.PUBLISHED, title=file.title,
            definition=file.definition, source_id=source.id if source else None,
            author_id=author_id, created_at=now, published_at=now, outdated=file.lagging,
        )
        db.add(row)
        db.flush()
        if file.language == SOURCE_LANGUAGE:
            sources[file.code, file.version] = row
            mark_translations_outdated(db, row)
        loaded.append((row, "added"))
    return loaded

