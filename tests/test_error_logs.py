"""A write that fails leaves no health data in the server log, and a friendly page.

The app here runs as in production (not TESTING): Flask's own error paths log, and
nothing is re-raised into the test. Everything a log could hold is captured: every record
at DEBUG (SQLAlchemy's statements included) and what Flask prints to stderr.
"""

from __future__ import annotations

import logging
import traceback

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from app import create_app
from app.models import Note

from .carnet_actions import carnet_id
from .conftest import DemoActions

HEALTH = "Je tousse du sang"
CSP = "default-src 'self'"


@pytest.fixture(scope="module")
def production_app(database_url, instance_path):
    return create_app({"DATABASE_URL": database_url, "CARNET_DEMO": True, "TESTING": False,
                       "SECRET_KEY": "test-secret", "PUSH_WORKER_THREAD": False})


@pytest.fixture
def jeanne(production_app, demo):
    """Jeanne, signed in on a browser of her own (French, the default)."""
    actions = DemoActions(production_app.test_client(), production_app.extensions[
        "carnet.engine"])
    actions.sign_in("jeanne")
    return actions


@pytest.fixture
def log(caplog):
    """Every record, down to DEBUG, and SQLAlchemy's statements with their parameters if
    it ever showed them."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    return caplog


def _notes(db) -> int:
    return db.exec(select(func.count()).select_from(Note)).one()


def _post_note(jeanne: DemoActions, patient_id: int, body: str):
    token = jeanne.csrf_token(f"/carnet/{patient_id}/notes")
    return jeanne.client.post(f"/carnet/{patient_id}/notes",
                              data={"body": body, "csrf_token": token})


def assert_nothing_of(text: str, log, capsys) -> None:
    """``text`` (or a piece of it) is nowhere in what the log kept or Flask printed."""
    words = (text, *text.split()[1::2])  # "Je tousse du sang", "tousse", "sang"
    printed = capsys.readouterr()
    for record in log.records:
        told = " ".join(str(part) for part in (record.getMessage(), record.msg, record.args,
                                               record.exc_text, record.exc_info))
        assert not any(word in told for word in words), record.name
    assert not any(word in log.text for word in words)
    assert not any(word in printed.err + printed.out for word in words)


def assert_friendly_page(response, status: int, title: str) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert title in page and '<html lang="fr" dir="ltr">' in page
    assert "Werkzeug" not in page and "Traceback" not in page
    assert response.headers["Content-Security-Policy"].startswith(CSP)
    reference = response.headers["X-Request-Id"]
    assert reference
    if status >= 500:
        assert f"donnez cette référence : {reference}" in page


def test_a_nul_byte_in_a_note_is_refused_before_the_database(jeanne, db, log, capsys):
    patient_id = carnet_id(db, "jeanne")
    before = _notes(db)
    response = _post_note(jeanne, patient_id, f"{HEALTH}\x00")
    assert_friendly_page(response, 400, "Il y a un problème avec cette demande")
    assert "un caractère que Carnet ne peut pas garder" in response.get_data(as_text=True)
    assert _notes(db) == before
    assert_nothing_of(HEALTH, log, capsys)


@pytest.fixture
def failing_note_insert():
    """The note's INSERT really fails in the database: a NOT NULL column left empty.

    PostgreSQL's error then quotes the whole row ("DETAIL: Failing row contains (…, Je
    tousse du sang, …)"), SQLAlchemy's adds the statement's parameters: the worst case.
    Calling the fixture's value lets the database work again.
    """
    def empty_role(_mapper, _connection, note):
        note.author_role = None

    def repair():
        if sa.event.contains(Note, "before_insert", empty_role):
            sa.event.remove(Note, "before_insert", empty_role)

    sa.event.listen(Note, "before_insert", empty_role)
    yield repair
    repair()


def test_a_note_the_database_refuses_leaves_no_trace_in_the_log(
    jeanne, db, log, capsys, failing_note_insert
):
    patient_id = carnet_id(db, "jeanne")
    before = _notes(db)
    response = _post_note(jeanne, patient_id, HEALTH)
    assert_friendly_page(response, 500, "Un problème est survenu")
    assert _notes(db) == before
    assert_nothing_of(HEALTH, log, capsys)
    # What the log keeps instead: the class, the request and where it failed.
    [line] = [r.getMessage() for r in log.records if r.name == "app.errors"]
    assert "IntegrityError" in line and "POST carnet.write_note" in line
    assert response.headers["X-Request-Id"] in line
    assert "app/carnet/notes.py:" in line


def test_jeanne_can_write_again_after_the_failure(jeanne, db, failing_note_insert):
    """The failed request's session was rolled back and closed: nothing half done is left
    for the next request."""
    patient_id = carnet_id(db, "jeanne")
    assert _post_note(jeanne, patient_id, HEALTH).status_code == 500
    failing_note_insert()
    assert _post_note(jeanne, patient_id, "Ça va mieux.").status_code == 302
    assert db.exec(select(Note.body).order_by(Note.id.desc())).first() == "Ça va mieux."


@pytest.mark.postgresql  # kills the app's connection with pg_terminate_backend
# In the view (its insert), or once the answer is ready (the request's commit, as when
# PostgreSQL restarts under load: the failure drill saw it as a 500).
@pytest.mark.parametrize("at_commit", [False, True], ids=["at the insert", "at the commit"])
def test_a_connection_killed_mid_write_leaves_no_trace_in_the_log(
    jeanne, db, log, capsys, production_app, database_url, at_commit
):
    patient_id = carnet_id(db, "jeanne")
    before = _notes(db)
    engine = production_app.extensions["carnet.engine"]
    inserted = []

    def kill(connection) -> None:
        pid = connection.connection.dbapi_connection.info.backend_pid
        with Session(db.get_bind()) as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    def on_note_insert(connection, _cursor, statement, _parameters, _context, _many):
        if statement.startswith("INSERT INTO note "):
            inserted.append(True)
            if not at_commit:
                kill(connection)

    def on_commit(connection):
        if at_commit and inserted:
            kill(connection)

    sa.event.listen(engine, "before_cursor_execute", on_note_insert)
    sa.event.listen(engine, "commit", on_commit)
    try:
        response = _post_note(jeanne, patient_id, HEALTH)
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_note_insert)
        sa.event.remove(engine, "commit", on_commit)
    assert_friendly_page(response, 503, "Carnet fait une petite pause")
    assert _notes(db) == before
    assert_nothing_of(HEALTH, log, capsys)
    assert _post_note(jeanne, patient_id, "Ça va mieux.").status_code == 302


def test_no_logger_keeps_the_message_of_an_exception_it_is_given(log, capsys):
    """Whoever logs a failure (SQLAlchemy's pool, Werkzeug's server, the push worker), the
    record keeps each exception's class and frames, never what it said."""
    try:
        try:
            raise ValueError(f"invalid literal for int() with base 10: {HEALTH!r}")
        except ValueError as cause:
            raise sa.exc.DataError("INSERT INTO note (body) VALUES (?)", (HEALTH,),
                                   Exception(f"DETAIL: Failing row contains ({HEALTH})"),
                                   ) from cause
    except sa.exc.DataError as error:
        logging.getLogger("sqlalchemy.pool.impl.QueuePool").error(
            "Exception during reset or similar", exc_info=True)
        logging.getLogger("werkzeug").error(f"Error on request:\n{traceback.format_exc()}")
        logging.getLogger("gunicorn.error").error("Error handling request %s\n%s", "/",
                                                  traceback.format_exc())
        logging.getLogger("carnet.push").warning("push worker: %s", error)
        logging.getLogger("app").exception("Exception on /carnet/1/notes [POST]")
        assert HEALTH in str(error)  # what would have been logged
    assert_nothing_of(HEALTH, log, capsys)
    assert "sqlalchemy.exc.DataError (message withheld)" in log.text
    assert "ValueError (message withheld)" in log.text
    assert "tests/test_error_logs.py:" in log.text  # where it happened is kept
    assert "push worker: sqlalchemy.exc.DataError ← ValueError" in log.text


def test_when_the_error_page_fails_in_turn_a_plain_page_still_answers(
    jeanne, db, log, capsys, failing_note_insert, monkeypatch
):
    def broken(*_args, **_kwargs):
        raise RuntimeError(HEALTH)

    monkeypatch.setattr("app.errors.render_template", broken)
    response = _post_note(jeanne, carnet_id(db, "jeanne"), HEALTH)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>Un problème est survenu</h1>" in page
    assert response.headers["X-Request-Id"] in page
    assert response.headers["Content-Security-Policy"].startswith(CSP)
    assert_nothing_of(HEALTH, log, capsys)


def test_every_answer_has_a_request_id_of_its_own(client):
    first, second = client.get("/sign-in"), client.get("/sign-in")
    assert len(first.headers["X-Request-Id"]) == 8
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
