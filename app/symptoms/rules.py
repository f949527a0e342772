"""Alert rules: does a report fire a rule of its questionnaire? Pure functions, no I/O.

Only the server runs them, on the answers it has checked; whatever a client says about
urgency is ignored. Numbers are compared as decimals, so that 73.2 − 71.2 is exactly 2
(in binary floating point it is 2.0000000000000284, and 72.1 − 70.1 falls just short).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from .questionnaires import AMBER, GREEN, RED, is_number

OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class Earlier:
    """An earlier report of the same patient on the same questionnaire: when, and what."""

    reported_at: datetime
    answers: dict


def _decimal(value: float | int) -> Decimal:
    return Decimal(str(value))


def trend_days(definition: dict) -> int:
    """How many days back the trend rules look (0: no trend rule, no history needed)."""
    return max((rule["days"] for rule in definition["rules"] if rule["kind"] == "trend"),
               default=0)


def fires(rule: dict, answers: dict, reported_at: datetime, earlier: Iterable[Earlier]) -> bool:
    """Whether one rule fires for these answers, given the earlier reports."""
    value = answers.get(rule["item"])
    if value is None:
        return False
    if rule["kind"] == "answer":
        return value == rule["value"]
    if not is_number(value):
        return False
    if rule["kind"] == "threshold":
        return OPERATORS[rule["op"]](_decimal(value), _decimal(rule["value"]))
    if rule["kind"] == "trend":
        # "+2 kg within 3 days": against any report of the last 3 days, the oldest
        # exactly 3 days before included.
        since = reported_at - timedelta(days=rule["days"])
        past = [_decimal(e.answers[rule["item"]]) for e in earlier
                if since <= e.reported_at <= reported_at and is_number(
                    e.answers.get(rule["item"]))]
        if not past:
            return False
        change = _decimal(rule["change"])
        if change > 0:
            return _decimal(value) - min(past) >= change
        return _decimal(value) - max(past) <= change
    return False


def fired_rules(
    definition: dict, answers: dict, reported_at: datetime, earlier: Iterable[Earlier] = ()
) -> list[dict]:
    """The rules of ``definition`` these answers fire, as stored on the report."""
    earlier = list(earlier)
    return [
        {**{key: rule[key] for key in ("key", "kind", "item", "label")}, "zone": zone_of(rule)}
        for rule in definition["rules"] if fires(rule, answers, reported_at, earlier)
    ]


def zone_of(rule: dict) -> str:
    """The zone a rule means when it fires."""
    return rule.get("zone") or AMBER


def zone_of_report(fired_rules: Iterable[dict]) -> str:
    """The zone of a report that fired ``fired_rules`` (as stored on it; older reports
    did not keep the zone: amber)."""
    zones = {zone_of(rule) for rule in fired_rules}
    return RED if RED in zones else AMBER if zones else GREEN
