"""Reviewers told: a draft sent for review tells the association editors and the
professionals who take part in co-writing (a new kind each may mute), and its authors hear
when it is approved, sent back or published — through the push worker, which applies
everyone's choices."""

from __future__ import annotations

import random

import pytest
from sqlmodel import col, select

from app.models import (
    Account,
    ContentPage,
    ContentReview,
    DeliveryStatus,
    Notification,
    NotificationKind,
    Questionnaire,
    Role,
)
from app.push.worker import Relay
from app.types import utcnow

from .conftest import persona
from .push_actions import subscribe
from .push_service import PushService
from .test_content_workflow import _draft, _step


def _told(db, kind: NotificationKind) -> set[str]:
    db.expire_all()
    rows = db.exec(select(Notification, Account).join(
        Account, Account.id == Notification.account_id).where(Notification.kind == kind)).all()
    return {account.email.split("@")[0] for _row, account in rows}


def test_a_draft_sent_for_review_tells_editors_and_co_writing_professionals(db, demo,
                                                                            signed_in):
    page = _draft(db)
    assert _step(signed_in("francoise"), page, "submit").status_code == 303
    told = {row.account_id for row in db.exec(select(Notification).where(
        Notification.kind == NotificationKind.REVIEW_REQUESTED))}
    editors = set(db.exec(select(Account.id).where(Account.role == Role.EDITOR)).all())
    took_part = set(db.exec(select(ContentReview.account_id)).all()) | set(
        db.exec(select(ContentPage.author_id)).all()) | set(
        db.exec(select(Questionnaire.author_id)).all())
    professionals = set(db.exec(select(Account.id).where(
        Account.role == Role.PROFESSIONAL)).all())
    francoise = persona(db, "francoise").id
    assert told == (editors | (professionals & took_part)) - {francoise}
    assert persona(db, "lefevre").id in told and persona(db, "odile").id in told
    assert professionals - took_part, "the demo has professionals who never co-wrote"
    assert not told & (professionals - took_part)  # not every GP of the territory
    [row] = db.exec(select(Notification).where(
        Notification.account_id == persona(db, "lefevre").id)).all()
    assert (row.url, row.patient_id, row.section) == (f"/authoring/pages/{page.id}", None, "")


def test_the_authors_hear_when_their_draft_is_approved_returned_or_published(db, demo,
                                                                            signed_in):
    page = _draft(db)
    francoise, lefevre, odile = (signed_in(name) for name in ("francoise", "lefevre", "odile"))
    _step(francoise, page, "submit")
    _step(lefevre, page, "request_changes", "Précisez le poids.")
    assert _told(db, NotificationKind.DRAFT_RETURNED) == {"francoise.petit"}
    _step(francoise, page, "submit")
    _step(lefevre, page, "approve")
    _step(odile, page, "approve")
    _step(odile, page, "comment", "Merci !")  # a comment alone tells nobody
    _step(lefevre, page, "publish")
    db.expire_all()
    mine = [row.kind for row in db.exec(select(Notification).where(
        Notification.account_id == persona(db, "francoise").id).order_by(
        col(Notification.id)))]
    assert mine == [NotificationKind.DRAFT_RETURNED, NotificationKind.DRAFT_APPROVED,
                    NotificationKind.DRAFT_APPROVED, NotificationKind.DRAFT_PUBLISHED]


def test_a_reviewer_who_muted_the_kind_is_not_woken(app, db, demo, signed_in):
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    try:
        with app.app_context():
            lefevre_phone, _row = subscribe(db, service, "lefevre")
            odile_phone, _row = subscribe(db, service, "odile")
        persona(db, "odile").locale = "en"
        db.commit()
        lefevre = signed_in("lefevre")
        kinds = ["symptom_report", "note_added", "consent_changed", "draft_approved",
                 "draft_returned", "draft_published"]  # all but review_requested
        assert lefevre.post("/me/notifications/preferences", kinds=kinds).status_code == 302
        page = _draft(db)
        _step(signed_in("francoise"), page, "submit")
        Relay.for_app(app, rng=random.Random(7)).drain(utcnow())

        assert service.payloads(lefevre_phone) == []
        [message] = service.payloads(odile_phone)
        shown = message["notification"]
        assert (shown["title"], shown["data"]["url"]) == (
            "A draft waits for your review", f"/authoring/pages/{page.id}")
        db.expire_all()
        muted = db.exec(select(Notification).where(
            Notification.account_id == persona(db, "lefevre").id)).one()
        assert (muted.status, muted.last_error) == (DeliveryStatus.DROPPED, "not wanted")
        assert service.problems == []
    finally:
        service.stop()


@pytest.mark.parametrize("name", ["lefevre", "odile"])
def test_the_new_kinds_are_on_their_notifications_page(signed_in, name):
    page = signed_in(name).get("/me/notifications").get_data(as_text=True)
    assert "A draft page or questionnaire waits for a review" in page
    assert "My draft is published" in page
