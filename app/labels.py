"""Translated words for the enumerations of the model, for pages and notifications."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import (
    ActionStatus,
    AppointmentKind,
    AppointmentStatus,
    Condition,
    ContentStatus,
    Delegation,
    PlanItemKind,
    Profession,
    ReadingLevel,
    ReviewAction,
    Role,
    TeamRole,
)

LABELS = {
    Profession: {
        Profession.GP: _l("General practitioner"),
        Profession.NURSE: _l("Nurse"),
        Profession.IPA: _l("Advanced-practice nurse"),
        Profession.PHARMACIST: _l("Pharmacist"),
        Profession.PHYSIOTHERAPIST: _l("Physiotherapist"),
        Profession.SOCIAL_WORKER: _l("Social worker"),
        Profession.COORDINATOR: _l("Care coordinator"),
        Profession.CARDIOLOGIST: _l("Cardiologist"),
        Profession.PULMONOLOGIST: _l("Pulmonologist"),
        Profession.ONCOLOGIST: _l("Oncologist"),
        Profession.DIETITIAN: _l("Dietitian"),
        Profession.OTHER: _l("Health professional"),
    },
    TeamRole: {
        TeamRole.MEMBER: _l("Care team member"),
        TeamRole.ATTENDING: _l("Attending doctor"),
        TeamRole.REFERENT: _l("Care coordinator (referent)"),
    },
    Role: {
        Role.PATIENT: _l("patient"),
        Role.CAREGIVER: _l("caregiver"),
        Role.PROFESSIONAL: _l("professional"),
        Role.EDITOR: _l("editor"),
        Role.ADMIN: _l("administrator"),
    },
    Delegation: {
        Delegation.ASKED: _l("asked, no answer yet"),
        Delegation.ACCEPTED: _l("accepted"),
        Delegation.DECLINED: _l("declined"),
    },
    ActionStatus: {
        ActionStatus.TODO: _l("To do"),
        ActionStatus.IN_PROGRESS: _l("In progress"),
        ActionStatus.DONE: _l("Done"),
    },
    PlanItemKind: {
        PlanItemKind.PROBLEM: _l("Health problem"),
        PlanItemKind.GOAL: _l("Goal"),
        PlanItemKind.ACTION: _l("Action"),
    },
    AppointmentKind: {
        AppointmentKind.VISIT: _l("Visit"),
        AppointmentKind.HOME_VISIT: _l("Home visit"),
        AppointmentKind.TELECONSULTATION: _l("Teleconsultation"),
    },
    AppointmentStatus: {
        AppointmentStatus.SCHEDULED: _l("Scheduled"),
        AppointmentStatus.CANCELLED: _l("Cancelled"),
    },
    Condition: {
        Condition.HEART_FAILURE: _l("Heart failure"),
        Condition.DIABETES_T2: _l("Type 2 diabetes"),
        Condition.COPD: _l("COPD"),
        Condition.CANCER_FOLLOW_UP: _l("Cancer follow-up"),
    },
    ContentStatus: {
        ContentStatus.DRAFT: _l("Draft"),
        ContentStatus.IN_REVIEW: _l("In review"),
        ContentStatus.PUBLISHED: _l("Published"),
        ContentStatus.RETIRED: _l("Retired"),
    },
    ReviewAction: {
        ReviewAction.EDIT: _l("changed the draft"),
        ReviewAction.SUBMIT: _l("sent for review"),
        ReviewAction.COMMENT: _l("commented"),
        ReviewAction.APPROVE: _l("approved"),
        ReviewAction.REQUEST_CHANGES: _l("asked for changes"),
        ReviewAction.PUBLISH: _l("published"),
        ReviewAction.RETIRE: _l("retired"),
    },
    ReadingLevel: {
        ReadingLevel.FALC: _l("Easy to read (FALC)"),
        ReadingLevel.STANDARD: _l("Standard"),
    },
}


def label(value) -> str:
    """The translated word for an enumeration member ("" for None)."""
    if value is None:
        return ""
    return str(LABELS[type(value)][value])
