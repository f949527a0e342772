"""``flask --app app demo``: (re)load the demo territory."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import Session


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Reset the database's content to the demo territory."""
    from .territory import load_demo

    with Session(current_app.extensions["carnet.engine"]) as session:
        summary = load_demo(session)
    click.echo("Demo territory loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()))
