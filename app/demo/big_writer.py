"""Bulk writing for the big territory: rows as dicts, inserted a chunk at a time.

Going through ORM objects would cost minutes at 300,000 rows; one INSERT of a few thousand
rows costs milliseconds, and PostgreSQL's COPY less still. Core inserts skip the models'
Python defaults, so each row is completed with them here.
"""

from __future__ import annotations

import base64
import enum
import functools
import json
import random
import unicodedata
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.models import metadata
from app.types import EnumString

CHUNK = 2_000


@functools.cache
def _defaults(model: type) -> dict[str, Any]:
    """The Python-side defaults of a model's fields (Core inserts do not apply them)."""
    values = {}
    for name, info in model.model_fields.items():
        if name == "id" or info.is_required():
            continue
        values[name] = info.default_factory() if info.default_factory else info.default
    return values


class Writer:
    """Rows waiting to be inserted, table by table, and the inserts that give ids back."""

    def __init__(self, db: Session):
        self.db = db
        self.connection = db.connection()
        self.pending: dict[type, list[dict]] = {}

    def add(self, model: type, row: dict) -> None:
        """Queue a row; a full chunk is inserted at once."""
        rows = self.pending.setdefault(model, [])
        rows.append(row)
        if len(rows) >= CHUNK:
            self.flush(model)

    def flush(self, model: type | None = None) -> None:
        """Insert what is queued: of one model, or of all in the order of the foreign keys."""
        tables = {m.__table__: m for m in self.pending}
        models = [model] if model else [tables[t] for t in metadata.sorted_tables if t in tables]
        for each in models:
            rows = self.pending.pop(each, [])
            if not rows:
                continue
            if self.connection.dialect.name == "postgresql":
                self._copy(each.__table__, [{**_defaults(each), **row} for row in rows])
            else:
                self.connection.execute(sa.insert(each.__table__),
                                        [{**_defaults(each), **row} for row in rows])

    def insert_ids(self, model: type, rows: list[dict]) -> list[int]:
        """Insert ``rows`` now and return their ids, in the order of ``rows``."""
        table = model.__table__
        rows = [{**_defaults(model), **row} for row in rows]
        if self.connection.dialect.name == "postgresql":
            # Ids drawn from the table's own sequence, then COPY: RETURNING from a
            # many-row INSERT costs psycopg more time than the rest of the generator.
            ids = list(self.connection.execute(sa.text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                "FROM generate_series(1, :count)"), {"table": table.name, "count": len(rows)}
            ).scalars())
            self._copy(table, [{**row, "id": row_id} for row, row_id in zip(rows, ids,
                                                                                strict=True)])
            return ids
        statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = []
        for start in range(0, len(rows), CHUNK):
            ids += self.connection.execute(statement, rows[start:start + CHUNK]).scalars().all()
        return ids

    def _copy(self, table: sa.Table, rows: list[dict]) -> None:
        """PostgreSQL's COPY, in the session's transaction: several times quicker than
        INSERT for the big tables. Values go as text, so JSON and enums are written here."""
        if not rows:
            return
        columns = [column.name for column in table.columns if column.name in rows[0]]
        names = ", ".join(f'"{name}"' for name in columns)
        driver = self.connection.connection.driver_connection
        as_text = [_as_text(table.c[name].type) for name in columns]
        with driver.cursor() as cursor, cursor.copy(
                f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[name] if convert is None else convert(row[name])
                                for name, convert in zip(columns, as_text, strict=True)])


def _as_text(column_type: sa.types.TypeEngine) -> Callable[[Any], Any] | None:
    """How COPY takes a column's values: JSON as its text, an enum as its value."""
    if isinstance(column_type, sa.JSON):
        return json.dumps
    if isinstance(column_type, EnumString):
        return lambda value: value.value if isinstance(value, enum.Enum) else value
    return None


def analyze(engine: sa.Engine) -> None:
    """Fresh planner statistics, so that a benchmark run right after sees the real sizes."""
    with engine.connect() as connection:
        connection.execute(sa.text("ANALYZE"))
        connection.commit()


def count_rows(db: Session) -> dict[str, int]:
    """How many rows each table holds (those that hold any)."""
    counts = {table.name: db.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
              for table in metadata.sorted_tables}
    return {name: n for name, n in counts.items() if n}


def email(first_name: str, last_name: str, serial: int) -> str:
    """prenom.nom.12@example.net: unique, lowercase ASCII, and not a demo address
    (``example.org``), so that the demo's sign-in page lists the demo's people only."""
    name = f"{first_name}.{last_name}".replace(" ", "-").lower()
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return f"{ascii_name}.{serial}@example.net"


def user_handle(rng: random.Random) -> str:
    """A WebAuthn user handle: 32 random bytes, base64url (from the seeded generator)."""
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
