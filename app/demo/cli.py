"""``flask --app app demo``: (re)load the demo territory, or grow it to a realistic size."""

from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import Session

from app.models import metadata


@click.command("demo")
@click.option("--territory", "patients", type=click.IntRange(min=3), metavar="N",
              help="Then grow the demo into a made-up territory of N patients, for benchmarks "
                   "only (10000 for the benchmark). Never on a real territory's database: "
                   "it empties it.")
@click.option("--professionals", type=click.IntRange(min=1),
              help="With --territory: professionals in all (default N/20, at least 30).")
@click.option("--gp-patients", type=click.IntRange(min=2),
              help="With --territory: Dr Lefèvre's patients (default N/3, at most 300).")
@click.option("--reports", type=click.IntRange(min=0),
              help="With --territory: symptom reports (default 20 per patient).")
@click.option("--audit-events", type=click.IntRange(min=0),
              help="With --territory: audit events, 40% on Jeanne's carnet (default 10 per "
                   "patient).")
@click.option("--seed", default=16, show_default=True, help="With --territory: the same "
              "seed and sizes make the same territory.")
@click.option("--benchmark", is_flag=True,
              help="With --territory: run without CARNET_DEMO=1, knowing that this database "
                   "is for benchmarks.")
@with_appcontext
def demo_command(patients: int | None, professionals: int | None, gp_patients: int | None,
                 reports: int | None, audit_events: int | None, seed: int,
                 benchmark: bool) -> None:
    """Reset the database's content to the demo territory (and grow it with --territory).

    The demo and the big territory are made up, for trying Carnet and measuring it: not
    for a real territory, whose data they would erase.
    """
    from .territory import load_demo

    if patients is not None and not (current_app.config["CARNET_DEMO"] or benchmark):
        raise click.ClickException(
            "--territory makes a made-up territory for benchmarks and erases the database: "
            "run it with CARNET_DEMO=1, or add --benchmark.")
    started = time.perf_counter()
    engine = current_app.extensions["carnet.engine"]
    _empty_at_once(engine)
    with Session(engine) as session:
        summary = load_demo(session)
    click.echo("Demo territory loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()))
    if patients is None:
        return
    from .big_territory import Size, grow_territory
    from .big_writer import analyze

    size = Size.for_patients(patients)
    size = Size(patients, professionals or size.professionals, gp_patients or size.gp_patients,
                size.reports if reports is None else reports,
                size.audit_events if audit_events is None else audit_events)
    click.echo(f"Growing it to {size} (seed {seed})…")
    with Session(engine) as session:
        counts = grow_territory(session, size, seed)
    analyze(engine)
    click.echo(f"Territory made in {time.perf_counter() - started:.0f} s: "
               + ", ".join(f"{n} {table}" for table, n in counts.items()))


def _empty_at_once(engine: sa.Engine) -> None:
    """Empty every table in one TRUNCATE on PostgreSQL, before the demo's own emptying.

    Row by row, PostgreSQL checks each deleted account against every table that refers to
    it, dead rows included: emptying a big territory that way takes many minutes.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        connection.execute(sa.text(f"TRUNCATE {names}"))
