"""Acceptance: two worker processes sharing 200 notifications send each exactly once.

Two real ``flask --app app worker`` processes run against the same database; once both are
up, Dr Lefèvre gets 200 waiting notifications, and our push service counts the ids it
receives: each exactly once. The race is proved, not hoped for: the push service holds
every message it receives until two of them come from two different claims (their
deliveries' leases, read as they arrive). No claim spans two workers, so both workers held
a claim at the same moment — neither waited for the other to finish.

On PostgreSQL the workers claim rows with ``FOR UPDATE SKIP LOCKED``. On SQLite the same
test runs, unchanged and not skipped: there a claim is a compare-and-set of the lease
under SQLite's single write lock, which also holds across processes, so "each exactly
once" is as meaningful a promise — only the way to keep it differs.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.models import DeliveryStatus, Notification, NotificationDelivery

from .conftest import persona
from .push_actions import notes_for_lefevre, worker_process
from .push_service import PushService, message_id

# Two worker processes claiming from one outbox.
pytestmark = pytest.mark.db_engine

# More than one worker holds at once (its batch on the network and the next one, of 50
# each): the other worker must find rows to claim while the first is held at the gate.
COUNT = 200
# Bounds that only stop a broken run from hanging; a working one is far inside them.
HANG = 120


class Worker:
    """``flask --app app worker`` in its own process; ``ready`` once it polls the outbox."""

    def __init__(self, database_url: str):
        self.process = worker_process(database_url, "--poll", "0.1", stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
        self.ready = threading.Event()
        self.log: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        # Read everything it says, so that a full pipe never blocks it.
        for line in self.process.stderr:
            self.log.append(line)
            if "Push worker running" in line:
                self.ready.set()
        self.ready.set()  # it ended: the test finds out why below

    def stop(self) -> int:
        """SIGTERM: it finishes the batch in hand, then leaves; its exit code."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=HANG)
        self._reader.join(timeout=HANG)
        return code


class HoldUntilTwoClaims:
    """The push service's gate: every message waits, its delivery's lease read from the
    database as it arrives, until two waiting messages come from two different claims —
    two workers with a batch in flight at once (each sends several at a time)."""

    def __init__(self, engine: sa.Engine, expected: int):
        self.engine = engine
        self.expected = expected
        self.lock = threading.Lock()
        self.held: list[int] = []
        self.leases: dict[int, tuple] = {}
        self.seen = 0
        self.all_arrived = threading.Event()
        self.released = threading.Event()

    def __call__(self, payload: dict) -> None:
        with self.lock:
            self.seen += 1
            if self.seen >= self.expected:
                self.all_arrived.set()
            if self.released.is_set():
                return
            notification_id = message_id(payload)
            self.held.append(notification_id)
            self.leases[notification_id] = self._lease(notification_id)
            if len({lease for _, lease in self.leases.values()}) >= 2:
                self.released.set()
                return
        assert self.released.wait(HANG), "no second claim while the first was in flight"

    def _lease(self, notification_id: int) -> tuple:
        delivery = NotificationDelivery.__table__
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(delivery.c.status, delivery.c.lease_until)
                .where(delivery.c.notification_id == notification_id)).one()
        return row.status, row.lease_until


def test_two_workers_send_each_of_200_notifications_exactly_once(app, db, demo, engine,
                                                                   database_url):
    gate = HoldUntilTwoClaims(engine, COUNT)
    service = PushService(app.config["VAPID_PUBLIC_KEY"], gate=gate).start()
    workers = [Worker(database_url) for _ in range(2)]
    try:
        for worker in workers:
            assert worker.ready.wait(HANG) and worker.process.poll() is None, worker.log
        expected = notes_for_lefevre(app, db, service, COUNT)
        assert gate.all_arrived.wait(HANG), f"{gate.seen} of {COUNT} arrived"
    finally:
        codes = [worker.stop() for worker in workers]
        service.stop()
    assert codes == [0, 0], [worker.log for worker in workers]

    # The gate: messages in flight at once, from two claims alive at once.
    assert len(set(gate.held)) == len(gate.held) >= 2
    assert set(gate.leases) == set(gate.held)
    statuses = {status for status, _ in gate.leases.values()}
    leases = {lease for _, lease in gate.leases.values()}
    assert statuses == {DeliveryStatus.PENDING} and None not in leases, gate.leases
    assert len(leases) == 2, gate.leases  # two different claims, hence two workers

    arrived = Counter(message_id(payload) for payload in service.payloads())
    assert set(arrived) == expected
    assert set(arrived.values()) == {1}  # none twice
    db.expire_all()
    assert set(db.exec(select(Notification.status).where(
        Notification.account_id == persona(db, "lefevre").id)).all()) == {DeliveryStatus.SENT}
    assert service.problems == []
