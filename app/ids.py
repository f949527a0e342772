"""Ids and whole numbers from a URL or a form: ASCII digits within what a column holds.

Python's own digit test says yes to superscripts (which ``int()`` refuses: a 500) and to
Arabic-Indic digits (which ``int()`` reads), so only the ten ASCII digits count here. An id
longer than its column fails in the database, not in Python: PostgreSQL cannot compare an
``integer`` column with 2^31, SQLite with 2^63. Every id a person can type therefore goes
through here, and is either a plain number that may exist, or nothing.
"""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import IntegerConverter, Map, ValidationError

# The largest value of PostgreSQL's ``integer``, the type of every id and version column;
# one bound for both engines, so that an id answers the same on SQLite and PostgreSQL.
MAX_ID = 2**31 - 1
ASCII_DIGITS = re.compile(r"[0-9]+")


def whole_number(raw: object, low: int, high: int) -> int | None:
    """``raw`` read as a whole number from ``low`` to ``high`` written in ASCII digits only
    (no sign, no space); None for anything else."""
    if not isinstance(raw, str) or ASCII_DIGITS.fullmatch(raw) is None:
        return None
    digits = raw.lstrip("0") or "0"
    if len(digits) > len(str(high)):  # never hand int() a thousand digits
        return None
    value = int(digits)
    return value if low <= value <= high else None


def parse_id(raw: object) -> int | None:
    """The id ``raw`` names, if it is one a row could have; None otherwise."""
    return whole_number(raw, 1, MAX_ID)


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits, at most ``MAX_ID``; otherwise the route does
    not match, and the answer is a 404 like any id of nothing."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str):
        if self.max is not None and len(value.lstrip("0")) > len(str(self.max)):
            raise ValidationError()  # never hand int() a thousand digits
        return super().to_python(value)


def init_app(app: Flask) -> None:
    """Replace Werkzeug's ``int`` converter; call before any blueprint adds its routes."""
    app.url_map.converters["int"] = IdConverter
