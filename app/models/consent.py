"""The consent ledger, access requests, and the audit trail of "Who saw my carnet"."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from .base import (
    created_field,
    enum_field,
    json_field,
    language_field,
    text_field,
    time_field,
)
from .enums import AuditAction, ConsentKind, RequestStatus, Role


class ConsentEvent(SQLModel, table=True):
    """A decision of the patient, appended to the ledger and never changed.

    Current permissions are a fold of these events. ``scopes`` lists sections
    ("plan") for reading and "<section>:write" for writing ("notes:write").
    """

    __tablename__ = "consent_event"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: ConsentKind = enum_field(ConsentKind)
    grantee_account_id: int = Field(foreign_key="account.id", index=True)
    scopes: list = json_field()
    ends_at: datetime | None = time_field()
    decided_by_id: int = Field(foreign_key="account.id")
    wording_version: str = Field(default="1", max_length=20)
    created_at: datetime = created_field()


class AccessRequest(SQLModel, table=True):
    """A professional outside the team asks the patient for access to some sections."""

    __tablename__ = "access_request"

    id: int | None = Field(default=None, primary_key=True)
    language: str = language_field()
    patient_id: int = Field(foreign_key="patient.id", index=True)
    requester_account_id: int = Field(foreign_key="account.id", index=True)
    # The coordinator who asked on the requester's behalf, when it did not come from them.
    asked_by_id: int | None = Field(default=None, foreign_key="account.id")
    scopes: list = json_field()
    message: str = text_field()
    status: RequestStatus = enum_field(RequestStatus, default=RequestStatus.PENDING)
    created_at: datetime = created_field()
    decided_at: datetime | None = time_field()
    consent_event_id: int | None = Field(default=None, foreign_key="consent_event.id")


class AccessLink(SQLModel, table=True):
    """A link the patient hands to a professional outside the team, who may then ask access.

    Single-use and short-lived; only its hash is stored. Opening it shows nothing of the
    carnet but the patient's name: the professional asks, the patient decides.
    """

    __tablename__ = "access_link"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    token_hash: str = Field(max_length=128, unique=True)
    created_by_id: int = Field(foreign_key="account.id")
    created_at: datetime = created_field()
    expires_at: datetime = time_field(nullable=False)
    used_at: datetime | None = time_field()
    access_request_id: int | None = Field(default=None, foreign_key="access_request.id")


class HealthLink(SQLModel, table=True):
    """A SMART Health Link the patient hands over (a QR code): a copy of the parts she
    chose, encrypted when she made it with a key that only the link holds.

    Carnet keeps the copy's ciphertext (a JWE), the hash of the link's token and, when she
    set one, the passcode's argon2id hash; never the key. The link ends at ``expires_at``,
    when she revokes it, or at the sixth wrong passcode (``ended_at``).
    """

    __tablename__ = "health_link"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=80)
    sections: list = json_field()
    passcode_hash: str = Field(default="", max_length=200)
    wrong_passcodes: int = Field(default=0)
    content: str = text_field()  # the JWE (compact): emptied when the link ends
    created_at: datetime = created_field()
    expires_at: datetime = time_field(nullable=False)
    ended_at: datetime | None = time_field()


class HealthLinkUse(SQLModel, table=True):
    """One request for a health link's content, given or refused, with the name the
    recipient gave (``recipient`` of the SMART Health Links manifest request)."""

    __tablename__ = "health_link_use"

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="health_link.id", index=True)
    recipient: str = Field(default="", max_length=80)
    given: bool = Field(default=False)
    created_at: datetime = created_field()


class AuditEvent(SQLModel, table=True):
    """A read or change of a patient's data by someone else, allowed or refused.

    Append-only: the application never updates or deletes these rows.
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")  # indexed below, newest first
    actor_account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    actor_role: Role | None = enum_field(Role, default=None)
    section: str = Field(max_length=32)
    action: AuditAction = enum_field(AuditAction)
    allowed: bool = Field(default=True)
    object_type: str = Field(default="", max_length=40)
    object_id: int | None = None
    created_at: datetime = created_field()


# "Who saw my carnet" reads a carnet's lines newest first, a page at a time from where the
# previous one ended: one index walk, however long the carnet's history.
sa.Index("ix_audit_event_patient_newest", AuditEvent.patient_id,
         col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
