"""Symptom questionnaires as versioned data: read app/questionnaires/*.json, check them,
and store each version once.

One file holds one version of one questionnaire in one language
(``<code>.<language>.json``). The French file is the source; a translation must ask the
same items with the same bounds and carry the same alert rules, only its words differ.
A published version is never changed in place: a change is a new version, which retires
the previous one. The format (see app/questionnaires/README.md) is the one the
association editors will later edit in the app, so every check lives here, not in a form.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from ..models import Condition, ContentStatus, Questionnaire
from ..types import utcnow

DIRECTORY = Path(__file__).resolve().parent.parent / "questionnaires"
FORMAT = 1
SOURCE_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")
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
# What a translation may not change: everything but the words.
_WORDS = {"label", "help", "min_label", "max_label", "unit"}


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be loaded; the message names the file and the fault."""


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
    """Collects the faults of one file, each said with where it is."""

    def __init__(self) -> None:
        self.faults: list[str] = []

    def fault(self, where: str, message: str) -> None:
        self.faults.append(f"{where}: {message}" if where else message)

    def keys(self, where: str, entry: dict, allowed: set[str], required: set[str]) -> None:
        for key in sorted(set(entry) - allowed):
            self.fault(where, f'unknown field "{key}"')
        for key in sorted(required - set(entry)):
            self.fault(where, f'"{key}" is missing')

    def words(self, where: str, entry: dict, *names: str) -> None:
        for name in names:
            if name in entry and not _text(entry[name]):
                self.fault(where, f'"{name}" must be a non-empty text')


def _check_item(check: _Checker, position: int, item: Any) -> dict | None:
    where = f"item {position}"
    if not isinstance(item, dict):
        check.fault(where, "must be an object")
        return None
    key = item.get("key")
    if isinstance(key, str):
        where = f'item {position} ("{key}")'
    if not isinstance(key, str) or not SLUG.match(key):
        check.fault(where, '"key" must be lowercase letters, digits and _ (e.g. "weight")')
    kind = item.get("kind")
    if kind not in _ITEM_KEYS:
        check.fault(where, f'"kind" must be one of {", ".join(_ITEM_KEYS)}')
        return None
    needed = {"key", "kind", "label"} | {
        "scale": {"min_label", "max_label"}, "choice": {"choices"},
        "number": {"unit", "min", "max"}, "yes_no": set(), "text": set()}[kind]
    check.keys(where, item, _ITEM_KEYS[kind], needed)
    check.words(where, item, "label", "help", "min_label", "max_label", "unit")
    item = {**item, "required": item.get("required", False)}
    if not isinstance(item["required"], bool):
        check.fault(where, '"required" must be true or false')
    if kind == "scale":
        item.update(min=SCALE_MIN, max=SCALE_MAX)
    elif kind == "number":
        item.setdefault("step", 1)
        low, high, step = item.get("min"), item.get("max"), item["step"]
        if not (is_number(low) and is_number(high) and low < high):
            check.fault(where, '"min" and "max" must be numbers, "min" below "max"')
        if not (is_number(step) and step > 0):
            check.fault(where, '"step" must be a number above 0 (1, 0.1, 0.01…)')
    elif kind == "text":
        item.setdefault("max_length", 500)
        size = item["max_length"]
        if not (is_number(size) and int(size) == size and 1 <= size <= TEXT_MAX):
            check.fault(where, f'"max_length" must be a whole number from 1 to {TEXT_MAX}')
    elif kind == "choice":
        choices = item.get("choices")
        if not isinstance(choices, list) or len(choices) < 2:
            check.fault(where, '"choices" must list at least 2 answers')
        else:
            values = []
            for number, choice in enumerate(choices, 1):
                place = f"{where}, choice {number}"
                if not isinstance(choice, dict):
                    check.fault(place, "must be an object")
                    continue
                check.keys(place, choice, {"value", "label"}, {"value", "label"})
                check.words(place, choice, "label")
                if not isinstance(choice.get("value"), str) or not SLUG.match(choice["value"]):
                    check.fault(place, '"value" must be lowercase letters, digits and _')
                values.append(choice.get("value"))
            if len(set(map(str, values))) != len(values):
                check.fault(where, "two choices have the same value")
    return item


def _check_rule(check: _Checker, position: int, rule: Any, items: dict[str, dict]) -> None:
    where = f"rule {position}"
    if not isinstance(rule, dict):
        check.fault(where, "must be an object")
        return
    if isinstance(rule.get("key"), str):
        where = f'rule {position} ("{rule["key"]}")'
    if not isinstance(rule.get("key"), str) or not SLUG.match(rule["key"]):
        check.fault(where, '"key" must be lowercase letters, digits and _')
    kind = rule.get("kind")
    if kind not in _RULE_KEYS:
        check.fault(where, f'"kind" must be one of {", ".join(_RULE_KEYS)}')
        return
    check.keys(where, rule, _RULE_KEYS[kind], _RULE_KEYS[kind])
    check.words(where, rule, "label")
    item = items.get(rule.get("item"))  # type: ignore[arg-type]
    if item is None:
        check.fault(where, f'"item" must be the key of an item of this questionnaire '
                           f'(got {rule.get("item")!r})')
        return
    if kind in ("threshold", "trend") and item["kind"] not in NUMERIC_KINDS:
        check.fault(where, f'a {kind} needs a number or a 0–10 scale item, '
                           f'"{item["key"]}" is {item["kind"]}')
        return
    if kind == "threshold":
        if rule.get("op") not in OPERATORS:
            check.fault(where, f'"op" must be one of {" ".join(OPERATORS)}')
        value = rule.get("value")
        if not is_number(value):
            check.fault(where, '"value" must be a number')
        elif is_number(item.get("min")) and is_number(item.get("max")) and not (
                item["min"] <= value <= item["max"]):
            check.fault(where, f'"value" {value} is outside the bounds of "{item["key"]}" '
                               f'({item["min"]} to {item["max"]})')
    elif kind == "trend":
        if not (is_number(rule.get("change")) and rule["change"] != 0):
            check.fault(where, '"change" must be a number other than 0 (+2: a rise of 2)')
        days = rule.get("days")
        if not (is_number(days) and int(days) == days and 1 <= days <= TREND_DAYS_MAX):
            check.fault(where, f'"days" must be a whole number from 1 to {TREND_DAYS_MAX}')
    elif item["kind"] == "yes_no":
        if not isinstance(rule.get("value"), bool):
            check.fault(where, '"value" must be true or false for a yes/no item')
    elif item["kind"] == "choice":
        values = [c.get("value") for c in item.get("choices", []) if isinstance(c, dict)]
        if rule.get("value") not in values:
            check.fault(where, f'"value" must be one of the choices of "{item["key"]}"')
    else:
        check.fault(where, f'an answer rule needs a yes/no or a choice item, '
                           f'"{item["key"]}" is {item["kind"]}')


def check_questionnaire(data: Any, name: str = "", languages=LANGUAGES) -> QuestionnaireFile:
    """Check one questionnaire's data; ``name`` is its file name (``code.language.json``)."""
    check = _Checker()
    if not isinstance(data, dict):
        raise QuestionnaireError(f"{name}: a questionnaire must be a JSON object")
    check.keys("", data, _TOP, _TOP)
    if data.get("format") != FORMAT:
        check.fault("", f'"format" must be {FORMAT}')
    code, language = data.get("code"), data.get("language")
    if not isinstance(code, str) or not SLUG.match(code):
        check.fault("", '"code" must be lowercase letters, digits and _ (e.g. "heart_failure")')
    if language not in languages:
        check.fault("", f'"language" must be one of {", ".join(languages)}')
    if name and isinstance(code, str) and isinstance(language, str) and (
            name != f"{code}.{language}.json"):
        check.fault("", f'the file must be named "{code}.{language}.json"')
    if data.get("condition") not in Condition._value2member_map_:
        check.fault("", f'"condition" must be one of {", ".join(c.value for c in Condition)}')
    version = data.get("version")
    if not (is_number(version) and int(version) == version and version >= 1):
        check.fault("", '"version" must be a whole number from 1')
    check.words("", data, "title")
    raw_items, raw_rules = data.get("items"), data.get("rules", [])
    items: list[dict] = []
    if not isinstance(raw_items, list) or not raw_items:
        check.fault("", '"items" must list at least one item')
    else:
        items = [item for n, raw in enumerate(raw_items, 1)
                 if (item := _check_item(check, n, raw)) is not None]
    by_key: dict[str, dict] = {}
    for item in items:
        if item.get("key") in by_key:
            check.fault("", f'two items have the key "{item["key"]}"')
        by_key[item.get("key")] = item
    if not isinstance(raw_rules, list):
        check.fault("", '"rules" must be a list')
        raw_rules = []
    for n, rule in enumerate(raw_rules, 1):
        _check_rule(check, n, rule, by_key)
    rule_keys = [r.get("key") for r in raw_rules if isinstance(r, dict)]
    if len(set(map(str, rule_keys))) != len(rule_keys):
        check.fault("", "two rules have the same key")
    if check.faults:
        raise QuestionnaireError(f"{name or 'questionnaire'}: " + "; ".join(check.faults))
    return QuestionnaireFile(
        name=name, code=code, condition=data["condition"], language=language,
        version=int(version), title=data["title"].strip(),
        definition={"format": FORMAT, "items": items, "rules": list(raw_rules)},
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
            _mark_translations_outdated(db, row)
        loaded.append((row, "added"))
    return loaded


def _mark_translations_outdated(db: Session, source: Questionnaire) -> None:
    """Translations of an older version of ``source`` now lag behind it."""
    for row in db.exec(select(Questionnaire).where(
        Questionnaire.code == source.code, Questionnaire.language != source.language,
        Questionnaire.version < source.version, Questionnaire.status == ContentStatus.PUBLISHED,
    )):
        row.outdated = True
        db.add(row)
