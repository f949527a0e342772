"""Migrations take an empty database to head, and the models match them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app import create_app
from app.db import current_revision, head_revision, upgrade
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
