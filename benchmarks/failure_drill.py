"""The failure drill: under load, ``kill -9`` one app instance and one push worker, then
restart PostgreSQL — and count what was lost. Not a test (it restarts this machine's
PostgreSQL server): run it by hand, and copy its figures into README.md's "Performance":

    .venv/bin/python benchmarks/failure_drill.py [--seconds 40] [--phones 6]

On the cluster of ``cluster.py`` (the demo's territory; nginx, two instances, two push
workers), with a local push service that verifies VAPID and decrypts every message like a
real one (tests/push_service.py, over TLS), Dr Lefèvre and Amina Benali have a device each;
``--phones`` phones of the demo's patients send reports without pause, each as the phone's
queue does (static/js/report-queue.js): a report is "Sent" once the server answered 303,
and until then it is sent again with the same client id, whatever went wrong.

- After a quarter of the run, instance 1 (its gunicorn master and workers) and push worker 1
  are killed with SIGKILL, as a machine dies: no goodbye, requests in flight cut.
- At half the run, PostgreSQL is restarted (``pg_ctlcluster … restart``): ``/healthz`` is
  polled through nginx all along, and a page is asked for while the database is away.

Then the load stops, the outbox is left to drain (a dead worker's claims come back when
their lease ends), and it counts: answers 5xx (and broken connections) seen by the phones and
when, reports acknowledged and how many of them are stored — exactly once each —, the
notifications for the two devices and how many reached the push service (at least once; a
second copy is shown once by the service worker, which keeps the ids it has shown), and
how long ``/healthz`` took to say 200 again.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests
from cluster import CSRF, Cluster
from load import form_value

from tests.push_service import PushService, tls_for

PATIENTS = ["jeanne.martin@example.org", "karim.belkacem@example.org",
            "louise.bernard@example.org"]
DEVICES = ["paul.lefevre@example.org", "amina.benali@example.org"]


class Clock:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.start


class Browser:
    """A signed-in browser talking to nginx."""

    def __init__(self, cluster: Cluster, email: str) -> None:
        self.cluster = cluster
        self.session = cluster.client()
        self.session.headers["Accept-Language"] = "fr"
        page = self.get("/demo/")
        self.post("/demo/sign-in", data={"account_id": cluster.account_id(email),
                                         "csrf_token": CSRF.search(page.text).group(1)})

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.cluster.origin + path, timeout=10)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(self.cluster.origin + path, timeout=10, allow_redirects=False,
                                 headers={"Referer": self.cluster.origin + path,
                                          **kwargs.pop("headers", {})}, **kwargs)


class Phone(threading.Thread):
    """A patient's phone sending reports in a loop, each until it is acknowledged."""

    def __init__(self, cluster: Cluster, email: str, clock: Clock, stop: threading.Event):
        super().__init__(daemon=True)
        self.browser = Browser(cluster, email)
        self.clock, self.stop = clock, stop
        carnet, questionnaire, answers = cluster.query("""
            SELECT r.patient_id, r.questionnaire_id, r.answers FROM symptom_report r
            JOIN patient p ON p.id = r.patient_id JOIN account a ON a.id = p.account_id
            WHERE a.email = :email ORDER BY r.reported_at DESC LIMIT 1""", email=email)[0]
        self.form = f"/carnet/{carnet}/symptoms/new"
        self.fields = {f"answer-{key}": form_value(value) for key, value in answers.items()}
        self.fields.update(questionnaire_id=str(questionnaire), note="")
        self.acknowledged: list[str] = []
        self.failures: list[tuple[float, str]] = []  # (when, 5xx status or error class)
        self.answers = 0

    def run(self) -> None:
        while not self.stop.is_set():
            client_id = str(uuid.uuid4())
            while not self.stop.is_set():  # the queue keeps a report until it is Sent
                if self.send(client_id):
                    self.acknowledged.append(client_id)
                    break
                time.sleep(0.2)

    def send(self, client_id: str) -> bool:
        try:
            page = self.browser.get(self.form)
            self.answers += 1
            if page.status_code != 200:
                self.failures.append((self.clock.now(), str(page.status_code)))
                return False
            token = CSRF.search(page.text).group(1)
            sent = self.browser.post(self.form, data={**self.fields, "client_id": client_id,
                                                      "csrf_token": token})
            self.answers += 1
        except requests.RequestException as error:
            self.failures.append((self.clock.now(), type(error).__name__))
            return False
        if sent.status_code == 303:
            return True
        self.failures.append((self.clock.now(), str(sent.status_code)))
        return False


class Monitor(threading.Thread):
    """``/healthz`` through nginx every 100 ms: (when, status or error)."""

    def __init__(self, cluster: Cluster, clock: Clock, stop: threading.Event):
        super().__init__(daemon=True)
        self.client, self.url = cluster.client(), cluster.origin + "/healthz"
        self.clock, self.stop = clock, stop
        self.samples: list[tuple[float, str]] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                status = str(self.client.get(self.url, timeout=5).status_code)
            except requests.RequestException as error:
                status = type(error).__name__
            self.samples.append((self.clock.now(), status))
            time.sleep(0.1)


def restart_postgresql() -> None:
    version = next(Path("/etc/postgresql").iterdir()).name
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--phones", type=int, default=6)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="carnet-drill-"))
    tls, certificate = tls_for("localhost", folder)
    service = PushService(vapid_public_key="").start(tls, name="localhost")
    env = {"CARNET_PUSH_SERVICES": "localhost", "REQUESTS_CA_BUNDLE": certificate,
           "CARNET_SIGN_IN_LIMIT": "1000 per minute"}
    with Cluster(database="carnet_drill", extra_env=env) as cluster:
        service.vapid_public_key = cluster.vapid_public_key  # the key the workers sign with
        for email in DEVICES:
            browser = Browser(cluster, email)
            token = CSRF.search(browser.get("/me/notifications").text).group(1)
            device = service.new_device()
            answer = browser.post("/push/subscriptions", json=device.subscription_json(),
                                  headers={"X-CSRFToken": token, "Accept": "application/json"})
            assert answer.status_code == 201, (answer.status_code, answer.text[:300])
        devices = {d.token for d in service.devices.values()}
        first = cluster.query("SELECT coalesce(max(id), 0) FROM notification")[0][0]

        clock, stop = Clock(), threading.Event()
        phones = [Phone(cluster, PATIENTS[n % len(PATIENTS)], clock, stop)
                  for n in range(args.phones)]
        monitor = Monitor(cluster, clock, stop)
        for thread in [monitor, *phones]:
            thread.start()
        time.sleep(args.seconds / 4)
        killed_at = clock.now()
        cluster.kill("app-1")
        cluster.kill("push-1")
        print(f"{killed_at:5.1f} s  kill -9: instance 1 (master and workers), push worker 1")
        time.sleep(args.seconds / 4)
        restart_at = clock.now()
        restarting = threading.Thread(target=restart_postgresql)
        restarting.start()
        time.sleep(0.3)
        during = None
        for _ in range(30):  # a page asked for while the database is away
            try:
                answer = phones[0].browser.get("/")
            except requests.RequestException:
                continue
            if answer.status_code >= 500:
                during = answer
                break
            time.sleep(0.1)
        restarting.join()
        restarted_at = clock.now()
        print(f"{restart_at:5.1f} s  PostgreSQL restart (done at {restarted_at:.1f} s)")
        time.sleep(max(0.0, args.seconds - clock.now()))
        stop.set()
        for thread in [monitor, *phones]:
            thread.join(timeout=15)
        ended = clock.now()

        # The outbox drains: a killed worker's claims come back when their lease ends.
        deadline = time.monotonic() + 300
        while cluster.query("SELECT count(*) FROM notification WHERE status = 'pending' "
                            "AND id > :first", first=first)[0][0] and time.monotonic() < deadline:
            time.sleep(1)
        drained = clock.now()
        statuses = dict(cluster.query(
            "SELECT status, count(*) FROM notification n JOIN account a ON a.id = n.account_id "
            "WHERE n.id > :first AND a.email = ANY(:emails) GROUP BY status",
            first=first, emails=list(DEVICES)))
        expected = {row[0] for row in cluster.query(
            "SELECT n.id FROM notification n JOIN account a ON a.id = n.account_id "
            "WHERE n.id > :first AND a.email = ANY(:emails) AND n.status = 'sent'",
            first=first, emails=list(DEVICES))}
        acknowledged = [cid for phone in phones for cid in phone.acknowledged]
        stored = Counter(dict(cluster.query(
            "SELECT client_id, count(*) FROM symptom_report WHERE client_id = ANY(:ids) "
            "GROUP BY client_id", ids=acknowledged)))

    service.stop()
    received = Counter(r.payload["id"] for r in service.received
                       if r.status == 201 and r.token in devices and r.payload
                       and r.payload.get("id", 0) > first)
    failures = sorted(f for phone in phones for f in phone.failures)
    answers = sum(phone.answers for phone in phones)
    kill_window = [f for f in failures if killed_at <= f[0] < restart_at]
    restart_window = [f for f in failures if f[0] >= restart_at]
    outage = [t for t, status in monitor.samples if t >= restart_at and status != "200"]
    back = next((t for t, status in monitor.samples
                 if outage and t > outage[-1] and status == "200"), None)
    lost = [cid for cid in acknowledged if stored[cid] == 0]
    twice = sum(count - 1 for count in stored.values() if count > 1)
    missing = expected - set(received)

    print(f"\n{args.phones} phones for {ended:.0f} s: {answers} answers "
          f"({answers / ended:.1f}/s), {len(acknowledged)} reports acknowledged")
    print(f"kill -9 of instance 1 at {killed_at:.1f} s: {len(kill_window)} failed answers "
          f"({Counter(s for _, s in kill_window)}), all within "
          f"{(kill_window[-1][0] - killed_at) if kill_window else 0:.2f} s of the kill")
    print(f"PostgreSQL restart at {restart_at:.1f} s: /healthz not 200 from "
          f"{outage[0] if outage else restart_at:.1f} s to {outage[-1] if outage else 0:.1f} s "
          f"({Counter(s for t, s in monitor.samples if t >= restart_at and s != '200')}); "
          f"200 again at {back if back else float('nan'):.1f} s "
          f"({(back - restart_at) if back else float('nan'):.1f} s after the restart began); "
          f"the phones saw {len(restart_window)} failed answers "
          f"({Counter(s for _, s in restart_window)})")
    if during is not None:
        friendly = "Traceback" not in during.text and "<title>" in during.text
        title = re.search(r"<title>([^<]*)</title>", during.text)
        print(f"a page during the outage: {during.status_code}, "
              f"{'the friendly error page' if friendly else 'NOT the friendly page'} "
              f"({title.group(1).strip() if title else '?'})")
    else:
        print("a page during the outage: none failed (the restart was quicker than the probe)")
    print(f"reports acknowledged {len(acknowledged)}, lost {len(lost)}, stored twice {twice}")
    print(f"notifications for the two devices: {dict(statuses)}; sent {len(expected)}, "
          f"received {len(set(received) & expected)}, missing {len(missing)}, "
          f"received more than once {sum(1 for c in received.values() if c > 1)} "
          f"(shown once: the service worker keeps the ids it showed); outbox drained "
          f"{drained - ended:.0f} s after the load ended")
    if service.problems:
        print("push service problems:", service.problems[:5])
    sys.exit(1 if lost or twice or missing else 0)


if __name__ == "__main__":
    main()
