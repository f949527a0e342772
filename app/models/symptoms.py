"""Symptom questionnaires (versioned content) and the patients' reports."""

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
from .enums import ContentStatus


class Questionnaire(SQLModel, table=True):
    """One version of a symptom questionnaire in one language.

    ``definition`` holds the items and alert rules as data; a published version is
    never changed in place, a new version is made instead.
    """

    __tablename__ = "questionnaire"
    __table_args__ = (sa.UniqueConstraint("code", "language", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, index=True)  # e.g. "heart_failure"
    condition: str = Field(max_length=32)
    language: str = Field(max_length=10)
    version: int = Field(default=1)
    status: ContentStatus = enum_field(ContentStatus, default=ContentStatus.DRAFT)
    title: str = Field(max_length=200)
    definition: dict = json_field(dict)
    source_id: int | None = Field(default=None, foreign_key="questionnaire.id")
    outdated: bool = Field(default=False)  # a translation whose source changed since
    author_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = created_field()
    published_at: datetime | None = time_field()
    retired_at: datetime | None = time_field()


class SymptomReport(SQLModel, table=True):
    """A "How do I feel today?" report, stored once per client-made UUID."""

    __tablename__ = "symptom_report"

    id: int | None = Field(default=None, primary_key=True)
    language: str = language_field()
    patient_id: int = Field(foreign_key="patient.id")  # indexed below
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    # Made on the phone, so that a report queued offline and sent twice is stored once.
    client_id: str = Field(max_length=36, unique=True)
    content_hash: str = Field(max_length=64)  # tells a replay from a reused UUID
    answers: dict = json_field(dict)
    note: str = text_field()
    urgent: bool = Field(default=False)  # computed by the server, never by the client
    fired_rules: list = json_field()
    reported_by_account_id: int = Field(foreign_key="account.id")
    reported_at: datetime = time_field(nullable=False)  # when the phone made it
    created_at: datetime = created_field()  # when the server stored it
    acknowledged_by_id: int | None = Field(default=None, foreign_key="account.id")
    acknowledged_at: datetime | None = time_field()


# A carnet's reports, a page at a time from where the previous one ended (newest first:
# the index read backwards), and the reports of a period for the trends.
sa.Index("ix_symptom_report_patient_reported", SymptomReport.patient_id,
         SymptomReport.reported_at, SymptomReport.id)
# The reports no one has acknowledged yet (the inbox, the counts of "My patients"): a few
# per carnet, found without reading its whole history.
_WAITING = col(SymptomReport.acknowledged_at).is_(None)
sa.Index("ix_symptom_report_waiting", SymptomReport.patient_id, SymptomReport.urgent,
         SymptomReport.reported_at, SymptomReport.id,
         postgresql_where=_WAITING, sqlite_where=_WAITING)


class ZoneNote(SQLModel, table=True):
    """What the team wrote with one patient for one zone of a condition's plan of action:
    their own words beside the association's page ("my dry weight is 71 kg; call Amina")."""

    __tablename__ = "zone_note"
    __table_args__ = (sa.UniqueConstraint("patient_id", "condition", "zone"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    condition: str = Field(max_length=32)
    zone: str = Field(max_length=8)  # green, amber, red
    text: str = text_field()  # empty: nothing of their own
    language: str = language_field()
    # Optimistic concurrency: a save based on an older version is refused.
    version: int = Field(default=1)
    updated_by_id: int | None = Field(default=None, foreign_key="account.id")
    updated_at: datetime = created_field()
