"""Professionals outside the care team ask; the patient accepts or refuses.

A professional asks either through a link the patient handed them (single-use: spent by
a compare-and-set in the transaction that records the request; expiring; only its hash is
kept) or through the coordinator of the patient's team, who asks on their behalf. Nothing
is shared until the patient accepts, and then only the parts the patient ticks, possibly
until a date.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, url_for
from sqlmodel import Session, col, select

from .. import policy
from ..db import spend_once
from ..models import (
    SECTIONS,
    AccessLink,
    AccessRequest,
    Account,
    NotificationKind,
    Patient,
    Professional,
    RequestStatus,
)
from ..notifications import notify
from ..tokens import digest
from ..types import utcnow
from . import ledger

MESSAGE_MAX = 500


class UnusableLink(Exception):
    """The link was used (by someone else, a moment ago) or has expired."""



def make_link(db: Session, patient: Patient, made_by: Account) -> tuple[AccessLink, str]:
    """A new single-use link for a professional to ask access (flushed), and its token."""
    token = secrets.token_urlsafe(32)
    days = int(current_app.config["CARNET_INVITATION_DAYS"])
    link = AccessLink(patient_id=patient.id, token_hash=digest(token), created_by_id=made_by.id,
                      expires_at=utcnow() + timedelta(days=days))
    db.add(link)
    db.flush()
    return link, token


def link_url(token: str) -> str:
    """The link to hand over, on the public origin."""
    return current_app.config["CARNET_ORIGIN"].rstrip("/") + url_for("consent.ask", token=token)


def usable_link(db: Session, token: str) -> AccessLink | None:
    """The link behind ``token`` if it can still be used: not used, not expired."""
    link = db.exec(select(AccessLink).where(AccessLink.token_hash == digest(token))).first()
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    return link


def ask(db: Session, patient: Patient, requester: Account, sections: list[str], message: str,
        asked_by: Account | None = None, link: AccessLink | None = None) -> AccessRequest:
    """Record a request and tell the patient; a newer request replaces a pending one."""
    sections = [s for s in SECTIONS if s in set(sections)]
    if not sections or len(message) > MESSAGE_MAX:
        raise ValueError("bad request")
    if link is not None:
        _spend(db, link)
    pending = db.exec(select(AccessRequest).where(
        AccessRequest.patient_id == patient.id,
        AccessRequest.requester_account_id == requester.id,
        AccessRequest.status == RequestStatus.PENDING)).first()
    request = pending or AccessRequest(patient_id=patient.id, requester_account_id=requester.id)
    request.scopes = sections
    request.message = message.strip()
    request.asked_by_id = asked_by.id if asked_by else None
    request.created_at = utcnow()
    db.add(request)
    db.flush()
    if link is not None:
        link.access_request_id = request.id
        db.add(link)
    notify(db, patient, NotificationKind.ACCESS_REQUESTED, "", asked_by or requester,
           f"/carnet/{patient.id}/consent",
           to=[db.get(Account, patient.account_id)])
    return request


def _spend(db: Session, link: AccessLink) -> None:
    """Mark ``link`` used in the caller's transaction, unless someone did first: of two
    professionals sending the form at the same instant, one asks, the other is refused."""
    now = utcnow()
    if not spend_once(db, AccessLink, link.id, now, AccessLink.expires_at > now):
        db.rollback()
        raise UnusableLink()


@dataclass
class Pending:
    """A request waiting for the patient, with who asks and who asked for them."""

    request: AccessRequest
    requester: Account
    professional: Professional | None
    asked_by: Account | None


def pending(db: Session, patient: Patient) -> list[Pending]:
    """The requests waiting for the patient's answer, oldest first, in two queries."""
    rows = db.exec(
        select(AccessRequest, Account, Professional)
        .join(Account, Account.id == AccessRequest.requester_account_id)
        .outerjoin(Professional, Professional.account_id == Account.id)
        .where(AccessRequest.patient_id == patient.id,
               AccessRequest.status == RequestStatus.PENDING)
        .order_by(AccessRequest.id)
    ).all()
    helper_ids = {r.asked_by_id for r, _a, _p in rows if r.asked_by_id}
    helpers = {a.id: a for a in db.exec(select(Account).where(col(Account.id).in_(helper_ids)))}
    return [Pending(r, a, p, helpers.get(r.asked_by_id)) for r, a, p in rows]


def pending_request(db: Session, patient: Patient, request_id: int) -> AccessRequest | None:
    request = db.get(AccessRequest, request_id)
    if request is None or request.patient_id != patient.id or (
            request.status != RequestStatus.PENDING):
        return None
    return request


def accept(db: Session, patient: Patient, request: AccessRequest, decided_by: Account,
           scopes: list[str], until: date | None) -> None:
    """Grant what the patient ticked (perhaps less than was asked), until ``until``."""
    requester = db.get(Account, request.requester_account_id)
    event = ledger.grant(db, patient, decided_by, requester, scopes, until)
    request.status = RequestStatus.ACCEPTED
    request.decided_at = utcnow()
    request.consent_event_id = event.id
    db.add(request)


def refuse(db: Session, patient: Patient, request: AccessRequest) -> None:
    """Say no; the professional is told that the patient answered, not more."""
    request.status = RequestStatus.REFUSED
    request.decided_at = utcnow()
    db.add(request)
    notify(db, patient, NotificationKind.CONSENT_CHANGED, "", None, "/",
           to=[db.get(Account, request.requester_account_id)])


def professionals_outside(db: Session, patient: Patient) -> list[tuple[Account, Professional]]:
    """The territory's professionals who are not in the patient's care team."""
    team = policy.care_team_account_ids(db, patient)
    return list(db.exec(
        select(Account, Professional)
        .join(Professional, Professional.account_id == Account.id)
        .where(col(Account.is_active), col(Account.id).not_in(team) if team else True)
        .order_by(Account.last_name, Account.first_name)
    ).all())
