"""Demo mode: the web process delivers notifications itself, with one worker thread.

``make run`` sets CARNET_DEMO; tests run in demo mode too but without the thread unless
they ask for it (PUSH_WORKER_THREAD). The thread starts with the first request served —
never when the app is only made, as the reloader's watching process does — and once.
"""

from __future__ import annotations

import threading
import time

import pytest

from app import create_app

from .push_actions import jeanne_reports, subscribe
from .push_service import PushService

# A worker thread committing beside the web requests.
pytestmark = pytest.mark.db_engine


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "carnet-push-worker"]


def test_tests_have_no_worker_thread_unless_they_ask(app, client, demo):
    client.get("/healthz")
    assert "carnet.push_worker" not in app.extensions
    assert _threads() == []


def test_the_demo_delivers_from_the_web_process(database_url, db, demo):
    # Not in testing mode: the local push service is named, as a territory names its own.
    demo_app = create_app({"DATABASE_URL": database_url, "CARNET_DEMO": True,
                           "SECRET_KEY": "test-secret", "PUSH_WORKER_THREAD": True,
                           "PUSH_SERVICES": ("127.0.0.1",)})
    worker = demo_app.extensions["carnet.push_worker"]
    service = PushService(demo_app.config["VAPID_PUBLIC_KEY"]).start()
    try:
        assert worker.thread is None  # made, not serving: the reloader's parent stops here
        with demo_app.app_context():
            device = subscribe(db, service, "lefevre")[0]
            jeanne_reports(db)
        client = demo_app.test_client()
        client.get("/healthz")
        client.get("/healthz")
        assert len(_threads()) == 1  # once, however many requests

        deadline = time.monotonic() + 20
        while not service.payloads(device) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(service.payloads(device)) == 1
    finally:
        worker.stop()
        service.stop()
    assert not worker.thread.is_alive()  # stopped cleanly, batch finished
    assert _threads() == []
