"""Symptom reports: versioned questionnaires, alert rules, reporting and reading."""

import click
from flask import Blueprint, current_app

bp = Blueprint("symptoms", __name__, cli_group="symptoms")

from . import views  # noqa: E402, F401
from .answers import answer_words, bounds_words, options  # noqa: E402
from .trends import chart_number  # noqa: E402

for _function in (answer_words, bounds_words, options, chart_number):
    bp.add_app_template_global(_function, f"symptom_{_function.__name__}")

from . import zones  # noqa: E402

bp.add_app_template_global(zones.name, "zone_name")
bp.add_app_template_global(zones.todo, "zone_todo")


@bp.cli.command("load")
def load_command() -> None:
    """Check app/questionnaires/*.json and publish new versions (a changed one is refused)."""
    from sqlmodel import Session

    from .questionnaires import QuestionnaireError, load_questionnaires

    with Session(current_app.extensions["carnet.engine"]) as db:
        try:
            loaded = load_questionnaires(db, languages=current_app.config["LANGUAGES"])
        except QuestionnaireError as error:
            raise click.ClickException(str(error)) from None
        db.commit()
        for row, what in loaded:
            click.echo(f"{row.code}.{row.language} version {row.version}: {what}")
