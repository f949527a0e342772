"""Answers to a questionnaire: read them from what a form sent, and say them back in words."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from ..carnet.validation import too_long
from ..ids import whole_number

YES, NO = "yes", "no"


def _number_words(value: float | int) -> str:
    return format_decimal(value)


def decimals_of(step: float | int) -> int:
    """How many decimals a step allows: 1 → 0, 0.1 → 1, 0.01 → 2."""
    exponent = Decimal(str(step)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _number(item: dict, raw: str) -> tuple[float | int | None, str | None]:
    """A number typed by a person: "71,5" as well as "71.5"; within the item's bounds."""
    low, high = item["min"], item["max"]
    bounds = _("Write a number between %(min)s and %(max)s %(unit)s.",
               min=_number_words(low), max=_number_words(high), unit=item["unit"])
    text = raw.strip().replace(" ", "").replace("\u202f", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, bounds
    if not number.is_finite():
        return None, bounds
    if not Decimal(str(low)) <= number <= Decimal(str(high)):
        return None, bounds
    decimals = decimals_of(item["step"])
    if -number.normalize().as_tuple().exponent > decimals:
        if decimals == 0:
            return None, _("Write a whole number, without a comma.")
        return None, ngettext("Write at most %(num)d decimal place.",
                              "Write at most %(num)d decimal places.", decimals)
    return (int(number) if decimals == 0 else float(number)), None


def parse_one(item: dict, raw: str) -> tuple[object, str | None]:
    """The value of one answer, or the message saying what is wrong with it."""
    kind = item["kind"]
    if kind == "scale":
        value = whole_number(raw, item["min"], item["max"])
        if value is not None:
            return value, None
        return None, _("Choose a number from %(min)d to %(max)d.", min=item["min"],
                       max=item["max"])
    if kind == "yes_no":
        if raw in (YES, NO):
            return raw == YES, None
        return None, _("Answer yes or no.")
    if kind == "choice":
        if raw in {choice["value"] for choice in item["choices"]}:
            return raw, None
        return None, _("Choose one of the answers.")
    if kind == "number":
        return _number(item, raw)
    text = raw.strip()
    if len(text) > item["max_length"]:
        return None, too_long(item["max_length"], len(text))
    return text, None


def parse_answers(definition: dict, raw: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """The answers (item key → value) and the errors (item key → message).

    An optional item left empty is left out of the answers; ``raw`` holds only the
    items of ``definition`` (the caller refuses any other field).
    """
    answers: dict = {}
    errors: dict[str, str] = {}
    for item in definition["items"]:
        text = raw.get(item["key"], "")
        if text.strip() == "":
            if item["required"]:
                errors[item["key"]] = _("Please answer this question.")
            continue
        value, error = parse_one(item, text)
        if error:
            errors[item["key"]] = error
        else:
            answers[item["key"]] = value
    return answers, errors


def bounds_words(item: dict) -> str:
    """The bounds of a number item, as its hint says them: "Between 30 and 250 kg."."""
    return _("Between %(min)s and %(max)s %(unit)s.", min=_number_words(item["min"]),
             max=_number_words(item["max"]), unit=item["unit"])


def options(item: dict) -> list[tuple[str, str]]:
    """The (value, words) a yes/no or a choice item offers."""
    if item["kind"] == "yes_no":
        return [(YES, _("Yes")), (NO, _("No"))]
    return [(choice["value"], choice["label"]) for choice in item["choices"]]


def form_value(item: dict, value: object) -> str:
    """A stored answer as its form field holds it (to fill a form in again)."""
    if value is None:
        return ""
    if item["kind"] == "yes_no":
        return YES if value else NO
    return str(value)


def answer_words(item: dict, value: object) -> str:
    """An answer as a reader sees it: "7 out of 10", "Yes", "71.2 kg", the choice's words."""
    kind = item["kind"]
    if kind == "scale":
        return _("%(value)d out of %(max)d", value=value, max=item["max"])
    if kind == "yes_no":
        return _("Yes") if value else _("No")
    if kind == "choice":
        labels = {choice["value"]: choice["label"] for choice in item["choices"]}
        return labels.get(value, str(value))
    if kind == "number":
        return f"{_number_words(value)}\u00a0{item['unit']}"
    return str(value)
