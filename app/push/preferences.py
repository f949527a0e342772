"""What each account wants to be told, and when: kinds, quiet hours, a daily digest, and
for a professional the week's summary of their patients.

Preferences are applied by the worker when it takes a notification from the outbox (the
fan-out), not when the notification is written. Three reasons: every row passes there,
including those the consent ledger and access requests write without ``notify``; the
choice that counts is the one in force when the message would wake the phone (quiet
hours turned off at 23:00 release what was waiting); and the writer's transaction — a
symptom report, a change of the plan — stays as short as it was.

- A muted kind is dropped ("not wanted").
- With the daily digest, a non-urgent notification waits for the next digest time
  (``DIGEST_TIME``, Paris): then the waiting ones are folded into one DIGEST notification
  and dropped ("folded into a digest"). Urgent ones are never folded.
- With the weekly summary (professionals), one WEEKLY_SUMMARY notification each Monday
  from ``WEEKLY_TIME`` (Paris) links to the week's page. A summary is neither muted by
  kind nor folded into the digest: choosing it is the choice.
- During quiet hours (Paris wall clock, may span midnight) a notification waits until
  they end (``not_before``). An urgent one for a professional follows the professional's
  own ``urgent_during_quiet``. For patients and caregivers everything waits: what they are
  told (their plan, an appointment, a note, tomorrow's reminder) can always wait until
  morning, the push cannot say what changed anyway, and Carnet is not an emergency line —
  an alert rule that fires tells the care team, who call. Their sleep matters more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from ..carnet.validation import InputError
from ..models import (
    Account,
    DeliveryStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    Role,
)

PARIS = ZoneInfo("Europe/Paris")
# The daily digest is made at 18:00, Paris time: after the day's rounds and consultations,
# before the evening. (Quiet hours that cover 18:00 hold it until they end.)
DIGEST_TIME = time(18, 0)
# The weekly summary: Monday at 07:00, Paris time, before the week's first consultations.
WEEKLY_DAY, WEEKLY_TIME = 0, time(7, 0)  # date.weekday(): Monday is 0
SUMMARIES = frozenset({NotificationKind.DIGEST, NotificationKind.WEEKLY_SUMMARY})

# The kinds each kind of person may hear of (notifications.AUDIENCE, the consent ledger
# and access requests): the ones the form offers to mute.
OFFERED: dict[Role, tuple[NotificationKind, ...]] = {
    Role.PATIENT: (NotificationKind.PLAN_CHANGED, NotificationKind.APPOINTMENT_CHANGED,
                   NotificationKind.APPOINTMENT_REMINDER, NotificationKind.NOTE_ADDED,
                   NotificationKind.ACCESS_REQUESTED),
    Role.CAREGIVER: (NotificationKind.PLAN_CHANGED, NotificationKind.APPOINTMENT_CHANGED,
                     NotificationKind.APPOINTMENT_REMINDER, NotificationKind.NOTE_ADDED,
                     NotificationKind.CONSENT_CHANGED),
    Role.PROFESSIONAL: (NotificationKind.SYMPTOM_REPORT, NotificationKind.NOTE_ADDED,
                        NotificationKind.CONSENT_CHANGED, NotificationKind.REVIEW_REQUESTED,
                        NotificationKind.DRAFT_APPROVED, NotificationKind.DRAFT_RETURNED,
                        NotificationKind.DRAFT_PUBLISHED),
    Role.EDITOR: (NotificationKind.REVIEW_REQUESTED, NotificationKind.DRAFT_APPROVED,
                  NotificationKind.DRAFT_RETURNED, NotificationKind.DRAFT_PUBLISHED),
}

KIND_LABELS = {
    NotificationKind.SYMPTOM_REPORT: _l("A patient reports how they feel"),
    NotificationKind.CONSENT_CHANGED: _l("A patient changes what I can see"),
    NotificationKind.ACCESS_REQUESTED: _l("Someone asks to see my carnet"),
    NotificationKind.PLAN_CHANGED: _l("The care plan changes"),
    NotificationKind.APPOINTMENT_CHANGED: _l("An appointment is added, moved or cancelled"),
    NotificationKind.APPOINTMENT_REMINDER: _l("Reminder the day before an appointment"),
    NotificationKind.NOTE_ADDED: _l("A new message in the notebook"),
    NotificationKind.REVIEW_REQUESTED: _l("A draft page or questionnaire waits for a review"),
    NotificationKind.DRAFT_APPROVED: _l("A reviewer approves my draft"),
    NotificationKind.DRAFT_RETURNED: _l("A reviewer asks for changes to my draft"),
    NotificationKind.DRAFT_PUBLISHED: _l("My draft is published"),
}

TRUE = {"1", "on", "y", "yes", "true"}


def offered(role: Role) -> tuple[NotificationKind, ...]:
    return OFFERED.get(role, ())


# -- the clock ---------------------------------------------------------------------------

def _at(day: date, wall: time) -> datetime:
    """That Paris wall-clock time on that day, in UTC (a time skipped by the spring
    change reads as the hour after, as a clock on the wall would)."""
    return datetime.combine(day, wall, PARIS).astimezone(UTC)


def quiet_until(preference: NotificationPreference | None, now: datetime) -> datetime | None:
    """When the quiet hours around ``now`` end, or None outside them (or without any)."""
    if preference is None or preference.quiet_start is None or preference.quiet_end is None:
        return None
    start, end = preference.quiet_start, preference.quiet_end
    if start == end:
        return None
    local = now.astimezone(PARIS)
    wall, today = local.time().replace(tzinfo=None), local.date()
    if start < end:  # 13:00–15:00
        until = _at(today, end) if start <= wall < end else None
    elif wall >= start:  # 22:00–07:00, before midnight
        until = _at(today + timedelta(days=1), end)
    elif wall < end:  # …after midnight
        until = _at(today, end)
    else:
        until = None
    return until if until is not None and until > now else None


def last_digest_time(now: datetime) -> datetime:
    """The latest digest time at or before ``now``."""
    today = now.astimezone(PARIS).date()
    at = _at(today, DIGEST_TIME)
    return at if at <= now else _at(today - timedelta(days=1), DIGEST_TIME)


def next_digest_time(now: datetime) -> datetime:
    """The first digest time after ``now``."""
    today = now.astimezone(PARIS).date()
    at = _at(today, DIGEST_TIME)
    return at if at > now else _at(today + timedelta(days=1), DIGEST_TIME)


def last_weekly_time(now: datetime) -> datetime:
    """The latest weekly summary time (Monday, ``WEEKLY_TIME``, Paris) at or before ``now``."""
    today = now.astimezone(PARIS).date()
    day = today - timedelta(days=(today.weekday() - WEEKLY_DAY) % 7)
    at = _at(day, WEEKLY_TIME)
    return at if at <= now else _at(day - timedelta(days=7), WEEKLY_TIME)


def next_weekly_time(now: datetime) -> datetime:
    """The first weekly summary time after ``now``."""
    last = last_weekly_time(now).astimezone(PARIS).date()
    return _at(last + timedelta(days=7), WEEKLY_TIME)


# -- the decision ------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    """What the fan-out does with a notification: send it now, hold it, or drop it."""

    hold_until: datetime | None = None
    drop: str = ""

    @property
    def send(self) -> bool:
        return self.hold_until is None and not self.drop


SEND = Route()


def route(preference: NotificationPreference | None, role: Role, notification: Notification,
          now: datetime) -> Route:
    """Apply an account's choices to one of its notifications, at ``now``."""
    if preference is None:
        return SEND
    kind = notification.kind
    if kind not in SUMMARIES and kind.value in (preference.muted_kinds or []):
        return Route(drop="not wanted")
    if preference.daily_digest and not notification.urgent and kind not in SUMMARIES:
        return Route(hold_until=next_digest_time(now))
    until = quiet_until(preference, now)
    if until is None:
        return SEND
    if notification.urgent and role == Role.PROFESSIONAL and preference.urgent_during_quiet:
        return SEND
    return Route(hold_until=until)


def of_accounts(db: Session, account_ids: set[int]) -> dict[int, NotificationPreference]:
    """The preferences of these accounts (those who never chose have none)."""
    if not account_ids:
        return {}
    return {p.account_id: p for p in db.exec(select(NotificationPreference).where(
        col(NotificationPreference.account_id).in_(account_ids)))}


def of(db: Session, account: Account) -> NotificationPreference:
    """This account's preferences, or the defaults (everything, any time) unsaved."""
    found = of_accounts(db, {account.id}).get(account.id)
    return found if found is not None else NotificationPreference(account_id=account.id)


# -- the form ----------------------------------------------------------------------------

def _time(value: str) -> time | None:
    """"22:00" (or "22:00:00", as some browsers send a time input) → a time."""
    if len(value) not in (5, 8) or value[2:3] != ":":
        raise ValueError(value)
    return time.fromisoformat(value).replace(second=0, microsecond=0)


def _flag(form, name: str, errors: dict[str, str]) -> bool:
    values = form.getlist(name)
    if any(value.strip().lower() not in TRUE for value in values):
        errors[name] = _("This choice could not be read. Please try again.")
    return bool(values)


def validate(form, role: Role) -> dict:
    """Clean the preferences form (a MultiDict); raise InputError with every problem."""
    errors: dict[str, str] = {}
    choices = {kind.value for kind in offered(role)}
    wanted = form.getlist("kinds")
    if any(value not in choices for value in wanted) or len(wanted) > len(choices):
        errors["kinds"] = _("Choose among the kinds shown.")
    clean: dict = {"muted_kinds": [kind.value for kind in offered(role)
                                   if kind.value not in wanted]}
    for name in ("quiet_start", "quiet_end"):
        raw = (form.get(name) or "").strip()
        try:
            clean[name] = _time(raw) if raw else None
        except ValueError:
            errors[name] = _("Give a time like 22:00.")
    start, end = clean.get("quiet_start"), clean.get("quiet_end")
    if "quiet_start" not in errors and "quiet_end" not in errors:
        if start is not None and end is None:
            errors["quiet_end"] = _("Give the time your quiet hours end, or clear both.")
        elif end is not None and start is None:
            errors["quiet_start"] = _("Give the time your quiet hours start, or clear both.")
        elif start is not None and start == end:
            errors["quiet_end"] = _("Quiet hours must end at another time than they start.")
    clean["daily_digest"] = _flag(form, "daily_digest", errors)
    clean["email_when_no_device"] = _flag(form, "email_when_no_device", errors)
    if role == Role.PROFESSIONAL:
        clean["urgent_during_quiet"] = _flag(form, "urgent_during_quiet", errors)
        clean["weekly_summary"] = _flag(form, "weekly_summary", errors)
    if errors:
        raise InputError(errors)
    return clean


def save(db: Session, account: Account, clean: dict, now: datetime) -> NotificationPreference:
    """Keep the account's choices; what is waiting is looked at again under them.

    Turning the digest or the weekly summary on starts with the next one, not at once.
    """
    preference = of(db, account)
    if clean["daily_digest"] and not preference.daily_digest:
        preference.last_digest_at = now
    if clean.get("weekly_summary") and not preference.weekly_summary:
        preference.last_weekly_at = now
    for name, value in clean.items():
        setattr(preference, name, value)
    preference.updated_at = now
    db.add(preference)
    # Held for quiet hours or a digest under the former choices: due again now, and the
    # worker applies the new ones (a row in a worker's hands keeps its lease).
    db.exec(sa.update(Notification).where(
        Notification.account_id == account.id, Notification.status == DeliveryStatus.PENDING,
        Notification.attempts == 0, col(Notification.not_before) > now,
        sa.or_(col(Notification.lease_until).is_(None), col(Notification.lease_until) < now),
    ).values(not_before=now))
    return preference
