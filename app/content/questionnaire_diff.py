"""What changed between two versions of a questionnaire, said for its reviewers.

Items and rules are matched by their key (keys are stable across versions and
languages): added, removed, changed (which fields, old → new), and whether the order
of the items that stayed changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..models import Questionnaire
from ..symptoms.questionnaires import FIELDS


@dataclass
class Change:
    """One field of an item or a rule: its name in words, before and after."""

    field: str
    old: str
    new: str


@dataclass
class EntryChange:
    key: str
    label: str
    changes: list[Change]


@dataclass
class Part:
    """The items (or the rules): added, removed, changed; the order before and after."""

    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[EntryChange] = field(default_factory=list)
    order: tuple[list[str], list[str]] | None = None

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.order)


@dataclass
class Diff:
    old: Questionnaire
    new: Questionnaire
    title: tuple[str, str] | None
    items: Part
    rules: Part

    def __bool__(self) -> bool:
        return bool(self.title or self.items or self.rules)


def _words(name: str, value: object) -> str:
    if value is None:
        return _("(none)")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name == "choices" and isinstance(value, list):
        return "; ".join(f"{c.get('value')}: {c.get('label')}" for c in value)
    return str(value)


def _field(name: str) -> str:
    if name in FIELDS:
        return _(FIELDS[name])
    if name == "required":
        return _("answer required")
    if name == "step":
        return _('the step ("step")')
    if name == "max_length":
        return _('the longest answer ("max_length")')
    return f'"{name}"'


def _part(old: list[dict], new: list[dict]) -> Part:
    before = {entry["key"]: entry for entry in old}
    after = {entry["key"]: entry for entry in new}
    part = Part(added=[e for e in new if e["key"] not in before],
                removed=[e for e in old if e["key"] not in after])
    for entry in new:
        was = before.get(entry["key"])
        if was is None:
            continue
        changes = [Change(_field(name), _words(name, was.get(name)), _words(name, entry.get(name)))
                   for name in dict.fromkeys([*was, *entry])
                   if name != "key" and was.get(name) != entry.get(name)]
        if changes:
            part.changed.append(EntryChange(entry["key"], entry.get("label", ""), changes))
    kept_before = [e["key"] for e in old if e["key"] in after]
    kept_after = [e["key"] for e in new if e["key"] in before]
    if kept_before != kept_after:
        part.order = (kept_before, kept_after)
    return part


def diff(old: Questionnaire, new: Questionnaire) -> Diff:
    """What ``new`` changes in ``old``."""
    return Diff(old, new, (old.title, new.title) if old.title != new.title else None,
                _part(old.definition["items"], new.definition["items"]),
                _part(old.definition["rules"], new.definition["rules"]))
