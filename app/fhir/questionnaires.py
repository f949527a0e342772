"""A symptom questionnaire as an HL7 FHIR R4 ``Questionnaire`` (Structured Data Capture),
and back: an association shares its reviewed questionnaire with another territory, which
imports it as a draft to review as usual.

Standard SDC where it has the words — item types, ``minValue``/``maxValue``, the unit
(``questionnaire-unit``), decimals (``maxDecimalPlaces``), help text (a ``display`` item
with ``itemControl`` help), a slider for a 0–10 scale — and extensions of Carnet's own
(``urn:carnet:fhir:…``, docs/fhir.md) for the rest: the condition, the words at both ends
of a scale, the step, and the alert rules. A file from elsewhere is read defensively: only
what Carnet understands is taken, then checked by the same checks as a file of
app/questionnaires/ (app.symptoms.questionnaires).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from ..models import ContentStatus, Questionnaire

EXT = "urn:carnet:fhir:"
SDC = "http://hl7.org/fhir/StructureDefinition/"
ITEM_CONTROL = SDC + "questionnaire-itemControl"
CONTROLS = "http://hl7.org/fhir/questionnaire-item-control"
UCUM = "http://unitsofmeasure.org"
UCUM_CODES = {"kg": "kg", "%": "%", "°C": "Cel", "g/L": "g/L", "mmHg": "mm[Hg]"}
STATUS = {ContentStatus.DRAFT: "draft", ContentStatus.IN_REVIEW: "draft",
          ContentStatus.PUBLISHED: "active", ContentStatus.RETIRED: "retired"}
TYPES = {"number": "decimal", "yes_no": "boolean", "choice": "choice", "text": "text"}
KINDS = {"decimal": "number", "boolean": "yes_no", "choice": "choice", "text": "text",
         "string": "text"}
RULE_FIELDS = {"key": "valueString", "kind": "valueCode", "item": "valueString",
               "op": "valueString", "label": "valueString", "days": "valueInteger",
               "zone": "valueCode"}


class ImportFault(ValueError):
    """What is wrong with a file to import, said to the editor."""


def _control(code: str) -> dict:
    return {"url": ITEM_CONTROL, "valueCodeableConcept": {"coding": [
        {"system": CONTROLS, "code": code}]}}


def _number(value: Any) -> dict:
    return {"valueInteger": value} if isinstance(value, int) and not isinstance(
        value, bool) else {"valueDecimal": value}


def _item(item: dict) -> dict:
    kind = item["kind"]
    entry: dict[str, Any] = {"linkId": item["key"], "text": item["label"],
                             "type": "integer" if kind == "scale" else TYPES[kind],
                             "required": bool(item.get("required"))}
    extensions: list[dict] = []
    if kind == "scale":
        extensions += [_control("slider"),
                       {"url": SDC + "minValue", "valueInteger": item.get("min", 0)},
                       {"url": SDC + "maxValue", "valueInteger": item.get("max", 10)},
                       {"url": EXT + "min-label", "valueString": item["min_label"]},
                       {"url": EXT + "max-label", "valueString": item["max_label"]}]
    elif kind == "number":
        decimals = -Decimal(str(item["step"])).normalize().as_tuple().exponent
        unit = {"display": item["unit"]}
        if item["unit"] in UCUM_CODES:
            unit = {"system": UCUM, "code": UCUM_CODES[item["unit"]], "display": item["unit"]}
        extensions += [{"url": SDC + "minValue", **_number(item["min"])},
                       {"url": SDC + "maxValue", **_number(item["max"])},
                       {"url": SDC + "maxDecimalPlaces", "valueInteger": max(decimals, 0)},
                       {"url": EXT + "step", **_number(item["step"])},
                       {"url": SDC + "questionnaire-unit", "valueCoding": unit}]
    elif kind == "choice":
        entry["answerOption"] = [{"valueCoding": {"code": choice["value"],
                                                  "display": choice["label"]}}
                                 for choice in item["choices"]]
    elif kind == "text":
        entry["maxLength"] = item["max_length"]
    if extensions:
        entry["extension"] = extensions
    if item.get("help"):
        entry["item"] = [{"linkId": f"{item['key']}.help", "type": "display",
                          "text": item["help"], "extension": [_control("help")]}]
    return entry


def _rule(rule: dict) -> dict:
    parts = [{"url": name, value_type: rule[name]}
             for name, value_type in RULE_FIELDS.items() if name in rule]
    for name in ("value", "change"):
        if name in rule:
            value = rule[name]
            parts.append({"url": name, **({"valueBoolean": value} if isinstance(value, bool)
                                          else {"valueString": value}
                                          if isinstance(value, str) else _number(value))})
    return {"url": EXT + "alert-rule", "extension": parts}


def to_fhir(questionnaire: Questionnaire) -> dict:
    """One version of a questionnaire as an SDC Questionnaire."""
    definition = questionnaire.definition
    return {
        "resourceType": "Questionnaire",
        "id": f"{questionnaire.code}-{questionnaire.language}-{questionnaire.version}"
              .replace("_", "-"),
        "language": questionnaire.language,
        "extension": [{"url": EXT + "condition", "valueCode": questionnaire.condition},
                      *(_rule(rule) for rule in definition["rules"])],
        "url": f"urn:carnet:questionnaire:{questionnaire.code}",
        "version": str(questionnaire.version),
        "title": questionnaire.title,
        "status": STATUS[questionnaire.status],
        "item": [_item(item) for item in definition["items"]],
    }


# Reading a file from elsewhere -----------------------------------------------------------

def _extensions(element: dict) -> dict[str, dict]:
    found = element.get("extension", [])
    if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
        raise ImportFault(_("The file is not a FHIR Questionnaire."))
    return {e.get("url"): e for e in found}


def _value(extension: dict | None) -> Any:
    """An extension's value, whatever its type (valueString, valueCoding…)."""
    if extension is None:
        return None
    return next((value for name, value in extension.items() if name.startswith("value")),
                None)


def _controlled(element: dict) -> str | None:
    concept = _value(_extensions(element).get(ITEM_CONTROL)) or {}
    codes = [coding.get("code") for coding in concept.get("coding", [])
             if isinstance(coding, dict)]
    return codes[0] if codes else None


def _read_item(entry: Any, position: int) -> dict:
    if not isinstance(entry, dict):
        raise ImportFault(_("The file is not a FHIR Questionnaire."))
    key = entry.get("linkId")
    if not isinstance(key, str) or not key:
        raise ImportFault(_("Question %(n)d has no linkId.", n=position))
    kind_of = entry.get("type")
    extensions = _extensions(entry)
    if kind_of == "integer" and _controlled(entry) == "slider":
        kind = "scale"
    elif kind_of in KINDS:
        kind = KINDS[kind_of]
    else:
        raise ImportFault(_("Question “%(key)s” has a type Carnet does not know: %(type)s.",
                            key=key, type=str(kind_of)[:40]))
    item: dict[str, Any] = {"key": key, "kind": kind, "label": entry.get("text")}
    helps = [child for child in entry.get("item", []) if isinstance(child, dict)
             and child.get("type") == "display" and _controlled(child) == "help"]
    if helps:
        item["help"] = helps[0].get("text")
    if kind == "scale":
        item["min_label"] = _value(extensions.get(EXT + "min-label"))
        item["max_label"] = _value(extensions.get(EXT + "max-label"))
    elif kind == "number":
        unit = _value(extensions.get(SDC + "questionnaire-unit")) or {}
        item["unit"] = unit.get("display") or unit.get("code") if isinstance(unit, dict) else unit
        item["min"] = _value(extensions.get(SDC + "minValue"))
        item["max"] = _value(extensions.get(SDC + "maxValue"))
        step = _value(extensions.get(EXT + "step"))
        if step is None:
            places = _value(extensions.get(SDC + "maxDecimalPlaces")) or 0
            step = 1 if not places else float(Decimal(1).scaleb(-int(places)))
        item["step"] = step
    elif kind == "choice":
        item["choices"] = [{"value": (option.get("valueCoding") or {}).get("code"),
                            "label": (option.get("valueCoding") or {}).get("display")}
                           for option in entry.get("answerOption", [])
                           if isinstance(option, dict)]
    elif kind == "text" and "maxLength" in entry:
        item["max_length"] = entry["maxLength"]
    item["required"] = bool(entry.get("required"))
    return item


def _read_rule(extension: dict) -> dict:
    parts = _extensions(extension)
    return {name: _value(part) for name, part in parts.items() if name in (
        *RULE_FIELDS, "value", "change")}


MARKUP = re.compile(r"<\s*[A-Za-z!/?]|javascript:", re.IGNORECASE)


def _no_markup(value: Any) -> None:
    """Words only: a tag or a script in a label is refused (it would be shown as text, but
    a questionnaire that carries one was not written for patients)."""
    if isinstance(value, str) and MARKUP.search(value):
        raise ImportFault(_("The file's words may not contain HTML or a script: “%(text)s”.",
                            text=value[:80]))
    if isinstance(value, dict):
        for inner in value.values():
            _no_markup(inner)
    elif isinstance(value, list):
        for inner in value:
            _no_markup(inner)


def from_fhir(data: Any, code: str) -> dict:
    """A questionnaire file (the format of app/questionnaires/) from an SDC Questionnaire,
    for ``code``; the checks of that format then say what is wrong with its content."""
    if not isinstance(data, dict) or data.get("resourceType") != "Questionnaire":
        raise ImportFault(_("The file is not a FHIR Questionnaire."))
    _no_markup(data)
    extensions = _extensions(data)
    entries = data.get("item")
    if not isinstance(entries, list) or not entries:
        raise ImportFault(_("The questionnaire has no question."))
    rules = [_read_rule(e) for e in data.get("extension", [])
             if isinstance(e, dict) and e.get("url") == EXT + "alert-rule"]
    return {"format": 1, "code": code,
            "condition": _value(extensions.get(EXT + "condition")),
            "language": data.get("language") or "fr", "version": 1,
            "title": data.get("title"),
            "items": [_read_item(entry, n) for n, entry in enumerate(entries, start=1)],
            "rules": rules}
