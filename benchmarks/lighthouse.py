"""Lighthouse's accessibility and best-practices audits of the two pages Jeanne uses most —
her home and "How do I feel today?" — in each of Carnet's languages (fr, en, ar), on a phone
(Lighthouse's default form factor). Not a test: run it by hand after changing templates or
CSS, on a machine with Node 20 and Debian's Chromium (``make chromium``):

    .venv/bin/python benchmarks/lighthouse.py

It serves the demo (migrated and loaded as ``make run`` does, in a SQLite database of its
own) with gunicorn on a free port, signs in as Jeanne through ``/demo/``, and runs
``npx lighthouse@12`` (fetched from npm on the first run) with her session cookie and an
``Accept-Language``: the demo's accounts have no saved language, so that header chooses.
One line per page and language — the two scores out of 100, then the audits that failed —
and the exit status is 1 when any score is under 100. The JSON reports are kept (their
folder is printed): open one in https://googlechrome.github.io/lighthouse/viewer/.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
LANGUAGES = ("fr", "en", "ar")
PAGES = {"home": "/", "report": "/carnet/{carnet}/symptoms/new"}
CATEGORIES = ("accessibility", "best-practices")
# Headless Chromium as root in a container, and nothing of Google's own traffic (updates,
# sync, safe browsing), which would only add noise to the network log Lighthouse reads.
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync")
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
CARNET = re.compile(r'href="/carnet/(\d+)/symptoms/new"')
HTML_LANG = re.compile(r'<html[^>]*\blang="([^"]*)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def demo_server(folder: Path) -> Iterator[str]:
    """The demo served at the origin yielded, stopped on the way out, whatever happened."""
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CARNET_", "VAPID_")) and key != "DATABASE_URL"}
    env.update({
        "DATABASE_URL": f"sqlite:///{folder / 'x.sqlite'}",
        "CARNET_INSTANCE": str(folder),  # its secrets too, not the repository's instance/
        "CARNET_DEMO": "1",
        "CARNET_PUSH_WORKER_THREAD": "0",  # nothing to deliver: the pages are only looked at
        "CARNET_BIND": f"127.0.0.1:{port}",
        "CARNET_WORKERS": "2",
        "CARNET_LOG_LEVEL": "warning",
    })
    flask = [str(VENV / "flask"), "--app", "app"]
    for step in (["db", "upgrade"], ["demo"]):
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    if (VENV / "gunicorn").exists():  # the production server
        command = [str(VENV / "gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile",
                   "/dev/null"]
    else:
        command = flask + ["run", "--host", "127.0.0.1", "--port", str(port)]
    log = folder / "server.log"
    with log.open("wb") as out:
        # A session of its own: the gunicorn master and its workers stop together.
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _answers(f"{origin}/healthz"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield origin
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _client() -> requests.Session:
    client = requests.Session()
    client.trust_env = False  # no proxy between us and 127.0.0.1
    return client


def _answers(url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return _client().get(url, timeout=2).status_code == 200
    return False


def sign_in_jeanne(origin: str) -> tuple[str, int]:
    """Jeanne's session cookie (a ``Cookie`` header's value) and her carnet's id."""
    browser = _client()
    demo = browser.get(f"{origin}/demo/", timeout=10).text
    # Each person of /demo/ is a form of its own, with their account's id.
    form = next(form for form in demo.split("<form")[1:] if "Jeanne Martin" in form)
    account = re.search(r'name="account_id" value="([^"]+)"', form).group(1)
    home = browser.post(f"{origin}/demo/sign-in", timeout=10,
                        data={"csrf_token": CSRF.search(demo).group(1), "account_id": account})
    home.raise_for_status()
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    return cookie, int(CARNET.search(home.text).group(1))


def lighthouse(url: str, headers: dict[str, str], report: Path, work: Path) -> tuple[dict, str]:
    """Lighthouse's report (its JSON "LHR") of one page seen with these headers, and the
    language of the page Chromium was served (``<html lang>``)."""
    extra = work / "headers.json"  # a file, which keeps the cookie out of `ps`
    extra.write_text(json.dumps(headers))
    # The report says nothing of the page's language; the artifacts Lighthouse gathered
    # (saved by --gather-mode, then audited by --audit-mode) hold the HTML it was served.
    artifacts = work / report.stem
    command = ["npx", "--yes", "lighthouse@12", url, "--quiet", "--output=json",
               f"--output-path={report}", f"--only-categories={','.join(CATEGORIES)}",
               f"--chrome-flags={CHROME_FLAGS}", f"--extra-headers={extra}",
               f"--gather-mode={artifacts}", f"--audit-mode={artifacts}"]
    with subprocess.Popen(command, cwd=work,  # away from the project's node_modules
                          env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
                          start_new_session=True) as run:
        try:
            status = run.wait()
        except BaseException:
            # Interrupted: npx's own child, Lighthouse, would outlive npx. A SIGINT to the
            # group is Lighthouse's Ctrl-C, on which it closes the Chromium it started.
            os.killpg(run.pid, signal.SIGINT)
            try:
                run.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
            raise
    if status:
        raise subprocess.CalledProcessError(status, command)
    html = json.loads((artifacts / "artifacts.json").read_text())["MainDocumentContent"]
    return json.loads(report.read_text()), HTML_LANG.search(html).group(1)


def failures(lhr: dict, category: str) -> list[str]:
    """The audits of a category that failed (or could not run), each with the elements it
    names: "id (title)" then indented "element: why" lines."""
    lines = []
    for ref in lhr["categories"][category]["auditRefs"]:
        audit = lhr["audits"][ref["id"]]
        if audit["scoreDisplayMode"] == "error":
            lines.append(f"  {audit['id']} ({audit['title']}): {audit.get('errorMessage')}")
        elif audit["score"] is not None and audit["score"] < 1:
            lines.append(f"  {audit['id']} ({audit['title']})")
            for item in (audit.get("details") or {}).get("items", []):
                node = item.get("node") or {}
                where = node.get("snippet") or item.get("source") or item.get("url") or ""
                why = " ".join((node.get("explanation") or item.get("description") or "").split())
                lines.append(f"    {where}: {why}" if where else f"    {item}")
    return lines


def main() -> int:
    # A TERM (timeout, kill) stops the server too, like Ctrl-C: no gunicorn left on its port.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    reports = Path(tempfile.mkdtemp(prefix="carnet-lighthouse-"))
    work = Path(tempfile.mkdtemp(prefix="carnet-lighthouse-work-"))  # database, artifacts
    perfect = True
    print(f"page   language {' '.join(CATEGORIES)}")
    try:
        with demo_server(work) as origin:
            cookie, carnet = sign_in_jeanne(origin)
            for page, path in PAGES.items():
                url = origin + path.format(carnet=carnet)
                for language in LANGUAGES:
                    lhr, served = lighthouse(url, {"Cookie": cookie, "Accept-Language": language},
                                             reports / f"{page}-{language}.json", work)
                    scores = [lhr["categories"][c]["score"] for c in CATEGORIES]
                    shown = ["  –" if s is None else f"{round(s * 100):3}" for s in scores]
                    details = [line for c in CATEGORIES if lhr["categories"][c]["score"] != 1
                               for line in failures(lhr, c)]
                    # Not the page meant: sent elsewhere (the sign-in page), or in a saved
                    # language (the account's) rather than the one Accept-Language asked for.
                    if lhr["finalDisplayedUrl"] != url:
                        details.insert(0, f"  audited {lhr['finalDisplayedUrl']}, not {url}")
                    if served != language:
                        details.insert(0, f"  served in {served!r}, not {language!r}: a saved "
                                          "language overrides Accept-Language")
                    perfect = perfect and not details and scores == [1] * len(CATEGORIES)
                    print(f"{page:6} {language:8} {shown[0]:>13} {shown[1]:>14}", *details,
                          sep="\n", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    runs = len(PAGES) * len(LANGUAGES)
    print(f"{runs} runs in {time.monotonic() - started:.0f} s; the reports: {reports}")
    return 0 if perfect else 1


if __name__ == "__main__":
    sys.exit(main())
