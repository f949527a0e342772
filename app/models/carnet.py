"""The shared carnet itself: care plan (PPCS) with its history, appointments, liaison notes."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from .base import (
    created_field,
    enum_field,
    json_field,
    language_field,
    text_field,
    time_field,
)
from .enums import (
    ActionStatus,
    AppointmentKind,
    AppointmentStatus,
    ChangeKind,
    Delegation,
    PlanItemKind,
)


class PlanItem(SQLModel, table=True):
    """A problem, a goal or an action of the care plan (problems → goals → actions)."""

    __tablename__ = "plan_item"

    id: int | None = Field(default=None, primary_key=True)
    language: str = language_field()
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: PlanItemKind = enum_field(PlanItemKind)
    parent_id: int | None = Field(default=None, foreign_key="plan_item.id", index=True)
    title: str = Field(max_length=200)
    details: str = text_field()
    status: ActionStatus = enum_field(ActionStatus, default=ActionStatus.TODO)
    responsible_account_id: int | None = Field(default=None, foreign_key="account.id")
    # Put on another professional's name, an action waits for their answer (``delegation``):
    # who asked, and the note of their answer (until when, how; or why not).
    delegation: Delegation | None = enum_field(Delegation, default=None, nullable=True)
    delegated_by_id: int | None = Field(default=None, foreign_key="account.id")
    delegation_note: str = text_field()
    # The professional under whose supervision it is done (a cooperation protocol's GP).
    supervisor_account_id: int | None = Field(default=None, foreign_key="account.id")
    due_date: date | None = None
    position: int = Field(default=0)
    # An educational page that helps with this action ("What to do if my ankles swell").
    content_slug: str = Field(default="", max_length=120)
    # Optimistic concurrency: a save based on an older version is refused.
    version: int = Field(default=1)
    created_by_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = created_field()
    updated_by_id: int | None = Field(default=None, foreign_key="account.id")
    updated_at: datetime = created_field()
    archived_at: datetime | None = time_field()


class PlanRevision(SQLModel, table=True):
    """One change of a plan item (who, when, before → after), or a comment on it."""

    __tablename__ = "plan_revision"

    id: int | None = Field(default=None, primary_key=True)
    language: str = language_field()
    plan_item_id: int = Field(foreign_key="plan_item.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    change: ChangeKind = enum_field(ChangeKind)
    version: int = Field(default=1)  # the item's version after this change
    before: dict = json_field(dict)
    after: dict = json_field(dict)
    comment: str = text_field()
    created_at: datetime = created_field()


class Appointment(SQLModel, table=True):
    """An appointment of the patient with a professional."""

    __tablename__ = "appointment"

    id: int | None = Field(default=None, primary_key=True)
    language: str = language_field()
    patient_id: int = Field(foreign_key="patient.id", index=True)
    professional_id: int | None = Field(default=None, foreign_key="professional.id")
    kind: AppointmentKind = enum_field(AppointmentKind, default=AppointmentKind.VISIT)
    status: AppointmentStatus = enum_field(AppointmentStatus, default=AppointmentStatus.SCHEDULED)
    title: str = Field(max_length=200)
    starts_at: datetime = time_field(nullable=False, index=True)
    ends_at: datetime = time_field(nullable=False)
    place: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    details: str = text_field()
    # Stable iCalendar UID, so that a calendar updates the event instead of duplicating it.
    uid: str = Field(max_length=80, unique=True)
    version: int = Field(default=1)
    created_by_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = created_field()
    updated_by_id: int | None = Field(default=None, foreign_key="account.id")
    updated_at: datetime = created_field()
    reminder_sent_at: datetime | None = time_field()


class AppointmentRevision(SQLModel, table=True):
    """One change of an appointment (moved, cancelled, edited)."""

    __tablename__ = "appointment_revision"

    id: int | None = Field(default=None, primary_key=True)
    language: str = language_field()
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    change: ChangeKind = enum_field(ChangeKind)
    version: int = Field(default=1)
    before: dict = json_field(dict)
    after: dict = json_field(dict)
    comment: str = text_field()  # e.g. why it was cancelled
    created_at: datetime = created_field()


class AppointmentQuestion(SQLModel, table=True):
    """A question the patient wants to ask at an appointment."""

    __tablename__ = "appointment_question"

    id: int | None = Field(default=None, primary_key=True)
    language: str = language_field()
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    author_account_id: int = Field(foreign_key="account.id")
    text: str = Field(max_length=500)
    created_at: datetime = created_field()
    asked_at: datetime | None = time_field()


class Note(SQLModel, table=True):
    """A liaison note: a short dated message in the patient's notebook."""

    __tablename__ = "note"

    id: int | None = Field(default=None, primary_key=True)
    language: str = language_field()
    patient_id: int = Field(foreign_key="patient.id", index=True)
    author_account_id: int = Field(foreign_key="account.id")
    # The author's role when writing ("patient", "caregiver", "professional"): a label
    # such as "by Claire Martin (caregiver)" must not change if her role does later.
    author_role: str = Field(max_length=32)
    body: str = text_field()
    symptom_report_id: int | None = Field(default=None, foreign_key="symptom_report.id")
    created_at: datetime = created_field()
