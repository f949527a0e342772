"""Enumerations of the care world, stored as strings."""

from enum import StrEnum


class Role(StrEnum):
    """What kind of person an account is."""

    PATIENT = "patient"
    CAREGIVER = "caregiver"
    PROFESSIONAL = "professional"
    EDITOR = "editor"
    ADMIN = "admin"


class Profession(StrEnum):
    GP = "gp"
    NURSE = "nurse"
    IPA = "ipa"
    PHARMACIST = "pharmacist"
    PHYSIOTHERAPIST = "physiotherapist"
    SOCIAL_WORKER = "social_worker"
    COORDINATOR = "coordinator"
    CARDIOLOGIST = "cardiologist"
    PULMONOLOGIST = "pulmonologist"
    ONCOLOGIST = "oncologist"
    DIETITIAN = "dietitian"
    OTHER = "other"


class TeamRole(StrEnum):
    """The role of a professional in one patient's care team."""

    MEMBER = "member"
    ATTENDING = "attending"  # médecin traitant
    REFERENT = "referent"  # coordinator / référent du parcours


class Condition(StrEnum):
    HEART_FAILURE = "heart_failure"
    DIABETES_T2 = "diabetes_t2"
    COPD = "copd"
    CANCER_FOLLOW_UP = "cancer_follow_up"


class InvitationKind(StrEnum):
    PATIENT = "patient"
    PROFESSIONAL = "professional"
    TEAM_MEMBER = "team_member"
    CAREGIVER = "caregiver"
    RECOVERY = "recovery"


class ChallengePurpose(StrEnum):
    REGISTER = "register"
    AUTHENTICATE = "authenticate"
    REAUTHENTICATE = "reauthenticate"


class PlanItemKind(StrEnum):
    PROBLEM = "problem"
    GOAL = "goal"
    ACTION = "action"


class ActionStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class Delegation(StrEnum):
    """An action put on another professional's name is a request until they answer."""

    ASKED = "asked"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ChangeKind(StrEnum):
    """What a revision of a plan item or an appointment records."""

    CREATED = "created"
    UPDATED = "updated"
    STATUS = "status"
    DELEGATION = "delegation"  # the person asked to do an action accepted or declined
    COMMENT = "comment"
    MOVED = "moved"
    CANCELLED = "cancelled"
    DELETED = "deleted"


class AppointmentKind(StrEnum):
    VISIT = "visit"
    HOME_VISIT = "home_visit"
    TELECONSULTATION = "teleconsultation"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class ContentStatus(StrEnum):
    """Life of co-written content (questionnaires and educational pages)."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETIRED = "retired"


class ConsentKind(StrEnum):
    """A decision of the patient, kept in the consent ledger."""

    GRANT = "grant"
    REVOKE = "revoke"
    OPPOSE = "oppose"
    LIFT_OPPOSITION = "lift_opposition"


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class AuditAction(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"


class NotificationKind(StrEnum):
    SYMPTOM_REPORT = "symptom_report"
    CONSENT_CHANGED = "consent_changed"
    ACCESS_REQUESTED = "access_requested"  # a professional outside the team asks the patient
    PLAN_CHANGED = "plan_changed"
    APPOINTMENT_CHANGED = "appointment_changed"
    APPOINTMENT_REMINDER = "appointment_reminder"
    NOTE_ADDED = "note_added"
    DIGEST = "digest"
    WEEKLY_SUMMARY = "weekly_summary"  # a professional's week: no carnet, no health data
    # Co-written content (no carnet): a draft waits for reviewers; its authors hear how
    # their draft fares.
    REVIEW_REQUESTED = "review_requested"
    DRAFT_APPROVED = "draft_approved"
    DRAFT_RETURNED = "draft_returned"
    DRAFT_PUBLISHED = "draft_published"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"  # no longer allowed, or folded into a digest


class ReviewAction(StrEnum):
    EDIT = "edit"  # someone other than its author changed a draft: a co-author from then on
    SUBMIT = "submit"
    COMMENT = "comment"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    PUBLISH = "publish"
    RETIRE = "retire"


class ReadingLevel(StrEnum):
    FALC = "falc"  # facile à lire et à comprendre
    STANDARD = "standard"
