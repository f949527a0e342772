"""A PostgreSQL database of the test run's own, on the server named by TEST_DATABASE_URL.

Two suites on one server (a second checkout, a developer's run beside CI's) must never
meet: each run creates a database with a unique name, and drops it when it ends — after a
failure, Ctrl-C or SIGTERM too. A run killed outright (SIGKILL) cannot clean up; the next
run on the same machine drops what it left once nothing is connected to it any more.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from app.config import sqlalchemy_url

# carnet_test_<machine>_<pid>_<random>: the machine and pid say whose it is.
PREFIX = "carnet_test_"
MACHINE = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop(connection: sa.Connection, name: str) -> None:
    # FORCE ends the connections still open (the app's pools, a worker subprocess).
    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sweep(connection: sa.Connection) -> None:
    """Drop the databases of this machine's runs that died without cleaning up."""
    names = connection.execute(sa.text(
        "SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
        {"pattern": f"{PREFIX}{MACHINE}_%"}).scalars().all()
    for name in names:
        pid = name.removeprefix(f"{PREFIX}{MACHINE}_").split("_")[0]
        if not pid.isascii() or not pid.isdecimal() or _alive(int(pid)):
            continue
        connected = connection.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name}).scalar_one()
        if connected == 0:
            _drop(connection, name)


@contextmanager
def own_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``server_url``; its URL, until the block ends."""
    server = sa.make_url(sqlalchemy_url(server_url))
    name = f"{PREFIX}{MACHINE}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as connection:
            _sweep(connection)
            # template0 is never connected to, so two runs may copy it at the same moment.
            connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                _drop(connection, name)
    finally:
        admin.dispose()


def exists(server_url: str, name: str) -> bool:
    """Whether the server of ``server_url`` has a database called ``name``."""
    engine = sa.create_engine(sqlalchemy_url(server_url), poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(
                "SELECT count(*) FROM pg_database WHERE datname = :name"),
                {"name": name}).scalar_one() == 1
    finally:
        engine.dispose()
