"""Me → Notifications, the choices: which kinds, quiet hours, the daily digest.

The form is a plain POST → redirect → GET; bad input answers 400 with a message beside
each field and stores nothing. The rules themselves (``preferences.route``) are checked
at fixed instants: the clock is passed in, never read.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.models import (
    DeliveryStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    Role,
)
from app.push import preferences
from app.push.preferences import Route, route

from .carnet_actions import field_error, stored
from .conftest import persona

PARIS = ZoneInfo("Europe/Paris")


def paris(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    """A Paris wall-clock instant in January 2027 (winter time, UTC+1), in UTC."""
    return datetime(2027, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def choice(**values) -> NotificationPreference:
    return NotificationPreference(account_id=1, **values)


NIGHT = {"quiet_start": time(22, 0), "quiet_end": time(7, 0)}
REPORT = Notification(account_id=1, kind=NotificationKind.SYMPTOM_REPORT)
URGENT = Notification(account_id=1, kind=NotificationKind.SYMPTOM_REPORT, urgent=True)
NOTE = Notification(account_id=1, kind=NotificationKind.NOTE_ADDED)
URGENT_NOTE = Notification(account_id=1, kind=NotificationKind.NOTE_ADDED, urgent=True)


# -- the rules, at fixed instants -------------------------------------------------------

@pytest.mark.parametrize(("preference", "role", "notification", "now", "expected"), [
    # Nobody chose anything: sent.
    (None, Role.PROFESSIONAL, REPORT, paris(14, 23), Route()),
    # Outside quiet hours: sent.
    (choice(**NIGHT), Role.PROFESSIONAL, REPORT, paris(14, 12), Route()),
    (choice(**NIGHT), Role.PATIENT, NOTE, paris(14, 21, 59), Route()),
    (choice(**NIGHT), Role.PATIENT, NOTE, paris(15, 7), Route()),
    # Inside, before midnight and after: non-urgent ones wait until 07:00.
    (choice(**NIGHT), Role.PROFESSIONAL, REPORT, paris(14, 23), Route(paris(15, 7))),
    (choice(**NIGHT), Role.PATIENT, NOTE, paris(15, 3, 30), Route(paris(15, 7))),
    (choice(**NIGHT), Role.CAREGIVER, NOTE, paris(14, 22), Route(paris(15, 7))),
    # Urgent, for a professional: his own choice.
    (choice(**NIGHT), Role.PROFESSIONAL, URGENT, paris(14, 23), Route()),
    (choice(**NIGHT, urgent_during_quiet=False), Role.PROFESSIONAL, URGENT, paris(14, 23),
     Route(paris(15, 7))),
    # Urgent, for a patient or a caregiver: it waits too (see app/push/preferences.py).
    (choice(**NIGHT), Role.PATIENT, URGENT_NOTE, paris(14, 23), Route(paris(15, 7))),
    (choice(**NIGHT), Role.CAREGIVER, URGENT_NOTE, paris(15, 1), Route(paris(15, 7))),
    # Quiet hours within a day (a nap).
    (choice(quiet_start=time(13), quiet_end=time(15)), Role.PATIENT, NOTE, paris(14, 14),
     Route(paris(14, 15))),
    (choice(quiet_start=time(13), quiet_end=time(15)), Role.PATIENT, NOTE, paris(14, 15),
     Route()),
    # A kind not wanted is dropped, urgent or not.
    (choice(muted_kinds=["symptom_report"]), Role.PROFESSIONAL, URGENT, paris(14, 12),
     Route(drop="not wanted")),
    (choice(muted_kinds=["symptom_report"]), Role.PROFESSIONAL, NOTE, paris(14, 12), Route()),
    # The digest: non-urgent ones wait for 18:00; urgent ones do not.
    (choice(daily_digest=True), Role.PROFESSIONAL, REPORT, paris(14, 10), Route(paris(14, 18))),
    (choice(daily_digest=True), Role.PATIENT, NOTE, paris(14, 18), Route(paris(15, 18))),
    (choice(daily_digest=True), Role.PROFESSIONAL, URGENT, paris(14, 10), Route()),
    # The digest itself keeps quiet hours.
    (choice(daily_digest=True, quiet_start=time(17), quiet_end=time(19)), Role.PATIENT,
     Notification(account_id=1, kind=NotificationKind.DIGEST), paris(14, 18),
     Route(paris(14, 19))),
])
def test_route(preference, role, notification, now, expected):
    assert route(preference, role, notification, now) == expected


def test_quiet_hours_end_on_the_wall_clock_across_the_autumn_change():
    # 25 October 2026: at 03:00 summer time clocks go back to 02:00 winter time.
    night = choice(**NIGHT)
    at_midnight = datetime(2026, 10, 25, 0, 0, tzinfo=PARIS).astimezone(UTC)
    until = preferences.quiet_until(night, at_midnight)
    assert until.astimezone(PARIS).time() == time(7, 0)
    assert until == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)  # UTC+1 by then


def test_the_digest_time_is_18_paris_whatever_the_season():
    assert preferences.next_digest_time(paris(14, 9)) == datetime(2027, 1, 14, 17, tzinfo=UTC)
    assert preferences.next_digest_time(paris(14, 9, month=7)) == datetime(
        2027, 7, 14, 16, tzinfo=UTC)
    assert preferences.last_digest_time(paris(14, 9)) == paris(13, 18)


# -- the form ---------------------------------------------------------------------------

PREFERENCES = ("notification_preference",)


def _choice(db, name: str) -> NotificationPreference | None:
    db.expire_all()
    return db.exec(select(NotificationPreference).where(
        NotificationPreference.account_id == persona(db, name).id)).first()


def test_lefevre_sees_his_choices_and_the_urgent_one(signed_in):
    page = signed_in("lefevre").get("/me/notifications").get_data(as_text=True)
    assert 'action="/me/notifications/preferences"' in page
    assert 'name="urgent_during_quiet"' in page
    assert "A patient reports how they feel" in page
    # Every kind is on until he says otherwise.
    offered = len(preferences.offered(Role.PROFESSIONAL))  # his patients' and his drafts'
    assert page.count('name="kinds"') == page.count('name="kinds" value') == offered == 7
    assert page.count(" checked>") >= offered + 1


def test_jeanne_is_not_offered_urgent_notifications_at_night(signed_in):
    page = signed_in("jeanne").get("/me/notifications").get_data(as_text=True)
    assert 'name="urgent_during_quiet"' not in page
    assert "Reminder the day before an appointment" in page
    assert "A patient reports how they feel" not in page


def test_lefevre_saves_his_choices(signed_in, db):
    lefevre = signed_in("lefevre")
    response = lefevre.post("/me/notifications/preferences",
                            kinds=["symptom_report", "consent_changed"],
                            quiet_start="22:00", quiet_end="07:00", daily_digest="1")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me/notifications")
    saved = _choice(db, "lefevre")
    assert saved.muted_kinds == ["note_added", "review_requested", "draft_approved",
                                 "draft_returned", "draft_published"]
    assert (saved.quiet_start, saved.quiet_end) == (time(22), time(7))
    assert saved.daily_digest and not saved.urgent_during_quiet
    assert saved.last_digest_at is not None  # the first digest is the next one, not now
    page = lefevre.get("/me/notifications").get_data(as_text=True)
    assert "Your notification choices are saved." in page
    assert 'value="22:00"' in page and 'value="07:00"' in page
    assert 'value="note_added">' in page  # unticked


def test_jeanne_wants_nothing_at_all(signed_in, db):
    response = signed_in("jeanne").post("/me/notifications/preferences")
    assert response.status_code == 302
    saved = _choice(db, "jeanne")
    assert set(saved.muted_kinds) == {k.value for k in preferences.offered(Role.PATIENT)}
    assert saved.quiet_start is None and not saved.daily_digest
    assert saved.urgent_during_quiet  # not hers to choose: left as it was


@pytest.mark.db_engine
def test_saving_twice_keeps_one_row(signed_in, db):
    claire = signed_in("claire")
    claire.post("/me/notifications/preferences", kinds=["note_added"])
    claire.post("/me/notifications/preferences", kinds=["plan_changed"], quiet_start="21:30",
                quiet_end="08:15")
    rows = db.exec(select(NotificationPreference).where(
        NotificationPreference.account_id == persona(db, "claire").id)).all()
    assert len(rows) == 1
    assert "note_added" in rows[0].muted_kinds and "plan_changed" not in rows[0].muted_kinds


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start", "Give a time like 22:00."),
    ({"quiet_start": "22:00", "quiet_end": "7h"}, "quiet_end", "Give a time like 22:00."),
    ({"quiet_start": "22:00"}, "quiet_end",
     "Give the time your quiet hours end, or clear both."),
    ({"quiet_end": "07:00"}, "quiet_start",
     "Give the time your quiet hours start, or clear both."),
    ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end",
     "Quiet hours must end at another time than they start."),
    ({"daily_digest": "perhaps"}, "daily_digest",
     "This choice could not be read. Please try again."),
    ({"urgent_during_quiet": "x" * 5000}, "urgent_during_quiet",
     "This choice could not be read. Please try again."),
])
def test_bad_input_is_refused_beside_its_field(signed_in, db, data, field, message):
    lefevre = signed_in("lefevre")
    before = stored(db, PREFERENCES)

    response = lefevre.post("/me/notifications/preferences", **data)

    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), f"{field}-error") == message
    assert stored(db, PREFERENCES) == before


def test_an_unknown_kind_is_refused(signed_in, db):
    before = stored(db, PREFERENCES)
    response = signed_in("jeanne").post("/me/notifications/preferences",
                                        kinds=["symptom_report"], quiet_start="22:00",
                                        quiet_end="07:00")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'aria-describedby="kinds-error"' in page
    assert '<p id="kinds-error" class="field-error">Choose among the kinds shown.</p>' in page
    assert 'value="22:00"' in page  # what she typed is kept
    assert stored(db, PREFERENCES) == before


def test_bad_input_on_a_french_page_answers_a_french_page(signed_in, db):
    lefevre = signed_in("lefevre")
    lefevre.actions.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = lefevre.post("/me/notifications/preferences", quiet_start="demain")
    assert response.status_code == 400
    assert '<html lang="fr"' in response.get_data(as_text=True)


def test_without_the_csrf_token_nothing_is_stored(signed_in, db):
    lefevre = signed_in("lefevre")
    before = stored(db, PREFERENCES)
    response = lefevre.actions.client.post("/me/notifications/preferences",
                                           data={"quiet_start": "22:00", "quiet_end": "07:00"})
    assert response.status_code == 400
    assert stored(db, PREFERENCES) == before


def test_new_choices_apply_to_what_is_waiting(db, demo):
    lefevre = persona(db, "lefevre")
    now = datetime.now(UTC)
    held = Notification(account_id=lefevre.id, kind=NotificationKind.NOTE_ADDED,
                        not_before=now + timedelta(hours=8))
    db.add(held)
    db.commit()

    preferences.save(db, lefevre, {"muted_kinds": [], "quiet_start": None, "quiet_end": None,
                                   "daily_digest": False, "urgent_during_quiet": True}, now)
    db.commit()

    db.expire_all()
    assert db.get(Notification, held.id).not_before == now
    assert db.get(Notification, held.id).status == DeliveryStatus.PENDING
