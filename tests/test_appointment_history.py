"""An appointment's history keeps its dates as ISO instants, and each reader reads them in
their own language and in Paris time.

Dr Lefèvre moves Jeanne's follow-up twice: to Monday 15 July 2030 at 09:30 (summer time,
UTC+2), then to Tuesday 5 November 2030 at 14:15 (winter time, UTC+1).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from app.models import Appointment, AppointmentRevision, ChangeKind
from app.types import utcnow

from .carnet_actions import Browser
from .conftest import DemoActions

PARIS = ZoneInfo("Europe/Paris")
FOLLOW_UP = "Consultation de suivi"  # Jeanne's, with Dr Lefèvre, tomorrow
MOVES = [(datetime(2030, 7, 15, 9, 30, tzinfo=PARIS), timedelta(minutes=20)),
         (datetime(2030, 11, 5, 14, 15, tzinfo=PARIS), timedelta(minutes=20))]


def _follow_up(db, jeanne_id: int) -> Appointment:
    db.expire_all()
    return db.exec(select(Appointment).where(
        Appointment.patient_id == jeanne_id, Appointment.title == FOLLOW_UP,
        Appointment.starts_at > utcnow()).order_by(Appointment.starts_at)).first()


def _move(lefevre: Browser, appointment: Appointment, starts: datetime, length: timedelta):
    """Dr Lefèvre's edit form, saved with a new day and time and nothing else changed."""
    ends = starts + length
    response = lefevre.post(
        f"/carnet/{appointment.patient_id}/appointments/{appointment.id}/edit",
        title=appointment.title, kind=appointment.kind.value, place=appointment.place,
        professional_id=str(appointment.professional_id or ""), address=appointment.address,
        details=appointment.details, version=str(appointment.version),
        day=starts.date().isoformat(), start=starts.strftime("%H:%M"),
        end=ends.strftime("%H:%M"))
    assert response.status_code == 302


@pytest.fixture
def moved(signed_in, db, jeanne_id) -> Appointment:
    """Jeanne's follow-up, moved twice by Dr Lefèvre."""
    lefevre = signed_in("lefevre")
    appointment = _follow_up(db, jeanne_id)
    for starts, length in MOVES:
        _move(lefevre, appointment, starts, length)
        db.refresh(appointment)
    return appointment


def _reader(app, engine, name: str, language: str) -> DemoActions:
    reader = DemoActions(app.test_client(), engine)
    reader.sign_in(name)
    reader.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return reader


def _history(reader: DemoActions, appointment: Appointment) -> str:
    response = reader.client.get(
        f"/carnet/{appointment.patient_id}/appointments/{appointment.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_move_keeps_iso_instants_in_utc(moved, db):
    last = db.exec(select(AppointmentRevision).where(
        AppointmentRevision.appointment_id == moved.id)
        .order_by(col(AppointmentRevision.id).desc())).first()
    assert last.change == ChangeKind.MOVED
    assert last.before == {"starts_at": "2030-07-15T07:30:00+00:00",
                           "ends_at": "2030-07-15T07:50:00+00:00"}
    assert last.after == {"starts_at": "2030-11-05T13:15:00+00:00",
                          "ends_at": "2030-11-05T13:35:00+00:00"}


def test_jeanne_reads_the_move_in_french_in_paris_time(app, engine, moved):
    page = _history(_reader(app, engine, "jeanne", "fr-FR,fr;q=0.9"), moved)
    assert "Date\u00a0: 15 juillet 2030, 09:30 → 5 novembre 2030, 14:15" in page
    assert "déplacé" in page and "dans le plan" not in page  # an appointment, not the plan


def test_claire_reads_it_in_british_english_on_a_24_hour_clock(app, engine, moved):
    page = _history(_reader(app, engine, "claire", "en-GB,en;q=0.8"), moved)
    assert "moved to another time" in page
    assert "Date: 15 July 2030, 09:30 → 5 November 2030, 14:15" in page
    # The appointment itself, at the top of the same page, is written the same way.
    assert "Tuesday, 5 November 2030 · 14:15" in page
