"""Fixtures: a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL), the app, the demo.

Personas are the demo's people — a test reads like a story:

- Jeanne Martin: the patient (74, heart failure and type 2 diabetes, in a village)
- Karim Belkacem: another patient (COPD), whose carnet Jeanne's people must not see
- Claire Martin: Jeanne's daughter and caregiver
- Dr Paul Lefèvre: GP, médecin traitant of Jeanne and Karim
- Amina Benali: home nurse (IDE) in Jeanne's team
- Marc Dubois: pharmacist in Jeanne's team
- Lucas Moreau: social worker, not in Jeanne's care team
- Françoise Petit: editor from a heart-failure patients' association
- Odile Lambert: a second editor of the same association, who reviews Françoise's drafts
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app import create_app
from app.db import upgrade
from app.models import Account

from .databases import own_database

EMAILS = {
    "jeanne": "jeanne.martin@example.org",
    "karim": "karim.belkacem@example.org",
    "louise": "louise.bernard@example.org",
    "claire": "claire.martin@example.org",
    "lefevre": "paul.lefevre@example.org",
    "amina": "amina.benali@example.org",
    "sophie": "sophie.girard@example.org",
    "marc": "marc.dubois@example.org",
    "julie": "julie.roux@example.org",
    "lucas": "lucas.moreau@example.org",
    "nadia": "nadia.haddad@example.org",
    "francoise": "francoise.petit@example.org",
    "odile": "odile.lambert@example.org",
}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database migrated from empty to head, once per test session: SQLite, or with
    TEST_DATABASE_URL a PostgreSQL database of this run's own on that server."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'carnet.sqlite'}"
        upgrade(url)
        yield url
        return
    with own_database(server) as url:
        upgrade(url)
        yield url


def pytest_collection_modifyitems(config, items):
    """A run on SQLite leaves out the tests that need PostgreSQL itself (deselected, never
    skipped); CI's PostgreSQL pass runs them."""
    if os.environ.get("TEST_DATABASE_URL"):
        return
    kept = [item for item in items if item.get_closest_marker("postgresql") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def pytest_configure(config):
    # A run stopped with SIGTERM (CI's time limit, `kill`) ends like Ctrl-C: teardown runs
    # and the run's own database is dropped.
    signal.signal(signal.SIGTERM, _interrupted)


def _interrupted(signum, frame):
    raise KeyboardInterrupt


# Every app made by a test keeps its generated secrets out of the working tree.
os.environ["CARNET_INSTANCE"] = tempfile.mkdtemp(prefix="carnet-test-instance-")
os.environ.pop("DATABASE_URL", None)
os.environ.pop("CARNET_DEMO", None)


@pytest.fixture(scope="session")
def instance_path() -> str:
    return os.environ["CARNET_INSTANCE"]


@pytest.fixture(scope="session")
def app(database_url, instance_path):
    """The application in demo mode, over the test database."""
    app = create_app(
        {"DATABASE_URL": database_url, "CARNET_DEMO": True, "TESTING": True,
         "SECRET_KEY": "test-secret"}
    )
    return app


@pytest.fixture
def engine(app) -> sa.Engine:
    return app.extensions["carnet.engine"]


@pytest.fixture
def db(engine):
    """A session on the test database, for arranging and checking."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@dataclass
class DemoSnapshot:
    """The demo's rows as load_demo made them, to put back before each test."""

    counts: dict[str, int]
    rows: dict[sa.Table, list[dict]]
    taken: datetime


_snapshots: dict[str, DemoSnapshot] = {}
# The demo is written relative to "now" (an appointment "tomorrow at 10:00"): a snapshot
# older than this, or from another day, is loaded afresh.
SNAPSHOT_LIFE = timedelta(minutes=5)


@pytest.fixture
def demo(engine) -> dict[str, int]:
    """The demo territory, fresh for each test.

    load_demo runs once every few minutes; in between, its rows are put back as they were
    (every table emptied, then refilled in one statement each), which is several times
    quicker than making the territory again for each of hundreds of tests.
    """
    from app.demo.territory import load_demo
    from app.models import metadata

    now = datetime.now(UTC)
    snapshot = _snapshots.get(str(engine.url))
    if snapshot is None or now - snapshot.taken > SNAPSHOT_LIFE or (
            now.astimezone(PARIS).date() != snapshot.taken.astimezone(PARIS).date()):
        with Session(engine) as session:
            counts = load_demo(session)
        with engine.connect() as connection:
            rows = {table: [dict(row) for row in connection.execute(
                table.select().order_by(*table.primary_key.columns)).mappings()]
                for table in metadata.sorted_tables}
        _snapshots[str(engine.url)] = DemoSnapshot(counts, rows, now)
        return counts
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
        for table, rows in snapshot.rows.items():
            if rows:
                connection.execute(table.insert(), rows)
    return snapshot.counts


@pytest.fixture
def client(app):
    return app.test_client()


def persona(session: Session, name: str) -> Account:
    """The demo account of a persona ("jeanne", "lefevre"…)."""
    return session.exec(select(Account).where(Account.email == EMAILS[name])).one()


PARIS = ZoneInfo("Europe/Paris")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class DemoActions:
    """Signs a test client in as one of the demo's people, the way a browser would."""

    def __init__(self, client, engine):
        self.client = client
        self.engine = engine

    def csrf_token(self, path: str = "/demo/") -> str:
        page = self.client.get(path).get_data(as_text=True)
        return CSRF_META.search(page).group(1)

    def sign_in(self, name: str):
        with Session(self.engine) as session:
            account_id = persona(session, name).id
        return self.client.post(
            "/demo/sign-in", data={"account_id": account_id, "csrf_token": self.csrf_token()}
        )


@pytest.fixture
def demo_actions(client, engine, demo) -> DemoActions:
    return DemoActions(client, engine)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Each test of the app starts with a full sign-in budget (limits are counted per client
    address); a test that builds no app has none to reset."""
    if "app" not in request.fixturenames:
        return
    from app.security import limiter

    limiter.reset()


@pytest.fixture
def signed_in(app, engine, demo):
    """``signed_in("jeanne")``: a test client signed in as that persona, in English."""
    from .carnet_actions import Browser

    return lambda name: Browser(app, engine, name)


@pytest.fixture
def jeanne_id(db, demo) -> int:
    """The id of Jeanne's carnet."""
    from .carnet_actions import carnet_id

    return carnet_id(db, "jeanne")
