"""Command-line tools: ``flask --app app db upgrade``, ``demo``, ``assets``."""

from __future__ import annotations

import click
from alembic import command
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import db as database
from .models import Profession

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
@click.option("--professional", "profession", type=click.Choice([p.value for p in Profession]),
              help="Open the account of a new professional of this profession first.")
@click.option("--editor", is_flag=True,
              help="Open the account of a new patient-association editor first.")
@click.option("--first-name", default="", help="The new account's first name.")
@click.option("--last-name", default="", help="The new account's last name.")
@click.option("--title", default="", help="Shown before the name, e.g. Dr.")
@click.option("--structure", default="", help="A professional's practice or service.")
@with_appcontext
def invite_command(email: str, profession: str | None, editor: bool, first_name: str,
                   last_name: str, title: str, structure: str) -> None:
    """Print a one-time invitation URL for the account EMAIL: onboarding, or recovery of an
    account whose phone was lost.

    A new territory starts here: ``--professional coordinator`` (or ``--editor``) with the
    names opens the first account, which then invites everyone else in the app.
    """
    from sqlmodel import Session, select

    from .auth.invitations import create_invitation, invitation_url
    from .invitations.people import Invitee, invite_professional, new_editor
    from .models import Account, InvitationKind, Passkey

    email = email.strip().lower()
    opening = profession is not None or editor
    if profession is not None and editor:
        raise click.UsageError("Choose --professional or --editor, not both.")
    if opening and not (first_name.strip() and last_name.strip()):
        raise click.UsageError("A new account needs --first-name and --last-name.")
    if opening:
        try:  # the check of the invitation forms (WTForms' Email uses it too)
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            raise click.UsageError(f"{email} is not an e-mail address.") from None
    with Session(current_app.extensions["carnet.engine"]) as db:
        account = db.exec(select(Account).where(Account.email == email)).first()
        if opening:
            if account is not None:
                raise click.ClickException(f"An account already uses {email}.")
            invitee = Invitee(first_name, last_name, email)
            invited = (new_editor(db, invitee) if editor else invite_professional(
                db, invitee, None, Profession(profession), structure.strip(), ""))
            invited.account.title = title.strip()
            token = invited.token
        else:
            if account is None:
                raise click.ClickException(
                    f"No account uses {email}; open one with --professional or --editor.")
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
