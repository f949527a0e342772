"""Web Push: devices, the notification worker, and what a push may say.

- ``vapid``: our signing keys and tokens;
- ``subscriptions``: checking and keeping a browser's subscription;
- ``endpoints`` and ``transport``: which push endpoints may be called (no internal address),
  and the worker's HTTP session that calls only those, pinned, following no redirect;
- ``payload``: the translated, health-data-free message;
- ``preferences``: kinds, quiet hours, the daily digest and the weekly summary, applied by
  the worker;
- ``worker``: from the outbox to the push services, with retries;
- ``scheduled``: the worker's jobs — appointment reminders, daily digests, weekly summaries;
- ``background``: the worker as a thread of the web process, in demo mode;
- ``views`` and ``cli``: "Me → Notifications", ``flask vapid`` and ``flask worker``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from . import vapid
from .subscriptions import KNOWN_PUSH_SERVICES

bp = Blueprint("push", __name__)


def init_app(app: Flask) -> None:
    """Load (or make) the VAPID keys, and add the push commands."""
    config = app.config
    keys = vapid.load_keys(app.instance_path, config["VAPID_PRIVATE_KEY"],
                           config["VAPID_PUBLIC_KEY"])
    subject = config["VAPID_SUBJECT"] or vapid.default_subject(config["CARNET_ORIGIN"])
    app.extensions["carnet.vapid"] = vapid.Signer(keys, subject)
    config["VAPID_PUBLIC_KEY"] = app.extensions["carnet.vapid"].public_key
    config["PUSH_SERVICES"] = tuple(config["PUSH_SERVICES"]) or KNOWN_PUSH_SERVICES

    from . import background, cli

    app.cli.add_command(cli.vapid_command)
    app.cli.add_command(cli.worker_command)
    background.init_app(app)


from . import views  # noqa: E402, F401 — the views register on ``bp``
