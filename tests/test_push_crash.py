"""Crash safety: a worker killed (SIGKILL) in the middle of a batch loses nothing.

A real ``flask worker`` in a subprocess sends 500 notifications to our push service; it is
killed partway; once its leases have expired, another worker finishes the job. Every
notification arrives at least once (the service worker drops the repeats by id).
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import DeliveryStatus, Notification
from app.push.worker import Relay, Settings
from app.types import utcnow

from .conftest import persona
from .push_actions import notes_for_lefevre, worker_process
from .push_service import PushService, message_id

# A killed worker's leases, taken over by another.
pytestmark = pytest.mark.db_engine

COUNT = 200


def test_a_killed_worker_loses_no_notification(app, db, demo, database_url):
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    try:
        expected = notes_for_lefevre(app, db, service, COUNT)
        worker = worker_process(database_url, "--poll", "0.1",
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(service.received) < COUNT // 5 and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stderr.read().decode()
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_after = len(service.received)
        assert COUNT // 5 <= killed_after < COUNT, "the worker was not killed mid-way"

        # A new worker, once the dead one's leases have run out.
        relay = Relay(app, Settings.from_config(app.config), app.extensions["carnet.vapid"],
                      rng=random.Random(3))
        relay.drain(utcnow() + relay.settings.lease + timedelta(seconds=1))

        arrived = [message_id(payload) for payload in service.payloads()]
        assert set(arrived) == expected  # each at least once
        # Repeats: at most what was on the network, whose outcome was not written yet: the
        # batch being finished and the next one, already sent (CARNET_PUSH_BATCH=50).
        assert len(arrived) - len(expected) <= 2 * 50
        db.expire_all()
        statuses = set(db.exec(select(Notification.status).where(
            Notification.account_id == persona(db, "lefevre").id)).all())
        assert statuses == {DeliveryStatus.SENT}
        assert service.problems == []
    finally:
        service.stop()
