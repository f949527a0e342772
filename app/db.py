"""Database engine and the per-request session."""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, Response, current_app, g
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from .config import sqlalchemy_url

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``; SQLite gets foreign keys on and a patient lock timeout.

    Its errors never quote the statement's parameters: they are what people wrote.
    """
    url = sqlalchemy_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 15, "check_same_thread": False},
                                  hide_parameters=True)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)


def get_session() -> Session:
    """The database session of the current request, opened on first use."""
    if "db" not in g:
        g.db = Session(current_app.extensions["carnet.engine"], expire_on_commit=False)
    return g.db


def ids_in(db: Session, column, ids) -> sa.ColumnElement[bool]:
    """``column IN ids`` for a list of integer ids that may be long (a GP's 300 carnets): on
    PostgreSQL ``= ANY`` of one array parameter, where an IN renders and sends one
    parameter per id (a fifth of the inbox's time went to that); elsewhere an IN."""
    ids = list(ids)
    if db.get_bind().dialect.name == "postgresql":
        return column == sa.func.any(integers(ids))
    return column.in_(ids)


def integers(values) -> sa.BindParameter:
    """One PostgreSQL parameter holding a list of integers (an ``integer[]``)."""
    return sa.bindparam(None, list(values), type_=_INTEGERS)


_INTEGERS = postgresql.ARRAY(sa.Integer)


def commit_request(response: Response) -> Response:
    """The request's one commit, once its answer is ready: the change and its audit lines
    together, or nothing.

    Views and domain functions only add and flush. An answer below 500 that the view gave
    itself is committed: a page (its audit lines), a change, or a form shown again with its
    errors (a read). An error page has already ended the transaction (see ``errors``), so a
    refused or failed request writes nothing here; a commit that fails becomes an error page
    (503 when the database went away, see ``errors``).
    """
    session = g.get("db")
    if session is not None and response.status_code < 500:
        session.commit()
    return response


def close_session(exc: BaseException | None = None) -> None:
    """Roll back what the request left uncommitted, then close its session."""
    session = g.pop("db", None)
    if session is not None:
        if exc is not None or session.in_transaction():
            session.rollback()
        session.close()


def discard_session() -> None:
    """End the request's transaction at once (for error pages), whatever state it is in.

    A failed flush leaves the session unusable until rolled back, and a dead connection
    may refuse even that. What the request had loaded (the signed-in account, the carnet
    being viewed) stays readable, detached, for the page; an object the view had already
    expired could only be read from the database again, so it leaves ``g`` instead.
    """
    session = g.pop("db", None)
    if session is None:
        return
    session.expunge_all()  # before the rollback, which would expire them all
    # A connection that is gone has nothing left to roll back, and may say so.
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        session.rollback()
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        session.close()
    for name in ("account", "account_session", "carnet", "carnet_owner"):
        row = g.get(name)
        if row is not None and sa.inspect(row).expired_attributes:
            g.pop(name)


def alembic_config(url: str) -> Config:
    """Alembic's configuration, built in code so no alembic.ini is needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


@functools.cache
def head_revision() -> str:
    """The newest migration of this code: read once a process (reading the scripts took
    30 ms of CPU, on every /healthz a load balancer asks for)."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def init_app(app: Flask) -> None:
    app.extensions["carnet.engine"] = make_engine(app.config["DATABASE_URL"])
    app.after_request(commit_request)
    app.teardown_appcontext(close_session)
    require_current_schema(app)


def require_current_schema(app: Flask) -> None:
    """Refuse to serve while the database is behind the code's migrations."""
    from flask import request
    from flask_babel import gettext as _

    from .errors import render_error

    @app.before_request
    def _check_schema():
        if app.extensions.get("carnet.schema_ok") or request.endpoint in (
            "static", "main.healthz", "main.service_worker", "main.manifest"
        ):
            return None
        if current_revision(app.extensions["carnet.engine"]) != head_revision():
            return render_error(503, _("The database must be upgraded first. Run: %(command)s",
                                       command="flask --app app db upgrade"))
        app.extensions["carnet.schema_ok"] = True
        return None


class StaleEdit(Exception):
    """The row changed since its form was opened: ``current`` is what it is now, ``by`` the
    account that changed it last (None when unknown)."""

    def __init__(self, current, by):
        super().__init__(type(current).__name__)
        self.current = current
        self.by = by


def stale(db: Session, row) -> StaleEdit:
    """The refusal of a save based on an old version of ``row``, with its current state (no
    rollback: the request's audit lines are still to be committed)."""
    from .models import Account

    db.refresh(row)
    return StaleEdit(row, db.get(Account, row.updated_by_id))


def require_version(db: Session, row, base_version: int) -> None:
    """Refuse a save that changes nothing but was based on an old version of ``row``."""
    if row.version != base_version:
        raise stale(db, row)


def save_version(db: Session, row, base_version: int, actor_id: int, values: dict) -> None:
    """Write ``values`` into ``row`` if it still is at ``base_version`` (the version its
    form was opened on), as its next version by ``actor_id``; else raise :class:`StaleEdit`.

    One ``UPDATE … WHERE version = :base`` (optimistic locking, the way of every editable
    row of a carnet): of two saves based on the same version exactly one wins, on SQLite
    and PostgreSQL alike, and the other is told who was first.
    """
    from .types import utcnow

    model = type(row)
    result = db.exec(sa.update(model)
                     .where(model.id == row.id, model.version == base_version)
                     .values(**values, version=model.version + 1, updated_by_id=actor_id,
                             updated_at=utcnow()))
    if result.rowcount != 1:
        raise stale(db, row)
    db.refresh(row)


def spend_once(db: Session, model, row_id: int, now, *conditions) -> bool:
    """Mark a single-use row (an invitation, a link, a code, a challenge) used at ``now``,
    unless it already is; whether this caller spent it.

    One ``UPDATE … WHERE used_at IS NULL``, in the caller's transaction: of two requests
    at the same instant exactly one gets True, on SQLite and PostgreSQL alike, and a caller
    that fails afterwards rolls the spending back with the rest.
    """
    result = db.exec(sa.update(model)
                     .where(model.id == row_id, model.used_at.is_(None), *conditions)
                     .values(used_at=now))
    return result.rowcount == 1

