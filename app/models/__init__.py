"""The domain model. Importing this package registers every table on the metadata."""

from sqlmodel import SQLModel

from .accounts import Account, AccountSession, Invitation, Passkey, RecoveryCode, WebAuthnChallenge
from .base import SECTIONS
from .carnet import (
    Appointment,
    AppointmentQuestion,
    AppointmentRevision,
    Note,
    PlanItem,
    PlanRevision,
)
from .consent import (
    AccessLink,
    AccessRequest,
    AuditEvent,
    ConsentEvent,
    HealthLink,
    HealthLinkUse,
)
from .content import ContentFeedback, ContentPage, ContentReview
from .enums import *  # noqa: F403
from .people import CaregiverLink, CareTeamMember, CarnetVisit, Patient, Professional
from .push import Notification, NotificationDelivery, NotificationPreference, PushSubscription
from .symptoms import Questionnaire, SymptomReport, ZoneNote

metadata = SQLModel.metadata

__all__ = [
    "SECTIONS",
    "AccessLink",
    "HealthLink",
    "HealthLinkUse",
    "AccessRequest",
    "Account",
    "AccountSession",
    "Appointment",
    "AppointmentQuestion",
    "AppointmentRevision",
    "AuditEvent",
    "CareTeamMember",
    "CaregiverLink",
    "CarnetVisit",
    "ConsentEvent",
    "ContentFeedback",
    "ContentPage",
    "ContentReview",
    "Invitation",
    "Note",
    "Notification",
    "NotificationDelivery",
    "NotificationPreference",
    "Passkey",
    "Patient",
    "PlanItem",
    "PlanRevision",
    "Professional",
    "PushSubscription",
    "Questionnaire",
    "RecoveryCode",
    "SymptomReport",
    "ZoneNote",
    "WebAuthnChallenge",
    "metadata",
]
