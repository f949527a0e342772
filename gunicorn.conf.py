"""Carnet under gunicorn, the production server: ``gunicorn`` from the repository's root
reads this file (``-c gunicorn.conf.py`` says so explicitly).

Everything here can be overridden on the command line (``--bind``, ``--workers``…); the
environment of the app itself is read by ``app/config.py``.

- Workers: ``2 × cores + 1`` sync workers (``CARNET_WORKERS`` overrides). A request spends
  part of its time waiting for PostgreSQL (round trips, the commit's fsync), during which
  another worker can use the core; slow phones never hold a worker, because nginx buffers
  their requests and answers (``deploy/nginx.conf``).
- ``preload_app``: the app is made once in the master, then forked, so the workers share
  its memory (measured: PSS 38 MB per worker, 99 MB without) and start in milliseconds. The
  database engine's pool must not cross the fork: ``post_fork`` drops the master's
  connections without closing them. With preloading, ``kill -HUP`` re-reads this file and
  replaces the workers gracefully but keeps the code; a new version of the code needs a new
  master: ``kill -USR2`` (a new master beside the old one), then ``kill -QUIT`` the old one
  — or, with several instances behind nginx, restart them one after the other.
- Logs: one JSON object per line. The access log keeps the path, never the query string nor
  the request line (tokens live there), and a path's token is written "…" (the filter of
  ``app/access_log.py``); every other record has lost its exceptions' messages
  (``app/logs.py``, installed when the app is made): no health data in a log line. Nothing
  of the app is imported here, so that the master stays free of it when not preloading.
- The proxy: gunicorn's own trust of ``X-Forwarded-Proto`` (by default from 127.0.0.1 and
  from any Unix socket) is turned off; the app alone decides, from
  ``CARNET_TRUSTED_PROXIES`` (werkzeug's ProxyFix, see ``app/__init__.py``).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
from datetime import UTC, datetime

from gunicorn import glogging


def _cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


wsgi_app = "app:create_app()"
bind = [os.environ.get("CARNET_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("CARNET_WORKERS") or 2 * _cores() + 1)
worker_class = "sync"
preload_app = True

# A worker silent for this long is killed and replaced (no page should take a second).
timeout = 30
# On HUP, TERM or a restart, a worker finishes its request within this time.
graceful_timeout = 30
# A worker is replaced after this many requests (± jitter), so a slow leak never grows.
max_requests = 2000
max_requests_jitter = 200

# Only ProxyFix, configured by CARNET_TRUSTED_PROXIES, believes the X-Forwarded-* headers.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""

accesslog = "-"  # stdout
errorlog = "-"  # stderr
loglevel = os.environ.get("CARNET_LOG_LEVEL", "info")


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time, level, logger, message (and the exception's class
    and frames, which is all app/logs.py leaves of it)."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == "gunicorn.access":
            return record.getMessage()  # already a JSON line (JsonLogger.access)
        line = {"time": _now(record.created), "level": record.levelname,
                "logger": record.name, "message": record.getMessage()}
        if record.exc_text:  # what app/logs.py left: classes and frames, no message
            line["exception"] = record.exc_text
        elif record.exc_info and record.exc_info[1] is not None:  # before the app is loaded
            line["exception"] = type(record.exc_info[1]).__qualname__
        return json.dumps(line, ensure_ascii=False)


class JsonLogger(glogging.Logger):
    """gunicorn's logger, writing JSON lines, the app's loggers included."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
        # The app's loggers and the libraries' reach the root logger: to stderr, as JSON
        # (a handler there also keeps Flask from adding its own plain-text one).
        root = logging.getLogger()
        if not any(getattr(handler, "_carnet", False) for handler in root.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            handler._carnet = True  # type: ignore[attr-defined]
            root.addHandler(handler)

    def access(self, resp, req, environ, request_time) -> None:
        """One line per request: no query string, no Referer, no request line."""
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "time": _now(),
            "client": atoms["h"],  # the real client's address behind ProxyFix
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "ms": atoms["M"],
            "request_id": atoms.get("{x-request-id}o"),
        }
        # "%s": the token filter of app/access_log.py rewrites the message's paths.
        self.access_log.info("%s", json.dumps(line, ensure_ascii=False))


def _now(timestamp: float | None = None) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC) if timestamp else datetime.now(UTC)
    return moment.isoformat(timespec="milliseconds")


logger_class = JsonLogger


def post_fork(server, worker) -> None:
    """A SQLAlchemy engine's connections must not be shared across fork: the worker starts
    with an empty pool, leaving the master's connections to the master (close=False)."""
    if server.cfg.preload_app:
        server.app.wsgi().extensions["carnet.engine"].dispose(close=False)


def when_ready(server) -> None:
    """Before the workers are forked: templates compiled and catalogues loaded once, in the
    preloaded app they share (``app.warm_up``); then every object made so far is frozen out
    of the garbage collector's reach (``gc.freeze``, as Python's documentation advises before
    a fork). A worker's full collection walked those 185,000 objects each time: a pause of
    about 110 ms here, the slowest of the load benchmark's answers; after, it walks only what
    the worker made itself. It also keeps the collector from writing into the shared pages."""
    if server.cfg.preload_app:
        from app import warm_up

        warm_up(server.app.wsgi())
        gc.collect()
        gc.freeze()
