"""In demo mode, the push worker runs as a thread of the web process: ``make run`` delivers
notifications without a second command. (In production, run ``flask --app app worker``
beside the web processes instead, as many as wanted.)

The thread starts with the first request the process serves, not when the app is made:
under ``flask run --debug`` the reloader's watching process also makes the app but never
serves, so only the serving process starts a worker, once; a CLI command (``flask
worker``, ``flask demo``) starts none. At exit the thread is asked to stop and finishes
its batch (a batch cut short is safe anyway: leases expire, the ids stop repeats).
"""

from __future__ import annotations

import atexit
import logging
import threading

from flask import Flask

from .worker import Relay

log = logging.getLogger("carnet.push")


class BackgroundWorker:
    """One worker thread for one app, started once."""

    def __init__(self, app: Flask, poll: float = 1.0):
        self.app = app
        self.poll = poll
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self.thread is not None:
                return
            self.thread = threading.Thread(target=self._run, name="carnet-push-worker",
                                           daemon=True)
            self.thread.start()
        atexit.register(self.stop)
        log.info("push worker thread started (demo mode)")

    def _run(self) -> None:
        relay = Relay.for_app(self.app)
        while not self.stop_event.is_set():
            try:
                relay.run_forever(self.stop_event, poll=self.poll)
            except Exception:  # the demo's web process must outlive a bad batch
                log.exception("push worker thread: error, starting again")
                self.stop_event.wait(self.poll)

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout)


def init_app(app: Flask) -> None:
    """Start a worker thread with the first request, when the configuration asks for one:
    ``PUSH_WORKER_THREAD``, by default on in demo mode and off in tests."""
    wanted = app.config.get("PUSH_WORKER_THREAD")
    if wanted is None:
        wanted = app.config["CARNET_DEMO"] and not app.config.get("TESTING")
    if not wanted:
        return
    worker = app.extensions["carnet.push_worker"] = BackgroundWorker(app)

    @app.before_request
    def _start_push_worker() -> None:
        if worker.thread is None:
            worker.start()
