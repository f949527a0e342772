"""How fast one push worker delivers, against the raw encryption rate of pywebpush.

Not a test: run it by hand, and copy the figures into README.md's "Performance":

    .venv/bin/python benchmarks/push_throughput.py [--count 2000] [--database-url URL]

It makes a scratch database (SQLite in a temporary folder unless ``--database-url``),
loads the demo, gives Dr Lefèvre one device at the tests' local push service (which
verifies VAPID and decrypts every message, like a real one), queues ``--count``
notifications for him, and times one ``Relay.drain()`` — fan-out, policy re-check,
encryption, HTTP, bookkeeping. Then it times pywebpush encrypting the same payload for
the same device, alone. The ratio says how much of a worker's time goes elsewhere
(database, HTTP, the push service in the same process).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="carnet-bench-")
    os.environ["CARNET_INSTANCE"] = scratch
    url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite'}"

    from pywebpush import WebPusher
    from sqlmodel import Session, select

    from app import create_app
    from app.db import upgrade
    from app.demo.territory import load_demo
    from app.models import Account, Notification, NotificationKind, Patient
    from app.push import payload as payloads
    from app.push import subscriptions
    from app.push.worker import Relay
    from app.types import utcnow
    from tests.push_service import PushService

    upgrade(url)
    app = create_app({"DATABASE_URL": url, "CARNET_DEMO": True, "TESTING": True})
    engine = app.extensions["carnet.engine"]
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    device = service.new_device()
    with app.app_context(), Session(engine, expire_on_commit=False) as db:
        load_demo(db)
        lefevre = db.exec(select(Account).where(
            Account.email == "paul.lefevre@example.org")).one()
        jeanne = db.exec(select(Account).where(
            Account.email == "jeanne.martin@example.org")).one()
        patient = db.exec(select(Patient).where(Patient.account_id == jeanne.id)).one()
        checked = subscriptions.check(device.subscription_json(), (), allow_local_http=True)
        subscriptions.save(db, lefevre, checked, "Mozilla/5.0 (Linux; Android 10) Chrome/120")
        rows = [Notification(account_id=lefevre.id, patient_id=patient.id, section="notes",
                             kind=NotificationKind.NOTE_ADDED, url=f"/carnet/{patient.id}/notes")
                for _ in range(args.count)]
        db.add_all(rows)
        db.commit()
        body = payloads.build(rows[0], lefevre, jeanne, "t" * 32)

    relay = Relay.for_app(app)
    started = time.perf_counter()
    counts = relay.drain(utcnow())
    elapsed = time.perf_counter() - started
    delivered = len({payload["id"] for payload in service.payloads()})
    service.stop()
    assert counts.sent == delivered == args.count, (counts, delivered)
    assert service.problems == [], service.problems

    # The same payload, encrypted for the same device, nothing else.
    pusher = WebPusher(device.subscription_json())
    encryptions = max(500, args.count)
    started = time.perf_counter()
    for _ in range(encryptions):
        pusher.encode(body, "aes128gcm")
    encrypt_elapsed = time.perf_counter() - started

    worker_rate = args.count / elapsed
    encrypt_rate = encryptions / encrypt_elapsed
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {engine.dialect.name}")
    print(f"worker: {args.count} notifications in {elapsed:.2f} s = {worker_rate:.0f}/s")
    print(f"pywebpush encryption alone: {encrypt_rate:.0f}/s")
    print(f"ratio: the worker runs at {worker_rate / encrypt_rate:.1%} of the encryption rate "
          f"(1 : {encrypt_rate / worker_rate:.1f})")


if __name__ == "__main__":
    main()
