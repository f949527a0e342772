"""What every model shares: constraint names, and field helpers for our column types."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.types import EnumString, UTCDateTime, utcnow

# Stable constraint names, so that migrations mean the same on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SECTIONS = ("team", "plan", "appointments", "symptoms", "notes")
"""The parts of a carnet that consent and the access policy speak of."""


def enum_field(enum_class: type[enum.StrEnum], default: Any = ..., **kwargs: Any) -> Any:
    """A field holding a StrEnum, stored as its string value."""
    return Field(default=default, sa_type=EnumString(enum_class), **kwargs)


def created_field() -> Any:
    """A creation time, set by the application in UTC."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def time_field(default: datetime | None = None, **kwargs: Any) -> Any:
    """An aware UTC datetime; nullable unless the annotation says otherwise."""
    return Field(default=default, sa_type=UTCDateTime, **kwargs)


def json_field(default_factory: Any = list) -> Any:
    """A JSON document (a list by default), portable between SQLite and PostgreSQL."""
    return Field(default_factory=default_factory, sa_type=sa.JSON, nullable=False)


def text_field(default: Any = "", **kwargs: Any) -> Any:
    """Free text of any length."""
    return Field(default=default, sa_type=sa.Text, **kwargs)


def writing_language() -> str:
    """The language someone is writing in, as far as Carnet can know without asking: the
    language they are reading Carnet in (French outside a request: the demo, the commands)."""
    from flask import has_request_context

    if has_request_context():
        from flask_babel import get_locale

        return str(get_locale())
    return "fr"


def reworded(changed: dict, word_fields: set[str]) -> dict:
    """What an edit also writes when it changes words (``word_fields``): their language is
    now their last writer's."""
    return {"language": writing_language()} if changed.keys() & word_fields else {}


def language_field() -> Any:
    """The language of the words a person wrote in this row (a note, a plan item…): their
    interface language when they wrote it (``writing_language``). Pages mark the words with
    it where it is not the page's (``lang``), and let the browser find their direction."""
    return Field(default_factory=writing_language, max_length=10,
                 sa_column_kwargs={"server_default": "fr"})
