"""Crash safety: a worker killed (SIGKILL) in the middle of a batch loses nothing.

A real ``flask worker`` in a subprocess sends 500 notifications to our push service; it is
killed partway; once its leases have expired, another worker finishes the job. Every
notification arrives at least once (the service worker drops the repeats by id).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from app.models import DeliveryStatus, Notification, NotificationKind, Patient
from app.push.worker import Relay, Settings
from app.types import utcnow

from .conftest import persona
from .push_actions import subscribe
from .push_service import PushService

ROOT = Path(__file__).resolve().parent.parent
COUNT = 500


def test_a_killed_worker_loses_no_notification(app, db, demo, database_url):
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    try:
        with app.app_context():
            subscribe(db, service, "lefevre")
        lefevre = persona(db, "lefevre")
        patient = db.exec(select(Patient).where(
            Patient.account_id == persona(db, "jeanne").id)).one()
        rows = [Notification(account_id=lefevre.id, patient_id=patient.id, section="notes",
                             kind=NotificationKind.NOTE_ADDED, url="/") for _ in range(COUNT)]
        db.add_all(rows)
        db.commit()
        expected = {row.id for row in rows}

        env = dict(os.environ, DATABASE_URL=database_url, CARNET_PUSH_BATCH="50")
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--poll", "0.1"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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

        arrived = [payload["id"] for payload in service.payloads()]
        assert set(arrived) == expected  # each at least once
        assert len(arrived) - len(expected) <= 50  # repeats: at most the batch in flight
        db.expire_all()
        statuses = set(db.exec(select(Notification.status).where(
            Notification.account_id == lefevre.id)).all())
        assert statuses == {DeliveryStatus.SENT}
        assert service.problems == []
    finally:
        service.stop()
