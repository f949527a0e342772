"""The state of deliveries, shared by the worker and by a device's removal.

A notification is settled once none of its deliveries is pending: sent if one device got
it, failed if one gave up, dropped otherwise (no longer allowed, device gone).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ..models import DeliveryStatus, Notification, NotificationDelivery
from ..types import utcnow


def settle(db: Session, notification_ids: Iterable[int]) -> None:
    """Give each still-pending notification whose deliveries are all done its outcome."""
    db.flush()
    ids = set(notification_ids)
    if not ids:
        return
    statuses: dict[int, set[DeliveryStatus]] = {}
    for notification_id, status in db.exec(select(
            NotificationDelivery.notification_id, NotificationDelivery.status).where(
            col(NotificationDelivery.notification_id).in_(ids))):
        statuses.setdefault(notification_id, set()).add(status)
    for notification in db.exec(select(Notification).where(
            col(Notification.id).in_(ids), Notification.status == DeliveryStatus.PENDING,
            Notification.attempts > 0)):
        done = statuses.get(notification.id, set())
        if DeliveryStatus.PENDING in done:
            continue
        if DeliveryStatus.SENT in done:
            notification.status = DeliveryStatus.SENT
            notification.sent_at = notification.sent_at or utcnow()
        elif DeliveryStatus.FAILED in done:
            notification.status = DeliveryStatus.FAILED
        else:
            notification.status = DeliveryStatus.DROPPED
        notification.lease_until = None
        db.add(notification)


def cancel(db: Session, subscription_id: int, reason: str) -> None:
    """Stop the pending deliveries to a device (removed, gone, or moved to someone else)."""
    pending = [NotificationDelivery.subscription_id == subscription_id,
               NotificationDelivery.status == DeliveryStatus.PENDING]
    affected = set(db.exec(select(NotificationDelivery.notification_id).where(*pending)).all())
    db.exec(sa.update(NotificationDelivery).where(*pending).values(
        status=DeliveryStatus.DROPPED, last_error=reason, lease_until=None))
    settle(db, affected)
