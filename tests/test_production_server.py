"""Carnet under gunicorn (gunicorn.conf.py), over real HTTP: Jeanne creates her passkey from
her invitation, signs in with it and sends her morning report — on the database of the run
(PostgreSQL in `make test`'s first pass) — and the server's log lines are JSON that hold
neither a token nor anything she wrote.
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
from sqlmodel import select

from app.models import SymptomReport

from .carnet_actions import carnet_id
from .conftest import CSRF_META, persona
from .passkey_actions import PasskeyActions
from .softauthn import SoftAuthenticator
from .symptom_actions import report_form

ROOT = Path(__file__).resolve().parent.parent
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

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited ({self.process.returncode}):\n"
                            f"{self.error_log.read_text()}")
            try:
                if _browser().get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"gunicorn did not answer within 30 s:\n{self.error_log.read_text()}")

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
def gunicorn(database_url, instance_path, tmp_path):
    """gunicorn serving the app on a free port, over the test database; it starts while
    the other fixtures load the demo (``wait_until_up`` before the first request)."""
    port = _free_port()
    # Passkeys belong to a host name: the browser speaks to localhost, never to 127.0.0.1.
    base = f"http://localhost:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "CARNET_ORIGIN": base,
           "CARNET_EXTRA_ORIGINS": "", "CARNET_WORKERS": "2", "CARNET_INSTANCE": instance_path}
    env.pop("CARNET_DEMO", None)
    logs = tmp_path / "access.log", tmp_path / "error.log"
    with logs[0].open("w") as out, logs[1].open("w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=out, stderr=err)
    running = Server(base, *logs, server)
    try:
        yield running
    finally:
        running.stop()


class Phone:
    """Jeanne's phone: a browser (requests) and its passkey (the software authenticator)."""

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


def test_jeanne_signs_in_and_reports_through_gunicorn(gunicorn, app, db, demo):
    gunicorn.wait_until_up()
    base = gunicorn.base
    jeanne = persona(db, "jeanne")
    token = PasskeyActions(app, None).invite(jeanne)
    phone = Phone(base)

    # Her invitation: a passkey made on her phone, then signed out.
    invitation = f"/invite/{token}"
    options = phone.post_json(f"{invitation}/options", {}, invitation).json()
    credential = phone.passkey.create(options, origin=base)
    registered = phone.post_json(f"{invitation}/register",
                                 {"credential": credential, "name": "Phone"}, invitation)
    assert registered.json() == {"redirect": "/"}
    signed_out = phone.browser.post(f"{base}/sign-out", data={"csrf_token": phone.csrf("/me/")},
                                    timeout=10)
    assert signed_out.url == f"{base}/sign-in"

    # The sign-in: the passkey answers the server's challenge.
    options = phone.post_json("/sign-in/options", {}, "/sign-in").json()
    answer = phone.passkey.get(options, origin=base)
    assert phone.post_json("/sign-in/verify", {"credential": answer},
                           "/sign-in").json() == {"redirect": "/"}
    assert phone.browser.get(f"{base}/", timeout=10).status_code == 200

    # Her morning report, with a token read from the form's page.
    carnet = carnet_id(db, "jeanne")
    form = f"/carnet/{carnet}/symptoms/new"
    fields = report_form(db, note=NOTE)
    sent = phone.browser.post(base + form, data={**fields, "csrf_token": phone.csrf(form)},
                              timeout=10)
    assert sent.status_code == 200 and sent.url.endswith("/sent")
    db.expire_all()
    stored = db.exec(select(SymptomReport).where(
        SymptomReport.client_id == fields["client_id"])).all()
    assert [(report.note, report.reported_by_account_id) for report in stored] == [
        (NOTE, jeanne.id)]

    # gunicorn believes no X-Forwarded-Proto: only the app's ProxyFix may (here it is off).
    forged = _browser().get(f"{base}/sign-in?from=mail", timeout=10,
                          headers={"X-Forwarded-Proto": "https"})
    assert forged.status_code == 200 and "Strict-Transport-Security" not in forged.headers

    gunicorn.stop()  # every line written: JSON, no token, no query string, nothing she wrote
    written = gunicorn.access_log.read_text() + gunicorn.error_log.read_text()
    assert token not in written and NOTE not in written and "from=mail" not in written
    access = [json.loads(line) for line in gunicorn.access_log.read_text().splitlines()]
    errors = [json.loads(line) for line in gunicorn.error_log.read_text().splitlines()]
    paths = [entry["path"] for entry in access]
    assert "/invite/…/register" in paths and "/sign-in/verify" in paths and form in paths
    assert "/sign-in" in paths and all("?" not in path for path in paths)
    assert all(entry["request_id"] and entry["client"] == "127.0.0.1" for entry in access)
    assert {entry["logger"] for entry in errors} >= {"gunicorn.error"}
