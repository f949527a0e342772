"""How fast push workers deliver, against the raw encryption rate of pywebpush, in one run.

Not a test: run it by hand, and copy the figures into README.md's "Performance":

    .venv/bin/python benchmarks/push_throughput.py [--count 10000] [--latency-ms 5]
                                                   [--database-url URL]

It makes a scratch PostgreSQL database (on 127.0.0.1, or ``--database-url``), loads the
demo and queues ``--count`` notifications for devices at a local push service that answers
like a real one: in its own process, HTTP/1.1 with keep-alive, ``--latency-ms`` before each
answer (201), many requests at once. It does not decrypt (no push service can).

Then, ``--rounds`` times (3), one after the other, so that each round's figures share the
machine's mood (a shared virtual machine's speed varies by half from one minute to the next):

1. pywebpush alone encrypting the same payload for the same device, one core;
2. one worker process draining the outbox (fan-out, policy check, payload, encryption,
   HTTP, bookkeeping), timed from its start to the last delivery written, with the CPU
   time it used (all its threads);
3. the same again with two worker processes sharing the outbox.

With each run of workers, how busy the machine's cores were (from /proc/stat): the workers
share them with PostgreSQL and the stand-in push service, so two workers can only double
one where one leaves a core idle.

Each figure is printed as the median of the rounds (and their range). The last line,
``fan-out/encrypt ratio: 0.xx``, is the median of one worker's delivery rate over the
encryption rate of the same round, for a script to read.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEVICES = 1  # one device per notification: deliveries = notifications


def push_service(port_queue, latency: float) -> None:
    """A push service: keep-alive, a little latency, 201 for any well-formed message. On one
    asyncio loop with aiohttp's C parser, as lean as a stand-in can be: a real push service
    is on other machines, and this one shares the worker's two cores."""
    import asyncio

    from aiohttp import web

    async def receive(request: web.Request) -> web.Response:
        await request.read()
        ok = (request.headers.get("Authorization", "").startswith("vapid")
              and request.headers.get("Content-Encoding") == "aes128gcm"
              and request.headers.get("TTL"))
        await asyncio.sleep(latency)
        return web.Response(status=201 if ok else 400)

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_queue.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(serve())


def worker(url: str, instance: str, start, results) -> None:
    """One push worker process: drain the outbox, report (start, end, sent)."""
    os.environ["CARNET_INSTANCE"] = instance
    from app import create_app
    from app.push.worker import Relay

    app = create_app({"DATABASE_URL": url, "TESTING": True, "PUSH_WORKER_THREAD": False})
    relay = Relay.for_app(app)
    start.wait()
    began, cpu = time.perf_counter(), time.process_time()
    counts = relay.drain()
    results.put((began, time.perf_counter(), counts.sent, time.process_time() - cpu))


def queue(url: str, instance: str, count: int, devices: list[dict]) -> bytes:
    """The demo, Dr Lefèvre's devices, ``count`` waiting notifications; one payload."""
    os.environ["CARNET_INSTANCE"] = instance
    from sqlmodel import Session, select

    from app import create_app
    from app.demo.territory import load_demo
    from app.models import Account, Notification, NotificationKind, Patient
    from app.push import payload as payloads
    from app.push import subscriptions

    app = create_app({"DATABASE_URL": url, "TESTING": True, "PUSH_WORKER_THREAD": False})
    with app.app_context(), Session(app.extensions["carnet.engine"],
                                    expire_on_commit=False) as db:
        if db.exec(select(Account)).first() is None:
            load_demo(db)
        lefevre = db.exec(select(Account).where(
            Account.email == "paul.lefevre@example.org")).one()
        jeanne = db.exec(select(Account).where(
            Account.email == "jeanne.martin@example.org")).one()
        patient = db.exec(select(Patient).where(Patient.account_id == jeanne.id)).one()
        for device in devices:
            checked = subscriptions.check(device, (), allow_local_http=True)
            subscriptions.save(db, lefevre, checked, "Mozilla/5.0 (Android 14) Chrome/130")
        rows = [Notification(account_id=lefevre.id, patient_id=patient.id, section="notes",
                             kind=NotificationKind.NOTE_ADDED, url=f"/carnet/{patient.id}/notes")
                for _ in range(count)]
        db.add_all(rows)
        db.commit()
        return payloads.build(rows[0], lefevre, jeanne, "t" * 32)


def devices_at(origin: str) -> list[dict]:
    """Subscriptions as browsers make them: a P-256 key pair and an auth secret each."""
    from tests.push_service import PushService

    service = PushService("unused")
    service.origin = origin
    return [service.new_device().subscription_json() for _ in range(DEVICES)]


def delivered(url: str) -> tuple[int, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)  # already a SQLAlchemy URL (own_database)
    with engine.connect() as connection:
        sent, waiting = connection.execute(sa.text(
            "SELECT count(*) FILTER (WHERE status = 'sent'),"
            " count(*) FILTER (WHERE status = 'pending') FROM notification")).one()
    engine.dispose()
    return sent, waiting


def run_workers(url: str, instance: str, processes: int) -> tuple[float, int, float, float]:
    """(elapsed, sent, the workers' CPU seconds, how busy the machine's cores were)."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=worker, args=(url, instance, start, results))
               for _ in range(processes)]
    for process in workers:
        process.start()
    time.sleep(3)  # each has imported the app and connected
    before = _cores()
    start.set()
    reports = [results.get(timeout=600) for _ in workers]
    busy = _busy(before, _cores())
    for process in workers:
        process.join()
    began = min(r[0] for r in reports)
    ended = max(r[1] for r in reports)
    return ended - began, sum(r[2] for r in reports), sum(r[3] for r in reports), busy


def _cores() -> tuple[int, int]:
    """(idle, total) jiffies of all cores, from Linux's /proc/stat ((0, 0) elsewhere)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return 0, 0
    return fields[3] + fields[4], sum(fields[:8])  # idle + iowait; all but guest time


def _busy(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return 1 - (after[0] - before[0]) / total if total else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="carnet-bench-")
    os.environ["CARNET_INSTANCE"] = instance
    from app.db import upgrade
    from tests.databases import own_database

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    service = context.Process(target=push_service, args=(ports, args.latency_ms / 1000),
                              daemon=True)
    service.start()
    origin = f"http://127.0.0.1:{ports.get(timeout=30)}"
    devices = devices_at(origin)

    rates: dict[str, list[float]] = {name: [] for name in (
        "encrypt", "1", "2", "cpu 1", "cpu 2", "ratio", "busy 1", "busy 2")}
    for _round in range(args.rounds):
        for processes in (1, 2):
            with own_database(args.database_url) as url:  # dropped after the run
                upgrade(url)
                body = queue(url, instance, args.count, devices)
                if processes == 1:  # the same payload, for the same device, just before
                    rates["encrypt"].append(encryption_rate(devices[0], body, args.count))
                elapsed, sent, cpu, busy = run_workers(url, instance, processes)
                rates[f"busy {processes}"].append(busy * 100)
                total_sent, waiting = delivered(url)
            assert sent == total_sent == args.count and waiting == 0, (sent, total_sent,
                                                                       waiting)
            rates[str(processes)].append(args.count / elapsed)
            rates[f"cpu {processes}"].append(cpu / args.count * 1000)
            if processes == 1:
                rates["ratio"].append(rates["1"][-1] / rates["encrypt"][-1])
            print(f"round {_round + 1}, {processes} worker(s): {args.count} notifications in "
                  f"{elapsed:.2f} s = {args.count / elapsed:.0f}/s", flush=True)
    service.terminate()
    pairs = [two / one for one, two in zip(rates["1"], rates["2"], strict=True)]

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, PostgreSQL, push service latency "
          f"{args.latency_ms:g} ms, {DEVICES} devices, {args.rounds} rounds (median, range)")
    print(f"pywebpush encryption alone: {_spread(rates['encrypt'], '.0f')}/s")
    print(f"one worker: {_spread(rates['1'], '.0f')}/s, "
          f"{_spread(rates['cpu 1'], '.2f')} ms of CPU per notification")
    print(f"two workers: {_spread(rates['2'], '.0f')}/s, "
          f"{_spread(rates['cpu 2'], '.2f')} ms of CPU per notification (both)")
    print(f"two workers / one: {_spread(pairs, '.2f')}")
    print(f"the machine's cores busy: {_spread(rates['busy 1'], '.0f')} % with one worker, "
          f"{_spread(rates['busy 2'], '.0f')} % with two (the workers, PostgreSQL and the "
          f"push service together)")
    print(f"fan-out/encrypt ratio: {statistics.median(rates['ratio']):.2f}")


def encryption_rate(device: dict, body: bytes, count: int) -> float:
    from pywebpush import WebPusher

    pusher = WebPusher(device)
    encryptions = max(1000, count)
    started = time.perf_counter()
    for _ in range(encryptions):
        pusher.encode(body, "aes128gcm")
    return encryptions / (time.perf_counter() - started)


def _spread(values: list[float], spec: str) -> str:
    return (f"{statistics.median(values):{spec}} "
            f"({min(values):{spec}}–{max(values):{spec}})")


if __name__ == "__main__":
    main()
