"""/healthz tells load balancers whether the database answers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app

DEAD_DATABASES = [
    "postgresql://postgres@127.0.0.1:1/nowhere",  # nothing listens on port 1
]


def test_it_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "up", "schema": "current"}


def test_it_answers_503_when_the_database_is_dead():
    app = create_app({"DATABASE_URL": DEAD_DATABASES[0], "TESTING": True})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"


def test_a_dead_database_gives_a_friendly_page_without_a_trace():
    app = create_app({"DATABASE_URL": DEAD_DATABASES[0], "TESTING": True})
    response = app.test_client().get("/", headers={"Accept-Language": "fr"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Carnet fait une petite pause" in page
    assert "Traceback" not in page and "psycopg" not in page and "127.0.0.1" not in page


@pytest.mark.postgresql  # pg_terminate_backend: what a restart of PostgreSQL does to the pool
def test_after_the_database_dropped_every_connection_the_app_answers_again(client, db):
    db.execute(sa.text("SELECT 1"))  # this test's own connection, kept
    assert client.get("/healthz").status_code == 200  # the pool holds another one now
    ended = db.execute(sa.text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    db.commit()
    assert ended >= 1
    # No restart of the app: the pool finds its connections dead and opens new ones.
    assert client.get("/healthz").status_code == 200
    assert client.get("/sign-in").status_code == 200
