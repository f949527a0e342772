"""Acceptance: two worker processes draining 2,000 notifications together send each once.

Two real ``flask --app app worker --drain`` processes start at the same moment against
the same database and share Dr Lefèvre's 2,000 waiting notifications; our push service
counts the ids it receives: each exactly once, and both workers did part of the work.

On PostgreSQL the workers claim rows with ``FOR UPDATE SKIP LOCKED``. On SQLite the same
test runs, unchanged and not skipped: there a claim is a compare-and-set of the lease
under SQLite's single write lock, which also holds across processes, so "each exactly
once" is as meaningful a promise — only the way to keep it differs.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter

from sqlmodel import select

from app.models import DeliveryStatus, Notification

from .conftest import persona
from .push_actions import notes_for_lefevre, worker_process
from .push_service import PushService

COUNT = 2000


def test_two_workers_send_each_of_2000_notifications_exactly_once(app, db, demo,
                                                                    database_url):
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    try:
        expected = notes_for_lefevre(app, db, service, COUNT)
        workers = [worker_process(database_url, "--drain", stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [worker.communicate(timeout=300) for worker in workers]
        for worker, (_out, err) in zip(workers, outputs, strict=True):
            assert worker.returncode == 0, err

        arrived = Counter(payload["id"] for payload in service.payloads())
        assert set(arrived) == expected
        assert set(arrived.values()) == {1}  # none twice
        sent = [int(re.search(r"sent (\d+),", out).group(1)) for out, _ in outputs]
        assert sum(sent) == COUNT
        assert all(count > 0 for count in sent), sent  # together, not one after the other
        db.expire_all()
        assert set(db.exec(select(Notification.status).where(
            Notification.account_id == persona(db, "lefevre").id)).all()) == {DeliveryStatus.SENT}
        assert service.problems == []
    finally:
        service.stop()
