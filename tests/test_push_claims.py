"""Several workers share the outbox: no row is taken twice, and a dead worker's rows return.

These run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.models import DeliveryStatus, Notification, NotificationKind
from app.push.worker import claim
from app.types import utcnow

from .conftest import persona

# Claims: FOR UPDATE SKIP LOCKED on PostgreSQL, compare-and-set on SQLite.
pytestmark = pytest.mark.db_engine

LEASE = timedelta(seconds=120)
DUE = [Notification.status == DeliveryStatus.PENDING]


@pytest.fixture
def outbox(db, demo) -> list[int]:
    """Sixty notifications for Dr Lefèvre, waiting."""
    account_id = persona(db, "lefevre").id
    rows = [Notification(account_id=account_id, kind=NotificationKind.NOTE_ADDED, url="/")
            for _ in range(60)]
    db.add_all(rows)
    db.commit()
    return [row.id for row in rows]


def test_workers_claiming_together_never_take_the_same_row(engine, outbox):
    now = utcnow()
    start = threading.Barrier(4)
    taken: list[list[int]] = [[] for _ in range(4)]
    errors = []

    def worker(number: int) -> None:
        try:
            with Session(engine) as db:
                start.wait()
                while ids := claim(db, Notification, DUE, now, 7, LEASE):
                    taken[number].extend(ids)
        except Exception as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    everything = [row_id for ids in taken for row_id in ids]
    assert sorted(everything) == sorted(outbox)  # each row once, none left out


def test_a_row_held_by_another_worker_is_not_taken(engine, outbox):
    now = utcnow()
    with Session(engine) as first, Session(engine) as second:
        if engine.dialect.name == "postgresql":
            # The first worker is in the middle of its claim: its rows are locked, not yet
            # leased. SKIP LOCKED passes them by instead of waiting for them.
            held = list(first.exec(select(Notification.id).where(
                col(Notification.id).in_(outbox[:10])).with_for_update()).all())
        else:
            held = claim(first, Notification, [col(Notification.id).in_(outbox[:10])], now, 10,
                         LEASE)
        got = claim(second, Notification, DUE, now, 100, LEASE)
        first.rollback()
    assert len(held) == 10
    assert sorted(got) == sorted(outbox[10:])


def test_a_dead_workers_lease_expires(db, engine, outbox):
    now = utcnow()
    with Session(engine) as dead:
        first = claim(dead, Notification, DUE, now, 60, LEASE)  # then it is killed
    assert claim(db, Notification, DUE, now + timedelta(seconds=60), 60, LEASE) == []
    assert sorted(claim(db, Notification, DUE, now + LEASE + timedelta(seconds=1), 60,
                        LEASE)) == sorted(first)


def test_a_claim_is_a_lease_in_the_database(db, outbox):
    now = utcnow()
    claim(db, Notification, DUE, now, 5, LEASE)
    db.expire_all()
    leased = db.exec(select(sa.func.count()).select_from(Notification).where(
        col(Notification.lease_until).is_not(None))).one()
    assert leased == 5
