"""Migrations take an empty database to head, and the models match them."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session

from app import create_app
from app.db import alembic_config, current_revision, head_revision, upgrade
from app.models import (
    Account,
    Appointment,
    AppointmentRevision,
    ChangeKind,
    Patient,
    Role,
    metadata,
)

from .databases import own_database

# The migrations and the models, compared on each engine.
pytestmark = pytest.mark.db_engine


def test_empty_database_is_upgraded_to_head(engine):
    # The session fixture migrated an empty database (SQLite, or PostgreSQL in CI).
    assert current_revision(engine) == head_revision()
    tables = set(sa.inspect(engine).get_table_names())
    assert {table.name for table in metadata.sorted_tables} <= tables


def test_models_match_the_migrations(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_it_refuses_to_serve_a_database_that_is_behind(tmp_path):
    url = f"sqlite:///{tmp_path / 'behind.sqlite'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    response = app.test_client().get("/sign-in")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "flask --app app db upgrade" in page
    assert "Traceback" not in page


def test_it_serves_once_upgraded(tmp_path):
    url = f"sqlite:///{tmp_path / 'upgraded.sqlite'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    client = app.test_client()
    assert client.get("/sign-in").status_code == 503
    upgrade(url)
    assert client.get("/sign-in").status_code == 200


def test_0006_deletes_the_old_sha256_recovery_codes_and_goes_back(tmp_path):
    # Old codes cannot be converted to argon2id (the codes themselves are not known).
    url = f"sqlite:///{tmp_path / 'codes.sqlite'}"
    upgrade(url, "0005")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO account (email, first_name, last_name, title, role, user_handle, "
            "session_generation, is_active, created_at) VALUES ('a@example.org', 'A', 'B', '', "
            "'patient', 'handle', 0, 1, '2026-11-01 10:00:00')"))
        connection.execute(sa.text(
            "INSERT INTO recovery_code (account_id, code_hash, created_at) "
            "VALUES (1, :hash, '2026-11-01 10:00:00')"), {"hash": "0" * 64})
    upgrade(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM recovery_code")).scalar() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM account")).scalar() == 1
    command.downgrade(alembic_config(url), "0005")
    assert current_revision(engine) == "0005"
    engine.dispose()


@pytest.fixture
def spare_url(tmp_path):
    """An empty database of the engine under test, for a migration to go up and down on."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'spare.sqlite'}"
        return
    with own_database(server) as url:
        yield url


def _moved_appointment(engine, before: dict, after: dict) -> int:
    """A patient's appointment and one revision of it that keeps ``before`` and ``after``."""
    with Session(engine) as db:
        account = Account(email="a@example.org", first_name="A", last_name="B",
                          role=Role.PATIENT, user_handle="handle")
        db.add(account)
        db.flush()
        patient = Patient(account_id=account.id)
        db.add(patient)
        db.flush()
        starts = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
        appointment_id = _insert_before_0009(db, Appointment(
            patient_id=patient.id, title="Bilan", starts_at=starts, ends_at=starts,
            uid="uid@carnet"))
        revision_id = _insert_before_0009(db, AppointmentRevision(
            appointment_id=appointment_id, patient_id=patient.id, change=ChangeKind.MOVED,
            before=before, after=after))
        db.commit()
        return revision_id


def _insert_before_0009(db: Session, row) -> int:
    """Insert ``row`` into its table as it was before migration 0009 (no ``language``)."""
    table = metadata.tables[row.__tablename__]
    before = sa.Table(table.name, sa.MetaData(),
                      *(column._copy() for column in table.c if column.name != "language"))
    values = {name: value for name, value in row.model_dump().items()
              if name in before.c and not (name == "id" and value is None)}
    return db.connection().execute(before.insert().values(values)).inserted_primary_key[0]


def _kept(engine, revision_id: int) -> tuple[dict, dict]:
    with engine.connect() as connection:
        table = metadata.tables["appointment_revision"]
        row = connection.execute(sa.select(table.c.before, table.c.after)
                                 .where(table.c.id == revision_id)).one()
        return row.before, row.after


def test_0007_keeps_appointment_revision_dates_as_iso_instants_and_goes_back(spare_url):
    # Paris is UTC+1 in November, UTC+2 in July; a value it cannot read is kept as it was.
    upgrade(spare_url, "0006")
    engine = sa.create_engine(spare_url)
    revision_id = _moved_appointment(
        engine, {"starts_at": "03/11/2026 10:00", "ends_at": "03/11/2026 10:20"},
        {"starts_at": "15/07/2027 09:30", "ends_at": "mardi matin", "place": "Cabinet"})
    upgrade(spare_url)
    assert _kept(engine, revision_id) == (
        {"starts_at": "2026-11-03T09:00:00+00:00", "ends_at": "2026-11-03T09:20:00+00:00"},
        {"starts_at": "2027-07-15T07:30:00+00:00", "ends_at": "mardi matin",
         "place": "Cabinet"})
    command.downgrade(alembic_config(spare_url), "0006")
    assert _kept(engine, revision_id) == (
        {"starts_at": "03/11/2026 10:00", "ends_at": "03/11/2026 10:20"},
        {"starts_at": "15/07/2027 09:30", "ends_at": "mardi matin", "place": "Cabinet"})
    engine.dispose()


def test_0008_indexes_long_histories_and_goes_back(spare_url):
    upgrade(spare_url)
    engine = sa.create_engine(spare_url)

    def indexes() -> set[str]:
        inspector = sa.inspect(engine)
        return {index["name"] for table in ("audit_event", "symptom_report")
                for index in inspector.get_indexes(table)}

    assert {"ix_audit_event_patient_newest", "ix_symptom_report_patient_reported",
            "ix_symptom_report_waiting"} <= indexes()
    command.downgrade(alembic_config(spare_url), "0007")
    assert {"ix_audit_event_patient_id", "ix_symptom_report_patient_id"} <= indexes()
    assert not indexes() & {"ix_audit_event_patient_newest", "ix_symptom_report_waiting"}
    upgrade(spare_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_0009_takes_what_was_written_before_as_french_and_goes_back(spare_url):
    upgrade(spare_url, "0008")
    engine = sa.create_engine(spare_url)
    revision_id = _moved_appointment(engine, {}, {"place": "Cabinet"})
    upgrade(spare_url)
    with engine.connect() as connection:
        table = metadata.tables["appointment_revision"]
        assert connection.execute(sa.select(table.c.language).where(
            table.c.id == revision_id)).scalar_one() == "fr"
    command.downgrade(alembic_config(spare_url), "0008")
    columns = {column["name"] for column in sa.inspect(engine).get_columns("note")}
    assert "language" not in columns
    upgrade(spare_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
