"""The second channel: someone who chose it and has no device for pushes gets a
content-free e-mail ("Something new in Carnet"), at most one every 12 hours, through a real
SMTP server on this machine (aiosmtpd); nobody else gets one."""

from __future__ import annotations

import random
import socket
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from app.models import DeliveryStatus, Notification
from app.push.worker import Relay
from app.types import utcnow

from .conftest import persona
from .push_actions import jeanne_reports


class Mailbox:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                                     policy=default)))
        return "250 OK"


def _reports(app, db, urgent: bool = False) -> None:
    with app.app_context():  # the outbox asks the policy, which keeps its decisions in g
        jeanne_reports(db, urgent=urgent)


@pytest.fixture
def mailbox(app, monkeypatch):
    box = Mailbox()
    with socket.socket() as probe:  # aiosmtpd checks its own port once started: not 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    yield box
    controller.stop()


def _choose_email(signed_in, name: str) -> None:
    browser = signed_in(name)
    page = browser.get("/me/notifications").get_data(as_text=True)
    assert 'name="email_when_no_device"' in page
    kinds = ["symptom_report", "note_added", "consent_changed"]
    assert browser.post("/me/notifications/preferences", kinds=kinds,
                        email_when_no_device="1").status_code == 302


def test_a_professional_without_a_device_gets_one_content_free_email(
        app, db, demo, signed_in, mailbox):
    _choose_email(signed_in, "lefevre")
    persona(db, "lefevre").locale = "fr"
    db.commit()
    relay = Relay.for_app(app, rng=random.Random(5))
    _reports(app, db, urgent=True)
    _reports(app, db)
    relay.drain(utcnow())

    [(to, mail)] = mailbox.messages  # one e-mail for both, and only to him
    assert to == [persona(db, "lefevre").email]
    assert mail["Subject"] == "Du nouveau dans Carnet"
    body = mail.get_content()
    assert "http://localhost:5000/" in body
    for health in ("Jeanne", "Martin", "symptôme", "rapport", "relevé", "urgent", "souffle"):
        assert health not in body and health not in mail["Subject"]
    db.expire_all()
    his = db.exec(select(Notification).where(
        Notification.account_id == persona(db, "lefevre").id)).all()
    assert {(n.status, n.last_error) for n in his} == {(DeliveryStatus.SENT, "by e-mail")}

    # Within 12 hours, nothing more; after, again.
    _reports(app, db)
    relay.drain(utcnow() + timedelta(hours=1))
    assert len(mailbox.messages) == 1
    _reports(app, db)
    relay.drain(utcnow() + timedelta(hours=13))
    assert len(mailbox.messages) == 2


def test_without_the_choice_or_without_smtp_nobody_is_emailed(app, db, demo, signed_in,
                                                              mailbox, monkeypatch):
    relay = Relay.for_app(app, rng=random.Random(5))
    _reports(app, db)
    relay.drain(utcnow())
    assert mailbox.messages == []  # nobody chose it

    _choose_email(signed_in, "lefevre")
    monkeypatch.setitem(app.config, "SMTP_HOST", "")  # the territory has no mail server
    assert 'name="email_when_no_device"' not in signed_in("lefevre").get(
        "/me/notifications").get_data(as_text=True)
    _reports(app, db)
    relay.drain(utcnow())
    assert mailbox.messages == []
