"""The suite's PostgreSQL database is its own, and it is gone once a run ends however it ends.

Most cases run a small suite of their own (pytest in a subprocess, with this folder's fixtures)
against the PostgreSQL server of TEST_DATABASE_URL; that suite writes down the name of its
database, then passes, fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.config import sqlalchemy_url

from .databases import MACHINE, PREFIX, exists, own_database

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

SUITE = '''
import os, time
import sqlalchemy as sa


def test_it_writes_down_its_database(database_url):
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        name = connection.execute(sa.text("SELECT current_database()")).scalar_one()
    engine.dispose()
    with open(os.environ["WRITE_NAME_TO"], "w") as out:
        out.write(name)
    {ending}
'''
ENDINGS = {
    "passes": "",
    "fails": "assert False, 'a failing test'",
    "is interrupted": "time.sleep(60)  # Ctrl-C comes first",
    "is terminated": "time.sleep(60)  # SIGTERM comes first",
}
SIGNALS = {"is interrupted": signal.SIGINT, "is terminated": signal.SIGTERM}


def _suite(tmp_path: Path, ending: str) -> subprocess.Popen:
    suite = tmp_path / "small_suite.py"
    suite.write_text(textwrap.dedent(SUITE.format(ending=ENDINGS[ending])))
    env = dict(os.environ, TEST_DATABASE_URL=SERVER, WRITE_NAME_TO=str(tmp_path / "name"))
    # This folder's conftest as a plugin: the same database_url fixture as the real suite.
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.conftest",
         "--rootdir", str(tmp_path), "-q", str(suite)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=_ctrl_c_as_in_a_terminal)


def _ctrl_c_as_in_a_terminal() -> None:
    # A job started in the background of a script ignores SIGINT, and so does what it
    # starts (Python then installs no KeyboardInterrupt handler): give the small suite the
    # default a terminal gives, so that "Ctrl-C" reaches it wherever this suite runs.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_the_runs_own_database_is_dropped_when_the_run(tmp_path, ending):
    suite = _suite(tmp_path, ending)
    name_file = tmp_path / "name"
    if ending in SIGNALS:
        # The database exists while the run goes on; then a signal ends the run.
        while not name_file.exists() and suite.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                suite.wait(timeout=0.2)
        assert exists(SERVER, name_file.read_text())
        suite.send_signal(SIGNALS[ending])
    output, _ = suite.communicate(timeout=120)
    expected = {"passes": 0, "fails": 1}.get(ending, 2)  # 2: pytest was interrupted
    assert suite.returncode == expected, output
    name = name_file.read_text()
    assert name.startswith("carnet_test_")
    assert not exists(SERVER, name), output


def test_a_killed_runs_database_is_dropped_by_the_next_run_not_a_live_ones():
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dead = f"{PREFIX}{MACHINE}_{gone}_0000dead"  # its run was SIGKILLed: nothing dropped it
    live = f"{PREFIX}{MACHINE}_{os.getpid()}_0000live"  # this run is alive
    admin = sa.create_engine(sqlalchemy_url(SERVER), isolation_level="AUTOCOMMIT",
                             poolclass=sa.NullPool)
    try:
        with admin.connect() as connection:
            for name in (dead, live):
                connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        with own_database(SERVER):
            assert not exists(SERVER, dead)
            assert exists(SERVER, live)
    finally:
        with admin.connect() as connection:
            for name in (dead, live):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
