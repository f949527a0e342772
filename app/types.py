"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """An aware UTC datetime.

    SQLite stores datetimes without their time zone and gives them back naive; we
    refuse naive datetimes on the way in and attach UTC on the way out, so code
    never compares a naive datetime with an aware one.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EnumString(sa.types.TypeDecorator):
    """A Python ``StrEnum`` stored as its plain string value (no database enum type).

    Adding a member later needs no migration, and PostgreSQL and SQLite hold the
    same text.
    """

    impl = sa.String(32)
    cache_ok = True

    def __init__(self, enum_class: type[enum.StrEnum], length: int = 32):
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return self.enum_class(value)
