"""Who signs in, and how: accounts, passkeys, recovery codes, challenges, invitations."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_field, enum_field, json_field, time_field
from .enums import ChallengePurpose, InvitationKind, Role


class Account(SQLModel, table=True):
    """A person who signs in (with passkeys only; there are no passwords in Carnet)."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    title: str = Field(default="", max_length=20)  # "Dr", shown before the name
    role: Role = enum_field(Role)
    locale: str | None = Field(default=None, max_length=10)
    # WebAuthn user.id: random, never personal data (the spec forbids e-mails there).
    user_handle: str = Field(max_length=100, unique=True)
    # Bumped by "sign out of every device": sessions carrying an older value are void.
    session_generation: int = Field(default=0)
    is_active: bool = Field(default=True)
    created_at: datetime = created_field()
    last_seen_at: datetime | None = time_field()

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.last_name}"
        return f"{self.title} {name}" if self.title else name

    @property
    def initials(self) -> str:
        return (self.first_name[:1] + self.last_name[:1]).upper()


class AccountSession(SQLModel, table=True):
    """A signed-in browser, known to the server: ending it here ends it everywhere.

    The cookie holds a random token whose SHA-256 is ``token_hash``; a cookie whose session
    has ended (sign-out, "sign out of every device", a passkey removed from another one) or
    has outlived its absolute lifetime is refused, even if it was copied before.
    """

    __tablename__ = "account_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = created_field()
    expires_at: datetime = time_field(nullable=False)  # the absolute lifetime
    ended_at: datetime | None = time_field()
    # Secrets to show once (new recovery codes, a private link), read and cleared by the
    # next page: kept here rather than in the cookie, which is signed but not encrypted.
    shown_once: dict = json_field(dict)


class Passkey(SQLModel, table=True):
    """A WebAuthn credential of an account."""

    __tablename__ = "passkey"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    credential_id: str = Field(max_length=1400, unique=True)  # base64url
    public_key: bytes = Field(sa_type=sa.LargeBinary)
    sign_count: int = Field(default=0, sa_type=sa.BigInteger)
    transports: list = json_field()
    aaguid: str = Field(default="", max_length=36)
    backed_up: bool = Field(default=False)
    name: str = Field(max_length=80)
    created_at: datetime = created_field()
    last_used_at: datetime | None = time_field()


class RecoveryCode(SQLModel, table=True):
    """A single-use recovery code: its selector in clear, its secret hashed (argon2id)."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    # The code's first group: finds the row at sign-in, proves nothing.
    selector: str = Field(max_length=8, index=True)
    # argon2id of the rest of the code, salted (the encoded form carries salt and cost).
    code_hash: str = Field(max_length=128)
    created_at: datetime = created_field()
    used_at: datetime | None = time_field()


class WebAuthnChallenge(SQLModel, table=True):
    """A challenge handed to a browser: bound to its session, single-use, short-lived."""

    __tablename__ = "webauthn_challenge"

    id: int | None = Field(default=None, primary_key=True)
    challenge: str = Field(max_length=200, unique=True)  # base64url
    session_binding: str = Field(max_length=128, index=True)
    purpose: ChallengePurpose = enum_field(ChallengePurpose)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    created_at: datetime = created_field()
    expires_at: datetime = time_field(nullable=False)
    used_at: datetime | None = time_field()


class Invitation(SQLModel, table=True):
    """A single-use, expiring link that creates or recovers an account (token stored hashed)."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=128, unique=True)
    kind: InvitationKind = enum_field(InvitationKind)
    account_id: int = Field(foreign_key="account.id", index=True)  # who it is for
    created_by_id: int | None = Field(default=None, foreign_key="account.id")
    patient_id: int | None = Field(default=None, foreign_key="patient.id")  # carnet context
    # What the inviter chose beforehand, e.g. a caregiver's scopes or a team role.
    details: dict = json_field(dict)
    created_at: datetime = created_field()
    expires_at: datetime = time_field(nullable=False)
    used_at: datetime | None = time_field()
