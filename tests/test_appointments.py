"""Appointments: safe concurrent moves, bad input, questions, and the iCalendar files."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from sqlmodel import select

from app.models import (
    Appointment,
    AppointmentQuestion,
    AppointmentRevision,
    AppointmentStatus,
    AuditEvent,
    ChangeKind,
    Notification,
    NotificationKind,
    Patient,
    Professional,
)
from app.types import utcnow

from .carnet_actions import Browser, field_error, stored
from .conftest import persona

PARIS = ZoneInfo("Europe/Paris")
CARNET_TABLES = ("appointment", "appointment_revision", "appointment_question", "notification")
# Jeanne's next appointments in the demo: tomorrow with Dr Lefèvre, in 3 days with Amina.
WITH_LEFEVRE = "Consultation de suivi"
WITH_AMINA = "Passage infirmier à domicile"


def _carnet_id(db, name: str) -> int:
    return db.exec(select(Patient.id).where(Patient.account_id == persona(db, name).id)).one()


def _upcoming(db, title: str) -> Appointment:
    """Jeanne's next appointment of that title."""
    db.expire_all()
    return db.exec(
        select(Appointment).where(Appointment.title == title, Appointment.starts_at > utcnow(),
                                  Appointment.patient_id == _carnet_id(db, "jeanne"))
        .order_by(Appointment.starts_at)
    ).first()


def _professional_id(db, name: str) -> int:
    account_id = persona(db, name).id
    return db.exec(select(Professional.id).where(Professional.account_id == account_id)).one()


def _in_days(days: int) -> str:
    return (utcnow().astimezone(PARIS).date() + timedelta(days=days)).isoformat()


def _edit_form(browser: Browser, appointment: Appointment, **changes) -> dict:
    """The edit form of ``appointment`` as the browser shows it, with some fields changed."""
    path = f"/carnet/{appointment.patient_id}/appointments/{appointment.id}/edit"
    page = browser.get(path).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    starts, ends = appointment.starts_at.astimezone(PARIS), appointment.ends_at.astimezone(PARIS)
    form = {"title": appointment.title, "kind": appointment.kind.value,
            "professional_id": str(appointment.professional_id or ""),
            "day": starts.date().isoformat(), "start": starts.strftime("%H:%M"),
            "end": ends.strftime("%H:%M"), "place": appointment.place,
            "address": appointment.address, "details": appointment.details, "version": version}
    return {**form, **changes}


def _calendar(response) -> Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"  # appointments: health data
    return Calendar.from_ical(response.get_data())


def _events(calendar: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _feed_link(jeanne: Browser, patient_id: int) -> str:
    """Make a new private link, and read it on the page that shows it once."""
    assert jeanne.post(f"/carnet/{patient_id}/calendar", action="new").status_code == 302
    page = jeanne.get(f"/carnet/{patient_id}/calendar").get_data(as_text=True)
    return re.search(r'id="feed-link" type="text" readonly value="[^"]*(/calendar/[^"]+\.ics)"',
                     page).group(1)


# Concurrent edits --------------------------------------------------------------------------

@pytest.mark.db_engine
def test_when_two_professionals_move_the_same_appointment_the_first_save_wins(signed_in, db):
    lefevre, amina = signed_in("lefevre"), signed_in("amina")
    appointment = _upcoming(db, WITH_AMINA)
    version = appointment.version
    path = f"/carnet/{appointment.patient_id}/appointments/{appointment.id}/edit"
    lefevres_form = _edit_form(lefevre, appointment, start="10:00", end="10:30")
    aminas_form = _edit_form(amina, appointment, title="Pansement et prise de sang")

    assert lefevre.post(path, **lefevres_form).status_code == 302
    refused = amina.post(path, **aminas_form)

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "This was changed meanwhile by Dr Paul Lefèvre. Here is what it says now." in page
    assert 'id="start" name="start" type="time" value="10:00"' in page
    assert f'id="title" name="title" type="text" value="{WITH_AMINA}"' in page
    now = _upcoming(db, WITH_AMINA)
    assert now.starts_at.astimezone(PARIS).time() == time(10, 0)
    assert (now.title, now.version) == (WITH_AMINA, version + 1)
    assert [(r.change, r.account_id) for r in db.exec(
        select(AppointmentRevision).where(AppointmentRevision.appointment_id == appointment.id)
        .order_by(AppointmentRevision.id)
    )][-1] == (ChangeKind.MOVED, persona(db, "lefevre").id)


@pytest.mark.db_engine
def test_a_refused_move_or_cancellation_is_a_read_in_the_audit_trail_never_a_change(
    signed_in, db
):
    lefevre, amina = signed_in("lefevre"), signed_in("amina")
    appointment = _upcoming(db, WITH_AMINA)
    path = f"/carnet/{appointment.patient_id}/appointments/{appointment.id}"
    stale = _edit_form(amina, appointment, title="Pansement et prise de sang")
    lefevre.post(f"{path}/edit", **_edit_form(lefevre, appointment, start="10:00", end="10:30"))
    amina_id = persona(db, "amina").id

    def audited(action: str) -> int:
        return db.exec(select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.actor_account_id == amina_id, AuditEvent.action == action)).one()

    changes, reads = audited("update"), audited("read")
    assert amina.post(f"{path}/edit", **stale).status_code == 409
    assert amina.post(f"{path}/cancel", version=stale["version"], confirm="1").status_code == 409
    # Each answered with the appointment as it is now: a read.
    assert (audited("update"), audited("read")) == (changes, reads + 2)
    assert _upcoming(db, WITH_AMINA).status == AppointmentStatus.SCHEDULED


def test_moving_an_appointment_tells_jeanne_and_claire_but_not_dr_lefevre(signed_in, db):
    lefevre = signed_in("lefevre")
    appointment = _upcoming(db, WITH_LEFEVRE)
    lefevre.post(f"/carnet/{appointment.patient_id}/appointments/{appointment.id}/edit",
                 **_edit_form(lefevre, appointment, start="11:00", end="11:20"))
    told = db.exec(select(Notification.account_id).where(
        Notification.kind == NotificationKind.APPOINTMENT_CHANGED)).all()
    assert sorted(told) == sorted([persona(db, "jeanne").id, persona(db, "claire").id])


# Bad input ---------------------------------------------------------------------------------

BAD_INPUT = [
    # (new or edit, form, field, message)
    ("new", {"title": " "}, "title", "Please write what the appointment is for."),
    ("new", {"title": "t" * 201}, "title", "At most 200 characters (you wrote 201)."),
    ("new", {"details": "d" * 2001}, "details", "At most 2000 characters (you wrote 2001)."),
    ("new", {"day": "{yesterday}"}, "day", "This date and time are already past."),
    ("new", {"day": "31/12/2026"}, "day", "Give a date like 31/12/2026."),
    ("new", {"start": "25:00"}, "start", "Give a time like 14:30."),
    ("new", {"end": "09:00"}, "end", "The end must come after the start."),
    ("new", {"end": "10:00"}, "end", "The end must come after the start."),
    ("new", {"kind": "surgery"}, "kind", "Choose a kind of appointment from the list."),
    ("new", {"professional_id": "{lucas}"}, "professional_id",
     "Choose a professional from the list."),
    ("new", {"professional_id": "Dr Lefèvre"}, "professional_id",
     "Choose a professional from the list."),
    ("edit", {"title": ""}, "title", "Please write what the appointment is for."),
    ("edit", {"start": "10:00", "end": "09:30"}, "end", "The end must come after the start."),
    ("edit", {"day": "{yesterday}"}, "day", "This date and time are already past."),
    ("edit", {"kind": ""}, "kind", "Choose a kind of appointment from the list."),
]


@pytest.mark.parametrize(("what", "form", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_message_next_to_the_field(
    signed_in, db, jeanne_id, what, form, field, message
):
    lefevre = signed_in("lefevre")
    values = {"yesterday": _in_days(-1), "lucas": str(_professional_id(db, "lucas"))}
    form = {name: value.format(**values) for name, value in form.items()}
    appointment = _upcoming(db, WITH_LEFEVRE)
    if what == "new":
        path = f"/carnet/{jeanne_id}/appointments/new"
        form = {"title": "Bilan", "kind": "visit",
                "professional_id": str(_professional_id(db, "lefevre")), "day": _in_days(7),
                "start": "10:00", "end": "10:30", **form}
    else:
        path = f"/carnet/{jeanne_id}/appointments/{appointment.id}/edit"
        form = _edit_form(lefevre, appointment, **form)
    before = stored(db, CARNET_TABLES)

    response = lefevre.post(path, **form)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_error(page, f"{field}-error") == message
    assert "Please correct what is shown below." in page
    assert stored(db, CARNET_TABLES) == before


@pytest.mark.parametrize(("question", "message"), [
    ("   ", "Please write your question."),
    ("q" * 501, "At most 500 characters (you wrote 501)."),
])
def test_a_question_that_is_empty_or_too_long_is_refused(signed_in, db, question, message):
    appointment = _upcoming(db, WITH_LEFEVRE)
    before = stored(db, CARNET_TABLES)
    response = signed_in("jeanne").post(
        f"/carnet/{appointment.patient_id}/appointments/{appointment.id}/questions",
        question=question)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "question-error") == message
    assert stored(db, CARNET_TABLES) == before


APPOINTMENT_ROUTES = [
    ("GET", "/appointments/{id}"),
    ("GET", "/appointments/{id}/edit"),
    ("POST", "/appointments/{id}/edit"),
    ("POST", "/appointments/{id}/cancel"),
    ("POST", "/appointments/{id}/questions"),
    ("GET", "/appointments/{id}/calendar.ics"),
]


def test_an_unknown_appointment_or_one_of_another_carnet_is_404(
    signed_in, db, jeanne_id, subtests
):
    lefevre = signed_in("lefevre")  # in both Jeanne's and Karim's care teams
    karims = db.exec(select(Appointment).where(
        Appointment.patient_id == _carnet_id(db, "karim"), Appointment.starts_at > utcnow(),
        Appointment.status == AppointmentStatus.SCHEDULED)).first()
    before = stored(db, CARNET_TABLES)
    for whose, appointment_id in (("nobody's", 999_999), ("karim's", karims.id)):
        for method, path in APPOINTMENT_ROUTES:
            with subtests.test(whose=whose, method=method, path=path):
                url = f"/carnet/{jeanne_id}" + path.format(id=appointment_id)
                if method == "GET":
                    response = lefevre.get(url)
                else:
                    response = lefevre.post(url, title="Bilan", kind="visit", day=_in_days(7),
                                            start="10:00", end="10:30", question="Et le sel ?",
                                            version=str(karims.version))
                assert response.status_code == 404
                assert stored(db, CARNET_TABLES) == before


def test_a_question_cannot_be_removed_through_another_appointment(signed_in, db):
    jeanne = signed_in("jeanne")
    asked_at, other = _upcoming(db, WITH_LEFEVRE), _upcoming(db, WITH_AMINA)
    jeanne.post(f"/carnet/{asked_at.patient_id}/appointments/{asked_at.id}/questions",
                question="Puis-je reprendre le vélo ?")
    question = db.exec(select(AppointmentQuestion)).one()
    before = stored(db, CARNET_TABLES)

    for path in (f"/appointments/{other.id}/questions/{question.id}/delete",
                 f"/appointments/{asked_at.id}/questions/999999/delete"):
        response = jeanne.post(f"/carnet/{asked_at.patient_id}{path}")
        assert response.status_code == 404
    assert signed_in("lefevre").post(
        f"/carnet/{asked_at.patient_id}/appointments/{asked_at.id}/questions/{question.id}/delete"
    ).status_code == 404  # only its author removes a question
    assert stored(db, CARNET_TABLES) == before


# Jeanne's appointment page -----------------------------------------------------------------

def test_jeanne_adds_an_upcoming_appointment_to_her_calendar_and_lists_her_questions(
    signed_in, db
):
    jeanne = signed_in("jeanne")
    appointment = _upcoming(db, WITH_LEFEVRE)
    path = f"/carnet/{appointment.patient_id}/appointments/{appointment.id}"
    page = jeanne.get(path).get_data(as_text=True)
    assert f'href="{path}/calendar.ics" download>Add to my calendar</a>' in page
    assert "Questions I want to ask" in page and "No question yet." in page
    assert jeanne.get(f"{path}/calendar.ics").status_code == 200

    response = jeanne.post(f"{path}/questions", question="Faut-il venir à jeun ?")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{path}#questions")
    page = jeanne.get(path).get_data(as_text=True)
    assert "<bdi>Faut-il venir à jeun ?</bdi> <span class=\"muted\">— Jeanne Martin</span>" in page

    question = db.exec(select(AppointmentQuestion)).one()
    assert jeanne.post(f"{path}/questions/{question.id}/delete").status_code == 302
    assert "Faut-il venir à jeun ?" not in jeanne.get(path).get_data(as_text=True)


def test_claire_sees_jeannes_appointment_but_cannot_ask_a_question(signed_in, db):
    claire = signed_in("claire")
    appointment = _upcoming(db, WITH_LEFEVRE)
    path = f"/carnet/{appointment.patient_id}/appointments/{appointment.id}"
    page = claire.get(path).get_data(as_text=True)
    assert 'name="question"' not in page
    assert claire.post(f"{path}/questions", question="Je l'accompagne ?").status_code == 404


# iCalendar ---------------------------------------------------------------------------------

def test_the_calendar_file_of_an_appointment_is_in_paris_time(signed_in, db):
    appointment = _upcoming(db, WITH_LEFEVRE)
    response = signed_in("jeanne").get(
        f"/carnet/{appointment.patient_id}/appointments/{appointment.id}/calendar.ics")

    calendar = _calendar(response)
    [event] = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event["DTSTART"].dt == appointment.starts_at
    assert event["DTEND"].dt == appointment.ends_at
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert str(event["UID"]) == appointment.uid
    assert str(event["SUMMARY"]) == f"{WITH_LEFEVRE} — Dr Paul Lefèvre"
    assert str(event["STATUS"]) == "CONFIRMED"


def test_no_cache_keeps_a_calendar_file_or_the_private_feed(signed_in, client, db, jeanne_id):
    jeanne = signed_in("jeanne")
    appointment = _upcoming(db, WITH_LEFEVRE)
    for response in (
        jeanne.get(f"/carnet/{appointment.patient_id}/appointments/{appointment.id}/calendar.ics"),
        client.get(_feed_link(jeanne, jeanne_id)),
    ):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"


def test_an_appointment_keeps_its_uid_when_downloaded_again_and_when_moved(signed_in, db):
    jeanne, lefevre = signed_in("jeanne"), signed_in("lefevre")
    appointment = _upcoming(db, WITH_LEFEVRE)
    path = f"/carnet/{appointment.patient_id}/appointments/{appointment.id}"
    first, second = (_calendar(jeanne.get(f"{path}/calendar.ics")) for _ in range(2))
    [first], [second] = first.walk("VEVENT"), second.walk("VEVENT")
    assert first["UID"] == second["UID"]

    lefevre.post(f"{path}/edit", **_edit_form(lefevre, appointment, day=_in_days(2)))
    [moved] = _calendar(jeanne.get(f"{path}/calendar.ics")).walk("VEVENT")

    assert moved["UID"] == first["UID"]
    assert int(moved["SEQUENCE"]) > int(first["SEQUENCE"])
    assert moved["DTSTART"].dt.date().isoformat() == _in_days(2)
    assert moved["DTSTART"].params["TZID"] == "Europe/Paris"


def test_jeannes_private_link_is_shown_once_and_her_calendar_subscribes_to_it(
    signed_in, client, db, jeanne_id
):
    jeanne = signed_in("jeanne")
    link = _feed_link(jeanne, jeanne_id)
    assert 'id="feed-link"' not in jeanne.get(f"/carnet/{jeanne_id}/calendar").get_data(
        as_text=True)

    calendar = _calendar(client.get(link))  # a phone's calendar, not signed in

    mine = db.exec(select(Appointment).where(Appointment.patient_id == jeanne_id)).all()
    events = _events(calendar)
    assert set(events) == {a.uid for a in mine}
    assert {e["DTSTART"].params["TZID"] for e in events.values()} == {"Europe/Paris"}
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert _events(_calendar(client.get(link))).keys() == events.keys()


def test_a_cancelled_appointment_is_cancelled_in_the_feed(signed_in, client, db, jeanne_id):
    jeanne, lefevre = signed_in("jeanne"), signed_in("lefevre")
    appointment = _upcoming(db, WITH_AMINA)
    uid, version = appointment.uid, appointment.version
    response = lefevre.post(f"/carnet/{jeanne_id}/appointments/{appointment.id}/cancel",
                            version=str(version), reason="Amina est malade.", confirm="1")
    assert response.status_code == 302

    events = _events(_calendar(client.get(_feed_link(jeanne, jeanne_id))))

    assert str(events[uid]["STATUS"]) == "CANCELLED"
    assert int(events[uid]["SEQUENCE"]) == version + 1
    others = [str(e["STATUS"]) for other, e in events.items() if other != uid]
    assert set(others) == {"CONFIRMED"}


@pytest.mark.parametrize("action", ["new", "revoke"])
def test_a_new_link_or_revoking_it_makes_the_old_link_404(
    signed_in, client, db, jeanne_id, action
):
    jeanne = signed_in("jeanne")
    old = _feed_link(jeanne, jeanne_id)
    assert client.get(old).status_code == 200

    jeanne.post(f"/carnet/{jeanne_id}/calendar", action=action)

    assert client.get(old).status_code == 404
    page = jeanne.get(f"/carnet/{jeanne_id}/calendar").get_data(as_text=True)
    if action == "new":
        new = re.search(r'(/calendar/[^"]+\.ics)"', page).group(1)
        assert client.get(new).status_code == 200
    else:
        assert "Make my private link" in page and 'id="feed-link"' not in page


def test_an_unknown_feed_link_is_404(client, demo):
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_only_jeanne_sees_the_settings_of_her_calendar_link(signed_in, db, jeanne_id):
    for name in ("claire", "lefevre"):
        someone = signed_in(name)
        assert someone.get(f"/carnet/{jeanne_id}/calendar").status_code == 404, name
        assert someone.post(f"/carnet/{jeanne_id}/calendar", action="new").status_code == 404
    db.expire_all()
    assert db.get(Patient, jeanne_id).calendar_token_hash is None


@pytest.mark.db_engine
def test_the_feed_shows_appointments_from_90_days_ago_on(signed_in, client, db, jeanne_id):
    old = Appointment(patient_id=jeanne_id, title="Ancienne consultation", uid="old@carnet",
                      starts_at=utcnow() - timedelta(days=91), ends_at=utcnow() - timedelta(
                          days=91, minutes=-30))
    db.add(old)
    db.commit()
    events = _events(_calendar(client.get(_feed_link(signed_in("jeanne"), jeanne_id))))
    assert "old@carnet" not in events and events
    assert all(isinstance(e["DTSTART"].dt, datetime) for e in events.values())
