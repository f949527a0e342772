"""Helpers shared by the push tests: a device for a persona, a symptom report's outbox rows,
the DNS as the app sees it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from app.models import Notification, NotificationKind, Patient, PushSubscription
from app.notifications import notify
from app.push import endpoints, subscriptions

from .conftest import persona
from .push_service import Device, PushService

ROOT = Path(__file__).resolve().parent.parent

ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0 Mobile Safari/537.36")


def subscribe(db, service: PushService, name: str) -> tuple[Device, PushSubscription]:
    """A new device of ``name`` at the local push service, kept as the app would keep it."""
    device = service.new_device()
    checked = subscriptions.check(device.subscription_json(), (), allow_local_http=True)
    row = subscriptions.save(db, persona(db, name), checked, ANDROID_CHROME)
    db.commit()
    return device, row


def jeanne_reports(db, urgent: bool = False) -> list[Notification]:
    """Jeanne sends a symptom report: the outbox rows for her team (one transaction)."""
    jeanne = persona(db, "jeanne")
    patient = db.exec(select(Patient).where(Patient.account_id == jeanne.id)).one()
    rows = notify(db, patient, NotificationKind.SYMPTOM_REPORT, "symptoms", jeanne,
                  f"/carnet/{patient.id}/symptoms", urgent=urgent)
    db.commit()
    return rows


def row_for(rows: list[Notification], db, name: str) -> Notification:
    account_id = persona(db, name).id
    return next(row for row in rows if row.account_id == account_id)


def notes_for_lefevre(app, db, service: PushService, count: int) -> set[int]:
    """``count`` waiting notifications of a new note for Dr Lefèvre, whose one device is at
    ``service``; their ids."""
    with app.app_context():
        subscribe(db, service, "lefevre")
    lefevre = persona(db, "lefevre")
    patient = db.exec(select(Patient).where(
        Patient.account_id == persona(db, "jeanne").id)).one()
    rows = [Notification(account_id=lefevre.id, patient_id=patient.id, section="notes",
                         kind=NotificationKind.NOTE_ADDED, url="/") for _ in range(count)]
    db.add_all(rows)
    db.commit()
    return {row.id for row in rows}


class FakeDNS:
    """Answers the app's look-ups of push services' names (``app.push.endpoints``), so that
    no test asks the real DNS: ``names`` maps a name to its addresses, any other name does
    not exist. ``asked`` lists the names looked up."""

    def __init__(self, names: dict[str, list[str]]):
        self.names = names
        self.asked: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        self.asked.append(host)
        addresses = self.names.get(host.rstrip("."))
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
                if ":" in address else
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in addresses]


def fake_dns(monkeypatch, names: dict[str, list[str]]) -> FakeDNS:
    dns = FakeDNS(names)
    monkeypatch.setattr(endpoints, "getaddrinfo", dns)
    return dns


def worker_process(database_url: str, *args: str, **popen) -> subprocess.Popen:
    """``flask --app app worker ARGS`` in its own process, on the test database. Not in
    testing mode, it reaches the local push service as a territory reaches its own push
    service: named in ``CARNET_PUSH_SERVICES``."""
    env = dict(os.environ, DATABASE_URL=database_url, CARNET_PUSH_BATCH="50",
               CARNET_PUSH_SERVICES="127.0.0.1")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", *args],
                            cwd=ROOT, env=env, **popen)
