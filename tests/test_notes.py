"""The liaison notebook: writing, reading, "New" marks, who is told, and bad input."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.carnet import notes
from app.models import Note, Notification, NotificationKind, Patient

from .carnet_actions import stored
from .conftest import persona

CARNET_TABLES = ("note", "notification")
SCRIPT = '<script>alert("Carnet")</script> <b>Très</b> fatiguée & essoufflée'


def _new_marks(page: str) -> list[str]:
    """The bodies of the notes marked "New" on a notebook page."""
    return re.findall(
        r'<li class="note note--unread">.*?<p class="note__body"[^>]*>([^<]*)</p>',
        page, re.S)


def test_html_in_a_note_is_kept_as_typed_and_shown_as_text(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    assert jeanne.post(f"/carnet/{jeanne_id}/notes", body=SCRIPT).status_code == 302
    assert db.exec(select(Note.body).order_by(Note.id.desc())).first() == SCRIPT

    for name, path in (("jeanne", "notes"), ("lefevre", ""), ("lefevre", "notes"),
                       ("jeanne", "print")):
        page = signed_in(name).get(f"/carnet/{jeanne_id}/{path}").get_data(as_text=True)
        assert "&lt;script&gt;alert(&#34;Carnet&#34;)&lt;/script&gt;" in page, (name, path)
        assert "&lt;b&gt;Très&lt;/b&gt; fatiguée &amp; essoufflée" in page, (name, path)
        assert "<script>alert" not in page and "<b>Très" not in page, (name, path)


@pytest.mark.parametrize(("body", "message"), [
    ("", "Please write your note."),
    (" \n\t ", "Please write your note."),
    ("n" * 2001, "At most 2000 characters (you wrote 2001)."),
])
def test_an_empty_or_too_long_note_is_refused_with_a_message(
    signed_in, db, jeanne_id, body, message
):
    before = stored(db, CARNET_TABLES)
    response = signed_in("jeanne").post(f"/carnet/{jeanne_id}/notes", body=body)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="body-error"' in page
    assert f'<p id="body-error" class="field-error">{message}</p>' in page
    assert stored(db, CARNET_TABLES) == before


def test_a_note_of_2000_characters_is_kept(signed_in, db, jeanne_id):
    response = signed_in("jeanne").post(f"/carnet/{jeanne_id}/notes", body="n" * 2000)
    assert response.status_code == 302
    assert db.exec(select(Note.body).order_by(Note.id.desc())).first() == "n" * 2000


def test_claire_can_neither_read_nor_write_jeannes_notes(signed_in, db, jeanne_id):
    claire = signed_in("claire")
    before = stored(db, CARNET_TABLES)
    assert claire.get(f"/carnet/{jeanne_id}/notes").status_code == 404
    assert claire.post(f"/carnet/{jeanne_id}/notes", body="Je passe samedi.").status_code == 404
    assert stored(db, CARNET_TABLES) == before
    home = claire.get(f"/carnet/{jeanne_id}/").get_data(as_text=True)
    assert "Notebook" not in home


def test_a_new_note_tells_its_readers_but_not_its_author(signed_in, db, jeanne_id):
    signed_in("lefevre").post(f"/carnet/{jeanne_id}/notes", body="Résultats normaux.")
    told = set(db.exec(select(Notification.account_id).where(
        Notification.kind == NotificationKind.NOTE_ADDED)).all())
    assert persona(db, "jeanne").id in told and persona(db, "amina").id in told
    assert persona(db, "lefevre").id not in told
    assert persona(db, "claire").id not in told  # Jeanne does not share her notes with her


def test_a_note_is_not_kept_when_its_readers_cannot_be_told(app, engine, db, jeanne_id,
                                                            monkeypatch):
    """The note and its notifications are one transaction: both are kept, or neither."""
    real_notify = notes.notify

    def notify_then_fail(*args, **kwargs):
        assert real_notify(*args, **kwargs)
        raise RuntimeError("the outbox is broken")

    monkeypatch.setattr(notes, "notify", notify_then_fail)
    before = stored(db, CARNET_TABLES)
    with app.app_context(), Session(engine) as session:
        patient = session.get(Patient, jeanne_id)
        with pytest.raises(RuntimeError):
            notes.add_note(session, patient, persona(session, "lefevre"), "Résultats normaux.")
    assert stored(db, CARNET_TABLES) == before


@pytest.mark.db_engine
def test_unread_notes_are_new_for_the_reader_until_she_has_read_the_notebook(
    signed_in, jeanne_id
):
    jeanne, lefevre = signed_in("jeanne"), signed_in("lefevre")
    jeanne.get(f"/carnet/{jeanne_id}/notes")  # she has read everything so far
    lefevre.post(f"/carnet/{jeanne_id}/notes", body="Résultats normaux.")
    jeanne.post(f"/carnet/{jeanne_id}/notes", body="Merci docteur.")

    first = jeanne.get(f"/carnet/{jeanne_id}/notes").get_data(as_text=True)
    again = jeanne.get(f"/carnet/{jeanne_id}/notes").get_data(as_text=True)

    assert _new_marks(first) == ["Résultats normaux."]
    assert '<span class="badge">New</span>' in first
    assert _new_marks(again) == []
    assert "Résultats normaux." in again


def test_jeannes_home_counts_the_notes_she_has_not_read(signed_in, jeanne_id):
    jeanne, lefevre = signed_in("jeanne"), signed_in("lefevre")
    jeanne.get(f"/carnet/{jeanne_id}/notes")
    lefevre.post(f"/carnet/{jeanne_id}/notes", body="Résultats normaux.")
    assert "1 new note" in jeanne.get(f"/carnet/{jeanne_id}/").get_data(as_text=True)
    jeanne.get(f"/carnet/{jeanne_id}/notes")
    assert "No new note." in jeanne.get(f"/carnet/{jeanne_id}/").get_data(as_text=True)


@pytest.mark.db_engine
def test_the_notebook_shows_20_notes_a_page_newest_first(signed_in, db, jeanne_id):
    author = persona(db, "amina")
    db.add_all(Note(patient_id=jeanne_id, author_account_id=author.id,
                    author_role="professional", body=f"Passage n° {n}") for n in range(45))
    db.commit()
    total = db.exec(select(sa.func.count()).select_from(Note).where(
        Note.patient_id == jeanne_id)).one()
    jeanne = signed_in("jeanne")

    pages = [jeanne.get(f"/carnet/{jeanne_id}/notes?page={n}").get_data(as_text=True)
             for n in (1, 2, 3, 99)]

    bodies = [re.findall(r'<p class="note__body"[^>]*>([^<]*)</p>', page) for page in pages]
    assert [len(b) for b in bodies] == [20, 20, total - 40, total - 40]
    assert "Page 1 of 3" in pages[0] and "Page 3 of 3" in pages[3]
    assert len({body for page in bodies[:3] for body in page}) == total
