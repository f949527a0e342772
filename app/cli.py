"""Command-line tools: ``flask --app app db upgrade``, ``demo``, ``assets``."""

from __future__ import annotations

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import db as database

db_cli = AppGroup("db", help="Database migrations.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Migrate the database up to REVISION (head by default)."""
    database.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("current")
def current_command() -> None:
    """Show the database's revision and the code's head."""
    engine = current_app.extensions["carnet.engine"]
    click.echo(f"database: {database.current_revision(engine)}  code: {database.head_revision()}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def revision_command(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    config = database.alembic_config(current_app.config["DATABASE_URL"])
    command.revision(config, message=message, autogenerate=True)


@click.command("invite")
@click.argument("email")
@with_appcontext
def invite_command(email: str) -> None:
    """Print a one-time invitation URL for the existing account EMAIL (onboarding, recovery)."""
    from sqlmodel import Session, select

    from .auth.invitations import create_invitation, invitation_url
    from .models import Account, InvitationKind, Passkey

    with Session(current_app.extensions["carnet.engine"]) as db:
        account = db.exec(select(Account).where(Account.email == email.strip().lower())).first()
        if account is None:
            raise click.ClickException(f"No account uses {email}.")
        has_passkey = db.exec(select(Passkey).where(Passkey.account_id == account.id)).first()
        kind = InvitationKind.RECOVERY if has_passkey else InvitationKind(
            account.role.value if account.role.value in InvitationKind._value2member_map_
            else "professional")
        _, token = create_invitation(db, account, kind)
        db.commit()
        with current_app.test_request_context():
            click.echo(invitation_url(token))


def init_app(app: Flask) -> None:
    from .assets import assets_command
    from .demo.cli import demo_command

    app.cli.add_command(db_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(assets_command)
    app.cli.add_command(invite_command)
