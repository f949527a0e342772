"""Web Push: devices, the notification outbox, deliveries, preferences."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_field, enum_field, json_field, text_field, time_field
from .enums import DeliveryStatus, NotificationKind


class PushSubscription(SQLModel, table=True):
    """A browser's push subscription (PushSubscription.toJSON()) for an account."""

    __tablename__ = "push_subscription"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    endpoint: str = Field(sa_type=sa.Text, unique=True)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    user_agent: str = Field(default="", max_length=300)
    created_at: datetime = created_field()
    last_success_at: datetime | None = time_field()


class Notification(SQLModel, table=True):
    """The outbox: one row per recipient, written in the transaction of the change.

    It carries no health data: the push payload is built from ``kind``, the
    recipient's language and ``url`` at send time.
    """

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    kind: NotificationKind = enum_field(NotificationKind)
    section: str = Field(default="", max_length=32)  # re-checked with the policy at send time
    urgent: bool = Field(default=False)
    topic: str = Field(default="", max_length=32)  # Web Push Topic: newer replaces older
    url: str = Field(default="/", max_length=300)
    status: DeliveryStatus = enum_field(DeliveryStatus, default=DeliveryStatus.PENDING)
    created_at: datetime = created_field()
    not_before: datetime = created_field()  # quiet hours push this later
    expires_at: datetime | None = time_field()
    attempts: int = Field(default=0)
    lease_until: datetime | None = time_field()  # a worker's claim, void once passed
    sent_at: datetime | None = time_field()
    last_error: str = Field(default="", max_length=300)

    __table_args__ = (sa.Index("ix_notification_due", "status", "not_before"),)


class NotificationDelivery(SQLModel, table=True):
    """The delivery of one notification to one device, with its retries."""

    __tablename__ = "notification_delivery"
    __table_args__ = (sa.UniqueConstraint("notification_id", "subscription_id"),)

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    subscription_id: int | None = Field(default=None, foreign_key="push_subscription.id")
    status: DeliveryStatus = enum_field(DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = created_field()
    lease_until: datetime | None = time_field()
    response_status: int | None = None
    last_error: str = text_field()
    sent_at: datetime | None = time_field()


class NotificationPreference(SQLModel, table=True):
    """What an account wants to be told, and when not."""

    __tablename__ = "notification_preference"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", unique=True)
    # NotificationKind values this account does not want; empty: every kind. (A list of
    # the kinds *not* wanted, so that a kind added later reaches people by default.)
    muted_kinds: list = json_field()
    quiet_start: time | None = None  # Europe/Paris wall-clock time; may span midnight
    quiet_end: time | None = None
    urgent_during_quiet: bool = Field(default=True)  # professionals only
    daily_digest: bool = Field(default=False)
    # When this account's last daily digest was made: the compare-and-set that lets one
    # worker only (of several) make each day's digest.
    last_digest_at: datetime | None = time_field()
    # With no device that can receive a push: a content-free e-mail instead, at most one
    # every few hours (``last_email_at``, also the compare-and-set between workers).
    email_when_no_device: bool = Field(default=False)
    last_email_at: datetime | None = time_field()
    # Professionals only: the week's summary of their patients, each Monday morning;
    # ``last_weekly_at`` is its compare-and-set between workers, as ``last_digest_at``.
    weekly_summary: bool = Field(default=False)
    last_weekly_at: datetime | None = time_field()
    updated_at: datetime = created_field()
