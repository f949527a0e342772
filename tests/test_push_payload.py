"""What a push says: translated words, a link and an id — never health data — within the
3,993 bytes of one Web Push record; how long it may wait; its topic."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.models import Account, Notification, NotificationKind, Role
from app.push import payload
from app.types import utcnow

from .push_service import declarative

JEANNE = Account(id=1, email="j@example.org", first_name="Jeanne", last_name="Martin",
                 role=Role.PATIENT, user_handle="j", locale="en")
LEFEVRE = Account(id=2, email="p@example.org", first_name="Paul", last_name="Lefèvre",
                  title="Dr", role=Role.PROFESSIONAL, user_handle="p", locale="en")


def _notification(kind=NotificationKind.SYMPTOM_REPORT, **fields) -> Notification:
    fields = {"topic": f"{kind.value}-7", "url": "/carnet/7/symptoms", **fields}
    return Notification(id=41, account_id=2, patient_id=7, kind=kind, section="symptoms",
                        **fields)


@pytest.fixture(autouse=True)
def _context(app):
    with app.app_context():
        yield


@pytest.mark.parametrize(("kind", "recipient", "title"), [
    (NotificationKind.SYMPTOM_REPORT, LEFEVRE, "New update in Jeanne M.'s carnet"),
    (NotificationKind.NOTE_ADDED, LEFEVRE, "New update in Jeanne M.'s carnet"),
    (NotificationKind.CONSENT_CHANGED, LEFEVRE, "Sharing changed for Jeanne M.'s carnet"),
    (NotificationKind.PLAN_CHANGED, JEANNE, "Your care plan changed"),
    (NotificationKind.APPOINTMENT_CHANGED, JEANNE, "Your appointments changed"),
    (NotificationKind.APPOINTMENT_REMINDER, JEANNE, "Reminder: you have an appointment tomorrow"),
    (NotificationKind.NOTE_ADDED, JEANNE, "New message in your carnet"),
    (NotificationKind.ACCESS_REQUESTED, JEANNE, "Someone asks to see your carnet"),
])
def test_each_kind_has_its_words(kind, recipient, title):
    shown = declarative(json.loads(payload.build(_notification(kind), recipient, JEANNE)))
    assert shown["title"] == title


def test_a_payload_is_a_declarative_web_push_message_safari_shows_by_itself(app):
    message = json.loads(payload.build(_notification(), LEFEVRE, JEANNE, "topic"))
    assert message == {"web_push": 8030, "notification": {
        "title": "New update in Jeanne M.'s carnet", "body": "Open Carnet to see it.",
        "navigate": f"{app.config['CARNET_ORIGIN']}/carnet/7/symptoms", "tag": "topic",
        "lang": "en", "dir": "ltr", "data": {"id": 41, "url": "/carnet/7/symptoms"}}}
    arabic = LEFEVRE.model_copy(update={"locale": "ar"})
    assert declarative(json.loads(payload.build(_notification(), arabic, JEANNE)))["dir"] == "rtl"


def test_french_is_the_default_language():
    stranger = LEFEVRE.model_copy(update={"locale": None})
    shown = json.loads(payload.build(_notification(), stranger, JEANNE))["notification"]
    assert (shown["lang"], shown["dir"]) == ("fr", "ltr")


def test_a_payload_that_would_not_fit_keeps_its_link_and_id():
    long_named = JEANNE.model_copy(update={"first_name": "J" * 5000})
    data = payload.build(_notification(), LEFEVRE, long_named)
    assert len(data) <= payload.PLAINTEXT_MAX
    shown = declarative(json.loads(data))
    assert shown["data"] == {"id": 41, "url": "/carnet/7/symptoms"}


def test_a_payload_that_can_never_fit_is_refused():
    with pytest.raises(payload.PayloadTooLarge):
        payload.build(_notification(url="/" + "x" * 4000), LEFEVRE, JEANNE)


def test_ttl_is_never_zero_and_a_reminder_lives_until_its_appointment():
    now = utcnow()
    assert payload.ttl(_notification(), now, 86400) == 86400
    assert payload.ttl(_notification(), now, 0) == 1
    soon = _notification(expires_at=now + timedelta(hours=3))
    assert payload.ttl(soon, now, 86400) == 3 * 3600
    assert payload.expired(_notification(expires_at=now), now)


def test_the_topic_is_short_stable_and_says_nothing():
    one = payload.topic(_notification(), "secret")
    assert one == payload.topic(_notification(), "secret")
    assert len(one) == payload.TOPIC_MAX and "symptom" not in one
    assert one != payload.topic(_notification(NotificationKind.NOTE_ADDED), "secret")
    assert payload.topic(_notification(topic=""), "secret") is None
