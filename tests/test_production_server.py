"""Carnet under gunicorn (gunicorn.conf.py), over real HTTP, as two instances of a territory
would run it: Jeanne creates her passkey from her invitation on one, signs in with a
challenge made by one and answered to the other, and sends her morning report — on the
database of the run (PostgreSQL in `make test`'s first pass) — while the sign-in rate limit
is one budget in Redis for both; the servers' log lines are JSON that hold neither a token
nor anything she wrote.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from py_vapid import Vapid
from sqlmodel import select

from app.models import SymptomReport

from .carnet_actions import carnet_id
from .conftest import CSRF_META, persona
from .passkey_actions import PasskeyActions
from .softauthn import SoftAuthenticator
from .symptom_actions import report_form

ROOT = Path(__file__).resolve().parent.parent
SIGN_IN_LIMIT = 6
# One VAPID key for the run, given to both instances through the environment as a territory
# would (app.push.vapid reads it as PEM).
_VAPID = Vapid()
_VAPID.generate_keys()
VAPID_KEY = _VAPID.private_pem().decode()
NOTE = "Les chevilles un peu gonflées ce matin."


def _browser() -> requests.Session:
    """A client that speaks to the server directly, whatever proxy the environment names."""
    browser = requests.Session()
    browser.trust_env = False
    return browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A gunicorn master started by the test, and the files its logs go to."""

    base: str
    access_log: Path
    error_log: Path
    process: subprocess.Popen

    # A readiness wait, not a speed test: on a loaded 2-core machine the master's warm-up
    # (every template, three catalogues) once took more than 30 s before the workers forked.
    UP_WITHIN = 90

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + self.UP_WITHIN
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited ({self.process.returncode}):\n"
                            f"{self.error_log.read_text()}")
            try:
                if _browser().get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            # Refused before the socket is bound; no answer while the master warms the
            # app up (gunicorn.conf.py's when_ready), before it forks its workers.
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        pytest.fail(f"gunicorn did not answer within {self.UP_WITHIN} s:\n"
                    f"{self.error_log.read_text()}")

    def kill(self) -> None:
        """kill -9 of the master and its workers, as when a machine fails."""
        subprocess.run(["pkill", "-KILL", "-P", str(self.process.pid)], check=False)
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """A graceful stop (TERM): the workers finish their requests, write, and exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def gunicorns(database_url, tmp_path):
    """Two gunicorn instances on free ports, over the test database and one Redis, sharing
    nothing on disk: their secrets come from the environment, as in a territory. They start
    while the other fixtures load the demo (``wait_until_up`` before the first request)."""
    # Redis database of this pytest worker (xdist runs one per core), emptied first.
    redis_db = 1 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")) % 15
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", str(redis_db), "FLUSHDB"],
                   check=True, capture_output=True)
    ports = [_free_port(), _free_port()]
    # Passkeys belong to a host name: the browser speaks to localhost, never to 127.0.0.1.
    # Both instances answer for one origin, as behind a proxy.
    origin = f"http://localhost:{ports[0]}"
    env = {**os.environ, "DATABASE_URL": database_url, "CARNET_ORIGIN": origin,
           "CARNET_EXTRA_ORIGINS": f"http://localhost:{ports[1]}", "CARNET_WORKERS": "1",
           "SECRET_KEY": "the territory's secret", "VAPID_PRIVATE_KEY": VAPID_KEY,
           "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{redis_db}",
           "CARNET_SIGN_IN_LIMIT": f"{SIGN_IN_LIMIT} per minute"}
    env.pop("CARNET_DEMO", None)
    servers = []
    for number, port in enumerate(ports, 1):
        folder = tmp_path / f"instance-{number}"
        folder.mkdir()
        logs = folder / "access.log", folder / "error.log"
        with logs[0].open("w") as out, logs[1].open("w") as err:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                 "--bind", f"127.0.0.1:{port}"], cwd=ROOT, stdout=out, stderr=err,
                env={**env, "CARNET_INSTANCE": str(folder)})
        servers.append(Server(f"http://localhost:{port}", *logs, server))
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


class Phone:
    """Jeanne's phone: a browser (requests) and its passkey (the software authenticator).
    ``base`` is the instance its next requests go to (a proxy's choice)."""

    def __init__(self, base: str):
        self.base = base
        self.browser = _browser()
        self.browser.headers["Accept-Language"] = "en"
        self.passkey = SoftAuthenticator()

    def csrf(self, path: str) -> str:
        page = self.browser.get(self.base + path, timeout=10)
        assert page.status_code == 200, (path, page.status_code)
        return CSRF_META.search(page.text).group(1)

    def post_json(self, path: str, body: dict, csrf_from: str) -> requests.Response:
        return self.browser.post(self.base + path, json=body, timeout=10, headers={
            "X-CSRFToken": self.csrf(csrf_from), "Accept": "application/json"})

    def to(self, server: Server) -> Phone:
        """Send the next requests to ``server``: the cookies go along (a host-only cookie
        of localhost, whatever the port)."""
        self.base = server.base
        return self


def test_jeanne_signs_in_and_reports_through_two_gunicorns(gunicorns, app, db, demo):
    one, two = gunicorns
    one.wait_until_up()
    two.wait_until_up()
    jeanne = persona(db, "jeanne")
    token = PasskeyActions(app, None).invite(jeanne)
    phone = Phone(one.base)

    # Her invitation: a passkey made on her phone, then signed out.
    invitation = f"/invite/{token}"
    options = phone.post_json(f"{invitation}/options", {}, invitation).json()
    credential = phone.passkey.create(options, origin=one.base)
    registered = phone.post_json(f"{invitation}/register",
                                 {"credential": credential, "name": "Phone"}, invitation)
    assert registered.json() == {"redirect": "/"}
    signed_out = phone.browser.post(f"{one.base}/sign-out",
                                    data={"csrf_token": phone.csrf("/me/")}, timeout=10)
    assert signed_out.url == f"{one.base}/sign-in"

    # The sign-in: the challenge made by one instance, answered to the other.
    options = phone.to(one).post_json("/sign-in/options", {}, "/sign-in").json()
    answer = phone.passkey.get(options, origin=one.base)
    verify = phone.to(two).browser.post(f"{two.base}/sign-in/verify", json={"credential": answer},
                                        headers={"X-CSRFToken": phone.to(one).csrf("/sign-in"),
                                                 "Accept": "application/json"}, timeout=10)
    assert verify.json() == {"redirect": "/"}
    # The session, opened by the second, is known to both.
    assert phone.browser.get(f"{one.base}/", timeout=10).status_code == 200
    assert phone.browser.get(f"{two.base}/", timeout=10).status_code == 200

    # Her morning report to the second, with a token read from the form on the first.
    carnet = carnet_id(db, "jeanne")
    form = f"/carnet/{carnet}/symptoms/new"
    fields = report_form(db, note=NOTE)
    sent = phone.browser.post(two.base + form,
                              data={**fields, "csrf_token": phone.to(one).csrf(form)},
                              timeout=10)
    assert sent.status_code == 200 and sent.url.endswith("/sent")
    db.expire_all()
    stored = db.exec(select(SymptomReport).where(
        SymptomReport.client_id == fields["client_id"])).all()
    assert [(report.note, report.reported_by_account_id) for report in stored] == [
        (NOTE, jeanne.id)]

    # The sign-in limit is one budget for both (Redis): two attempts spent above.
    someone = Phone(one.base)
    statuses = [someone.to(server).post_json("/sign-in/options", {}, "/sign-in").status_code
                for server in ([one, two] * SIGN_IN_LIMIT)[:SIGN_IN_LIMIT - 1]]
    assert statuses == [200] * (SIGN_IN_LIMIT - 2) + [429]

    # gunicorn believes no X-Forwarded-Proto: only the app's ProxyFix may (here it is off).
    forged = _browser().get(f"{one.base}/sign-in?from=mail", timeout=10,
                            headers={"X-Forwarded-Proto": "https"})
    assert forged.status_code == 200 and "Strict-Transport-Security" not in forged.headers

    # Instance two dies (kill -9) before the phone saw its answer to a report: the phone's
    # queue sends the same report again (same client id), which the proxy hands to
    # instance one. Stored once, and the session lives on.
    fields = report_form(db)
    sent = phone.browser.post(two.base + form,
                              data={**fields, "csrf_token": phone.to(two).csrf(form)},
                              timeout=10)
    assert sent.status_code == 200
    two.kill()
    again = phone.browser.post(one.base + form,
                               data={**fields, "csrf_token": phone.to(one).csrf(form)},
                               timeout=10)
    assert again.status_code == 200 and again.url.endswith("/sent")
    db.expire_all()
    assert len(db.exec(select(SymptomReport).where(
        SymptomReport.client_id == fields["client_id"])).all()) == 1

    for server in gunicorns:  # every line written: JSON, no token, no query string…
        server.stop()
    written = "".join(server.access_log.read_text() + server.error_log.read_text()
                      for server in gunicorns)
    assert token not in written and NOTE not in written and "from=mail" not in written
    access = [json.loads(line) for server in gunicorns
              for line in server.access_log.read_text().splitlines()]
    errors = [json.loads(line) for server in gunicorns
              for line in server.error_log.read_text().splitlines()]
    paths = [entry["path"] for entry in access]
    assert "/invite/…/register" in paths and "/sign-in/verify" in paths and form in paths
    assert "/sign-in" in paths and all("?" not in path for path in paths)
    assert all(entry["request_id"] and entry["client"] == "127.0.0.1" for entry in access)
    assert {entry["logger"] for entry in errors} >= {"gunicorn.error"}


def test_the_master_compiles_every_template_before_forking(app):
    """gunicorn's when_ready runs app.warm_up in the preloaded master: every page's template
    is compiled there once, not on each worker's first request of it."""
    from app import warm_up

    names = app.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html"))
    warm_up(app)
    compiled = {key[1] for key in app.jinja_env.cache}
    assert len(names) > 50 and set(names) <= compiled
