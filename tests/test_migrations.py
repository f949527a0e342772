"""Migrations take an empty database to head, and the models match them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app import create_app
from app.db import alembic_config, current_revision, head_revision, upgrade
from app.models import metadata

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
