"""Symptom questionnaires (versioned content) and the patients' reports."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_field, enum_field, json_field, text_field, time_field
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
    patient_id: int = Field(foreign_key="patient.id", index=True)
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
