"""Pages of a long list.

A short list (a carnet's notes, the consent decisions) is paged by number: ``?page=3``.
A list that grows with history ("Who saw my carnet", the reports, a professional's inbox)
is paged from where the previous page ended instead (keyset paging): its links carry the
key of the last row shown (``?after=``) or of the first (``?before=``), and the database
walks its index from there, as quickly on the thousandth page as on the first. Such a list
shows no page count: counting a history costs as much as reading it.

A key is written in the link as plain numbers joined by dots: a time in microseconds since
1970, a yes/no as 1/0, an id. A link that does not read as one answers the first page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import request
from sqlmodel import Session

from .ids import MAX_ID, whole_number

# ?after=KEY: the rows that come after KEY's row in the list's order (the next page);
# ?before=KEY: those that come just before it (the previous page).
AFTER, BEFORE = "after", "before"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
LATEST = (datetime(9999, 12, 31, tzinfo=UTC) - EPOCH) // MICROSECOND
KEY_TEXT = re.compile(r"[0-9]{1,19}(\.[0-9]{1,19}){0,3}")


def page_number() -> int:
    """The ``?page=`` asked for: a plain positive number, else the first page."""
    return whole_number(request.args.get("page", "1"), 1, 10**6 - 1) or 1


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows make, one at least (an empty list is one empty page)."""
    return max(1, -(-total // per_page))


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: just after the row whose sort key is ``key``, or (``backwards``)
    just before it."""

    key: tuple
    backwards: bool = False

    def args(self) -> dict[str, str]:
        """The query string that asks for this page again."""
        return {BEFORE if self.backwards else AFTER: key_text(self.key)}


def key_text(key: tuple) -> str:
    """A row's sort key as a link carries it: "1764490209123456.1234"."""
    parts = []
    for value in key:
        if isinstance(value, bool):
            parts.append("1" if value else "0")
        elif isinstance(value, datetime):
            parts.append(str((value - EPOCH) // MICROSECOND))
        else:
            parts.append(str(int(value)))
    return ".".join(parts)


def _read_key(text: str, kinds: Sequence[type]) -> tuple | None:
    """The key ``text`` writes, each part of the kind the list sorts on; None if it is not
    one (wrong number of parts, not digits, out of range)."""
    parts = text.split(".")
    if len(parts) != len(kinds):
        return None
    key: list[Any] = []
    for part, kind in zip(parts, kinds, strict=True):
        if kind is bool:
            number = whole_number(part, 0, 1)
            value = None if number is None else bool(number)
        elif kind is datetime:
            number = whole_number(part, 0, LATEST)
            value = None if number is None else EPOCH + number * MICROSECOND
        else:
            value = whole_number(part, 0, MAX_ID)
        if value is None:
            return None
        key.append(value)
    return tuple(key)


def _kind(column_type: sa.types.TypeEngine) -> type:
    """What a key part holds for a column of ``column_type``: a time, a yes/no or a number."""
    if isinstance(column_type, sa.types.TypeDecorator):  # UTCDateTime
        column_type = column_type.impl_instance
    if isinstance(column_type, sa.DateTime):
        return datetime
    return bool if isinstance(column_type, sa.Boolean) else int


def cursor(order: Sequence[Any]) -> Cursor | None:
    """The ``?after=`` or ``?before=`` of the request, read as a key of a list sorted on the
    columns ``order``; None (the first page) when there is none or it is not one."""
    kinds = [_kind(column.type) for column in order]
    for name, backwards in ((AFTER, False), (BEFORE, True)):
        text = request.args.get(name)
        if text is not None:
            key = _read_key(text, kinds)
            return Cursor(key, backwards) if key is not None else None
    return None


def cursor_args() -> dict[str, str]:
    """The request's own ``?after=`` or ``?before=``, to come back to the same page after a
    form posted from it (the page that reads it checks it)."""
    for name in (AFTER, BEFORE):
        text = request.args.get(name, "")
        if KEY_TEXT.fullmatch(text):
            return {name: text}
    return {}


@dataclass
class KeysetPage:
    """One page of a list paged from a key: its rows, and the keys of the pages around it
    (None where there is none)."""

    rows: list
    previous: str | None = None  # for ?before=
    next: str | None = None  # for ?after=
    here: dict[str, str] = field(default_factory=dict)  # the query string of this page


def keyset_page(db: Session, query, order: Sequence[Any], key: Callable[[Any], tuple],
                per_page: int, start: Cursor | None) -> KeysetPage:
    """The page of ``query``'s rows that ``start`` names (the first when None), the list
    sorted on the columns ``order``, each descending (newest first); ``key`` gives a row's
    values of those columns. One query (two when a link names a page past the end)."""
    if start is None:
        rows = db.exec(query.order_by(*[sa.desc(c) for c in order]).limit(per_page + 1)).all()
        return KeysetPage(list(rows[:per_page]), None,
                          key_text(key(rows[per_page - 1])) if len(rows) > per_page else None)
    bound = sa.tuple_(*[sa.literal(value, column.type)
                        for value, column in zip(start.key, order, strict=True)])
    keys = sa.tuple_(*order)
    if start.backwards:  # the rows just before ``start``, read upwards, then put in order
        rows = db.exec(query.where(keys > bound).order_by(*[sa.asc(c) for c in order])
                       .limit(per_page + 1)).all()
        more = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
    else:
        rows = db.exec(query.where(keys < bound).order_by(*[sa.desc(c) for c in order])
                       .limit(per_page + 1)).all()
        more = len(rows) > per_page
        rows = list(rows[:per_page])
    if not rows:  # a page past either end (its rows gone, or a made-up key): the first
        return keyset_page(db, query, order, key, per_page, None)
    if start.backwards:
        return KeysetPage(rows, key_text(key(rows[0])) if more else None,
                          key_text(key(rows[-1])), start.args())
    return KeysetPage(rows, key_text(key(rows[0])),
                      key_text(key(rows[-1])) if more else None, start.args())
