"""Server-Timing for benchmarks: what each answer cost the process that made it.

With ``CARNET_SERVER_TIMING=1`` every answer carries
``Server-Timing: cpu;dur=<ms>, app;dur=<ms>``: the CPU time this process spent on the
request (``time.process_time``: under gunicorn's sync workers a process serves one request
at a time, so it is this request's alone — views, templates, Babel, the ORM, the commit),
and the wall time in the app (CPU plus waiting for PostgreSQL). The load benchmark
(``benchmarks/load.py``) reads them per page. Off by default: a figure of how long a page
took tells a stranger nothing about the patient, but it is no one's business either.

Measured around the whole WSGI call, hooks and cookie included; the body of an answer is
already rendered when its headers go out (Flask renders templates to a string), except for
files streamed from disk, whose reading is not counted.
"""

from __future__ import annotations

import time


class ServerTiming:
    """WSGI middleware adding ``Server-Timing`` to every answer."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        cpu, wall = time.process_time(), time.perf_counter()

        def timed_start_response(status, headers, exc_info=None):
            cpu_ms = (time.process_time() - cpu) * 1000
            wall_ms = (time.perf_counter() - wall) * 1000
            headers.append(("Server-Timing", f"cpu;dur={cpu_ms:.2f}, app;dur={wall_ms:.2f}"))
            return start_response(status, headers, exc_info)

        return self.app(environ, timed_start_response)
