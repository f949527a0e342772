"""Carnet as a territory runs it, on this machine: two app instances behind nginx over one
PostgreSQL and one Redis, with two push workers — then torn down.

Not a test: the ground of the load benchmark (``load.py``) and of the failure drill
(``failure_drill.py``), and a proof that any instance answers any request. By hand:

    .venv/bin/python benchmarks/cluster.py [--territory 10000] [--keep]

starts it all, shows that a session, a CSRF token and the sign-in rate limit made on one
instance hold on the other, and serves https://localhost:8443/demo/ until Ctrl-C.

What runs, every process a child of this script (each in a process group of its own, so that
``kill_instance`` kills a master and its workers at once, as a machine's death would):

- PostgreSQL database ``carnet_cluster`` on the local server (made, migrated and loaded with
  the demo — grown to a territory of N patients with ``--territory N`` — unless ``--keep``
  finds it already made with that size), dropped at the end unless ``--keep``;
- Redis database 5 (emptied first): the sign-in rate limits, shared by the instances;
- two gunicorn instances (``gunicorn.conf.py``, 2 workers each) on 127.0.0.1:8101 and 8102,
  sharing ``SECRET_KEY`` and the VAPID key through the environment, each with an instance
  folder of its own (nothing shared on disk);
- two push workers (``flask --app app worker``);
- nginx (Debian's), with ``deploy/nginx.conf`` itself — only its names, ports, paths and
  upstream servers rewritten — on https://localhost:8443 with a self-signed certificate.

Demo mode is on (``/demo/sign-in`` is how the benchmarks sign people in, big territory
included) and answers carry ``Server-Timing`` (app/timing.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa
from py_vapid import Vapid

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import sqlalchemy_url  # noqa: E402
from app.push.vapid import public_key_of  # noqa: E402
from tests.push_service import tls_for  # noqa: E402

VENV = ROOT / ".venv" / "bin"
SERVER = "postgresql://postgres@127.0.0.1:5432"
JEANNE = "jeanne.martin@example.org"
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Cluster:
    """The whole set-up; ``with Cluster(...) as cluster:`` starts it and tears it down."""

    territory: int | None = None
    keep: bool = False
    database: str = "carnet_cluster"
    instances: int = 2
    workers_per_instance: int = 2
    push_workers: int = 2
    port: int = 8443
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def database_url(self) -> str:
        return f"{SERVER}/{self.database}"

    def instance_url(self, number: int) -> str:
        return f"http://127.0.0.1:{8100 + number}"

    # -- start and stop ------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        # A TERM (timeout, kill) tears down too, like Ctrl-C: no gunicorn left on the ports.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self.folder = Path(tempfile.mkdtemp(prefix="carnet-cluster-"))
        # nginx's certificate for https://localhost, the one the benchmarks' clients trust.
        _, certificate = tls_for("localhost", self.folder)
        self.certificate = Path(certificate)
        try:
            self._prepare_database()
            self.env = self._environment()
            for number in range(1, self.instances + 1):
                self.start_instance(number)
            for number in range(1, self.push_workers + 1):
                self.start_push_worker(number)
            self._start_nginx()
            self.wait_until_up()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes.values():
            if process.alive():
                _signal_group(process.popen, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _signal_group(process.popen, signal.SIGKILL)
                process.popen.wait()
        if not self.keep:
            _drop_database(self.database)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _environment(self) -> dict[str, str]:
        """What every process of the cluster reads: one database, one Redis, the same keys."""
        vapid = Vapid()
        vapid.generate_keys()
        self.vapid_public_key = public_key_of(vapid)  # what a push service checks
        _redis("-n", "5", "FLUSHDB")
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("CARNET_", "VAPID_")) and key != "DATABASE_URL"}
        env.update({
            "DATABASE_URL": self.database_url,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/5",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "VAPID_PRIVATE_KEY": vapid.private_pem().decode(),
            "VAPID_SUBJECT": "mailto:cluster@example.org",
            "CARNET_ORIGIN": self.origin,
            "CARNET_EXTRA_ORIGINS": "",
            "CARNET_TRUSTED_PROXIES": "1",
            "CARNET_DEMO": "1",
            "CARNET_PUSH_WORKER_THREAD": "0",
            "CARNET_SERVER_TIMING": "1",
            "CARNET_WORKERS": str(self.workers_per_instance),
            "CARNET_LOG_LEVEL": "warning",
        })
        env.update(self.extra_env)
        return env

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = Process(name, popen, log)
        return self.processes[name]

    def start_instance(self, number: int) -> Process:
        """gunicorn number ``number``, with an instance folder of its own."""
        folder = self.folder / f"instance-{number}"
        folder.mkdir(exist_ok=True)
        env = {**self.env, "CARNET_INSTANCE": str(folder),
               "CARNET_BIND": f"127.0.0.1:{8100 + number}"}
        return self._spawn(f"app-{number}", [str(VENV / "gunicorn"), "-c", "gunicorn.conf.py",
                                             "--access-logfile", "/dev/null"], env)

    def start_push_worker(self, number: int) -> Process:
        folder = self.folder / f"worker-{number}"
        folder.mkdir(exist_ok=True)
        env = {**self.env, "CARNET_INSTANCE": str(folder)}
        return self._spawn(f"push-{number}", [str(VENV / "flask"), "--app", "app", "worker"],
                           env)

    def kill(self, name: str) -> None:
        """``kill -9`` a process and its children (a gunicorn master and its workers)."""
        _signal_group(self.processes[name].popen, signal.SIGKILL)
        self.processes[name].popen.wait()

    def wait_until_up(self, timeout: float = 60) -> None:
        urls = [self.instance_url(n) for n in range(1, self.instances + 1)] + [self.origin]
        deadline = time.monotonic() + timeout
        for url in urls:
            while True:
                dead = [p.name for p in self.processes.values() if not p.alive()]
                if dead:
                    raise RuntimeError(f"{dead} exited:\n{self.logs()}")
                try:
                    if self.client().get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not answer in {timeout} s:\n{self.logs()}")
                time.sleep(0.2)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log.read_text(errors='replace')[-3000:]}"
                         for p in self.processes.values())

    def client(self) -> requests.Session:
        """A browser for the cluster: trusts its certificate, ignores proxy settings."""
        browser = requests.Session()
        browser.trust_env = False
        browser.verify = str(self.certificate)
        return browser

    # -- the database --------------------------------------------------------------------

    def _prepare_database(self) -> None:
        engine = sa.create_engine(sqlalchemy_url(f"{SERVER}/postgres"),
                                  isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                        {"d": self.database}).first() is not None
        engine.dispose()
        if exists and self.keep and self._patients() == self._expected_patients():
            print(f"Reusing the database {self.database} ({self._expected_patients()} patients)")
            return
        if exists:
            _drop_database(self.database)
        _run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c",
              f'CREATE DATABASE "{self.database}"'])
        env = {**os.environ, "DATABASE_URL": self.database_url,
               "CARNET_INSTANCE": str(self.folder / "setup")}
        _run([str(VENV / "flask"), "--app", "app", "db", "upgrade"], env)
        grow = (["--territory", str(self.territory), "--benchmark"] if self.territory else [])
        started = time.perf_counter()
        _run([str(VENV / "flask"), "--app", "app", "demo", *grow], env)
        print(f"Database {self.database} loaded in {time.perf_counter() - started:.0f} s")

    def account_id(self, email: str) -> int:
        return self.query("SELECT id FROM account WHERE email = :e", e=email)[0][0]

    def query(self, statement: str, **values) -> list:
        engine = sa.create_engine(sqlalchemy_url(self.database_url))
        try:
            with engine.connect() as connection:
                return list(connection.execute(sa.text(statement), values))
        finally:
            engine.dispose()

    def _expected_patients(self) -> int:
        return self.territory or 3  # the territory counts the demo's own three patients

    def _patients(self) -> int:
        try:
            return self.query("SELECT count(*) FROM patient")[0][0]
        except sa.exc.SQLAlchemyError:
            return -1

    # -- nginx ---------------------------------------------------------------------------

    def _start_nginx(self) -> None:
        if shutil.which("nginx") is None:
            raise SystemExit("nginx is missing: apt-get install -y nginx-light (or `make bench`)")
        site = self.site_config()
        (self.folder / "carnet.conf").write_text(site)
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.folder / f"nginx-{temp}").mkdir(exist_ok=True)
        main = "\n".join([
            "daemon off;", "worker_processes 1;", f"pid {self.folder}/nginx.pid;",
            f"error_log {self.folder}/nginx-error.log warn;",
            "events { worker_connections 4096; }",
            "http {",
            "    include /etc/nginx/mime.types;", "    default_type application/octet-stream;",
            "    sendfile on;", "    gzip on;", "    keepalive_requests 100000;",
            *(f"    {temp}_temp_path {self.folder}/nginx-{temp};"
              for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
            f"    include {self.folder}/carnet.conf;", "}", ""])
        (self.folder / "nginx.conf").write_text(main)
        _run(["nginx", "-t", "-q", "-c", str(self.folder / "nginx.conf")])
        self._spawn("nginx", ["nginx", "-c", str(self.folder / "nginx.conf")], os.environ.copy())

    def site_config(self) -> str:
        """deploy/nginx.conf, with this machine's names, ports, paths and upstream servers."""
        site = (ROOT / "deploy" / "nginx.conf").read_text()
        upstream = "\n".join(f"    server 127.0.0.1:{8100 + n} max_fails=1 fail_timeout=10s;"
                             for n in range(1, self.instances + 1))
        site, count = re.subn(r"(?s)upstream carnet \{.*?\n\}",
                              "upstream carnet {\n" + upstream + "\n    keepalive 16;\n}", site)
        replacements = [
            ("listen 80;", f"listen 127.0.0.1:{self.port - 363};"),  # 8080
            ("listen 443 ssl default_server;", f"listen 127.0.0.1:{self.port} ssl default_server;"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.port} ssl;"),
            ("carnet.example.org", "localhost"),
            ("/etc/letsencrypt/live/localhost/fullchain.pem", str(self.certificate)),
            ("/etc/letsencrypt/live/localhost/privkey.pem",
             str(self.certificate.with_suffix(".key"))),
            ("/srv/carnet/static/", f"{ROOT}/static/"),
            ("/var/log/nginx/", f"{self.folder}/nginx-"),
        ]
        for old, new in replacements:
            assert old in site, f"deploy/nginx.conf has no {old!r} any more"
            site = site.replace(old, new)
        assert count == 1
        # No IPv6 here, and HTTP/1.1 to the upstreams, with keep-alive.
        site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
        return site.replace("proxy_pass http://carnet;", "proxy_pass http://carnet;\n"
                            "        proxy_http_version 1.1;\n"
                            '        proxy_set_header Connection "";')

    # -- any instance answers any request ------------------------------------------------

    def check_instances_share(self) -> list[str]:
        """A session and CSRF token made on one instance used on the other, and the sign-in
        rate limit counted across both; what was shown, one line each."""
        shown = []
        first, second = self.instance_url(1), self.instance_url(2)
        proxy = {"Host": f"localhost:{self.port}", "X-Forwarded-Proto": "https",
                 "X-Forwarded-For": "192.0.2.7", "Referer": f"{self.origin}/demo/"}
        browser = self.client()
        cookies: dict[str, str] = {}

        def call(method: str, base: str, path: str, headers: dict | None = None,
                 **kwargs) -> requests.Response:
            answer = browser.request(method, base + path, headers={**proxy, **(headers or {})},
                                     cookies=cookies, allow_redirects=False, timeout=10,
                                     **kwargs)
            if "carnet_session" in answer.cookies:
                cookies["carnet_session"] = answer.cookies["carnet_session"]
            return answer

        page = call("GET", first, "/demo/")
        token = CSRF.search(page.text).group(1)
        signed = call("POST", second, "/demo/sign-in",
                      data={"account_id": self.account_id(JEANNE), "csrf_token": token})
        assert signed.status_code == 302, signed.status_code
        shown.append("CSRF token of instance 1 accepted by instance 2, which signed in")
        home = call("GET", first, "/")
        assert home.status_code == 200 and "carnet" in home.text.lower(), home.status_code
        shown.append("session started on instance 2 open on instance 1")
        cookies.clear()  # someone else, on the same network address
        token = CSRF.search(call("GET", first, "/sign-in").text).group(1)
        statuses = []
        for attempt in range(40):
            base = first if attempt % 2 == 0 else second
            statuses.append(call("POST", base, "/sign-in/options", json={},
                                 headers={"X-CSRFToken": token}).status_code)
            if statuses[-1] == 429:
                break
        assert statuses[-1] == 429, statuses
        shown.append(f"sign-in limit reached after {len(statuses) - 1} attempts split "
                     f"between the two instances (one budget, in Redis)")
        _redis("-n", "5", "FLUSHDB")
        return shown


def _signal_group(popen: subprocess.Popen, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, number)


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def _redis(*args: str) -> None:
    subprocess.run(["redis-cli", "-h", "127.0.0.1", *args], check=True,
                   stdout=subprocess.DEVNULL)


def _drop_database(name: str) -> None:
    engine = sa.create_engine(sqlalchemy_url(f"{SERVER}/postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--territory", type=int, metavar="N",
                        help="grow the demo to N patients (10000 for the benchmark)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database at the end, and reuse it when its size fits")
    args = parser.parse_args()
    with Cluster(territory=args.territory, keep=args.keep) as cluster:
        for line in cluster.check_instances_share():
            print("ok:", line)
        print(f"Serving {cluster.origin}/demo/ (certificate {cluster.certificate}); "
              "Ctrl-C stops and removes everything")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    sys.exit(main())
