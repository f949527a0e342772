"""``flask --app app vapid [--rotate]`` and ``flask --app app worker [--drain]``."""

from __future__ import annotations

import logging
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import Session, select

from ..models import PushSubscription
from . import vapid
from .subscriptions import forget
from .worker import Relay, stop_on_signals


@click.command("vapid")
@click.option("--rotate", is_flag=True,
              help="Make a new key pair; every device must turn notifications on again.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def vapid_command(rotate: bool, yes: bool) -> None:
    """Show the VAPID public key (applicationServerKey), or make a new pair."""
    app = current_app
    if not rotate:
        click.echo(app.config["VAPID_PUBLIC_KEY"])
        return
    if app.config["VAPID_PRIVATE_KEY"]:
        raise click.ClickException(
            "The keys come from VAPID_PRIVATE_KEY: change them where the environment is set.")
    engine = app.extensions["carnet.engine"]
    with Session(engine) as db:
        devices = db.exec(select(sa.func.count()).select_from(PushSubscription)).one()
        if not yes:
            click.confirm(f"Subscriptions are bound to the current key: {devices} device(s) "
                          "will stop receiving notifications until they turn them on again. "
                          "Rotate?", abort=True)
        keys = vapid.generate(Path(app.instance_path) / vapid.KEY_FILE)
        for subscription in db.exec(select(PushSubscription)).all():
            forget(db, subscription, "VAPID keys rotated")
        db.commit()
    click.echo(vapid.public_key_of(keys))
    click.echo("New key pair written. Restart the web and worker processes.", err=True)


@click.command("worker")
@click.option("--drain", is_flag=True, help="Send everything due now, then exit (cron, tests).")
@click.option("--poll", default=2.0, show_default=True, help="Seconds to rest when idle.")
@with_appcontext
def worker_command(drain: bool, poll: float) -> None:
    """Deliver the notification outbox by Web Push (runs until stopped)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    relay = Relay.for_app(current_app._get_current_object())
    if drain:
        counts = relay.drain()
        click.echo(f"sent {counts.sent}, retry later {counts.retried}, failed {counts.failed}, "
                   f"dropped {counts.dropped}, devices gone {counts.gone}, "
                   f"held {counts.held}, reminders {counts.reminders}, "
                   f"digests {counts.digests} (folding {counts.folded}), "
                   f"weekly summaries {counts.weekly}")
        return
    click.echo("Push worker running; stop it with Ctrl-C.", err=True)
    relay.run_forever(stop_on_signals(), poll=poll)
