"""The people around a carnet: patients, professionals, care teams, caregivers."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_field, enum_field, json_field, text_field, time_field
from .enums import Profession, TeamRole


class Patient(SQLModel, table=True):
    """A carnet: one per patient, owned by the patient's account."""

    __tablename__ = "patient"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", unique=True)
    birth_date: date | None = None
    town: str = Field(default="", max_length=120)
    address: str = Field(default="", max_length=300)  # for home visits
    phone: str = Field(default="", max_length=30)
    conditions: list = json_field()  # Condition values
    # Private calendar feed: the hash of a revocable token (the URL is shown to the patient).
    calendar_token_hash: str | None = Field(default=None, max_length=128, unique=True)
    created_at: datetime = created_field()


class Professional(SQLModel, table=True):
    """A health or social professional of the territory."""

    __tablename__ = "professional"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", unique=True)
    profession: Profession = enum_field(Profession)
    rpps: str = Field(default="", max_length=11)  # national professional identifier
    structure: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=30)
    created_at: datetime = created_field()


class CareTeamMember(SQLModel, table=True):
    """A professional in a patient's care team (équipe de soins), where sharing is presumed."""

    __tablename__ = "care_team_member"
    __table_args__ = (sa.UniqueConstraint("patient_id", "professional_id"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    professional_id: int = Field(foreign_key="professional.id", index=True)
    team_role: TeamRole = enum_field(TeamRole, default=TeamRole.MEMBER)
    contact_for: str = text_field()  # "call me about…", in the patient's words
    position: int = Field(default=0)
    added_by_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = created_field()
    ended_at: datetime | None = time_field()


class CaregiverLink(SQLModel, table=True):
    """A caregiver (aidant) of a patient.

    What the caregiver may see or do is not stored here: it is derived from the
    consent ledger (ConsentEvent), like every other permission.
    """

    __tablename__ = "caregiver_link"
    __table_args__ = (sa.UniqueConstraint("patient_id", "caregiver_account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    caregiver_account_id: int = Field(foreign_key="account.id", index=True)
    relationship: str = Field(default="", max_length=80)  # "daughter", "neighbour"…
    phone: str = Field(default="", max_length=30)
    created_at: datetime = created_field()
    ends_at: datetime | None = time_field()


class CarnetVisit(SQLModel, table=True):
    """When an account last opened a carnet: drives "what changed" and unread marks."""

    __tablename__ = "carnet_visit"
    __table_args__ = (sa.UniqueConstraint("account_id", "patient_id"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    last_visit_at: datetime | None = time_field()  # the latest opening of the carnet
    # "What changed since my last visit": the start of the visit before the current one.
    changes_since: datetime | None = time_field()
    notes_read_at: datetime | None = time_field()
