"""Invitations: single-use, expiring links that create or recover an account.

Only the SHA-256 of a token is stored; the token itself is shown once, as a link and
as a QR code, to the person handing it over. An invitation is spent by one compare-and-set
in the transaction that keeps the new passkey, so two phones racing with one link never
both get in.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import segno
from flask import current_app, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlmodel import Session, select

from ..db import spend_once
from ..models import Account, Invitation, InvitationKind, Patient
from ..tokens import digest
from ..types import utcnow


class InvitationError(Exception):
    """An invitation that cannot be used; the message is translated and safe to show."""



def create_invitation(
    db: Session,
    account: Account,
    kind: InvitationKind,
    created_by: Account | None = None,
    patient: Patient | None = None,
    details: dict | None = None,
) -> tuple[Invitation, str]:
    """Create an invitation for ``account`` (flushed, not committed), and its token."""
    token = secrets.token_urlsafe(32)
    days = int(current_app.config["CARNET_INVITATION_DAYS"])
    invitation = Invitation(
            token_hash=digest(token),
            kind=kind,
            account_id=account.id,
            created_by_id=created_by.id if created_by else None,
            patient_id=patient.id if patient else None,
            details=details or {},
            expires_at=utcnow() + timedelta(days=days),
    )
    db.add(invitation)
    db.flush()
    return invitation, token


def usable_invitation(db: Session, token: str) -> tuple[Invitation, Account]:
    """The invitation behind ``token`` and the account it is for, if it can still be used."""
    invitation = db.exec(select(Invitation).where(Invitation.token_hash == digest(token))).first()
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid. Check that it was copied "
                                "whole, or ask for a new one."))
    if invitation.used_at is not None:
        raise InvitationError(_("This invitation has already been used. If it was not you, "
                                "tell your care team."))
    if invitation.expires_at <= utcnow():
        raise InvitationError(_("This invitation has expired. Ask for a new one."))
    account = db.get(Account, invitation.account_id)
    if account is None or not account.is_active:
        raise InvitationError(_("This invitation link is not valid. Check that it was copied "
                                "whole, or ask for a new one."))
    return invitation, account


def spend(db: Session, invitation: Invitation) -> None:
    """Mark ``invitation`` used in the caller's transaction, unless someone did first.

    The UPDATE … WHERE used_at IS NULL is the one place that decides between two
    simultaneous registrations: the loser's transaction, with what it added, is rolled back.
    """
    now = utcnow()
    if not spend_once(db, Invitation, invitation.id, now, Invitation.expires_at > now):
        db.rollback()
        raise InvitationError(_("This invitation has already been used. If it was not you, "
                                "tell your care team."))


def invitation_url(token: str) -> str:
    """The link to hand over, on the public origin."""
    path = url_for("auth.invitation", token=token)
    return current_app.config["CARNET_ORIGIN"].rstrip("/") + path


def qr_svg(url: str, label: str | None = None) -> Markup:
    """A QR code of ``url`` as inline SVG, large enough to scan from another phone."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=6, border=3, dark="#000", light="#fff")
    label = Markup.escape(label or _("QR code of the invitation link"))
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))
