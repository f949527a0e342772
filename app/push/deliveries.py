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
    """Give each still-pending notification whose deliveries are all done its outcome: one
    UPDATE for all of them (a worker settles a whole batch at once)."""
    db.flush()
    ids = sorted(set(notification_ids))
    if not ids:
        return
    delivery = NotificationDelivery.__table__

    def any_with(status: DeliveryStatus):
        return sa.exists().where(delivery.c.notification_id == Notification.id,
                                 delivery.c.status == status.value)

    sent, failed = any_with(DeliveryStatus.SENT), any_with(DeliveryStatus.FAILED)
    db.exec(sa.update(Notification).where(
        col(Notification.id).in_(ids), Notification.status == DeliveryStatus.PENDING,
        Notification.attempts > 0, ~any_with(DeliveryStatus.PENDING),
    ).values(
        status=sa.case((sent, DeliveryStatus.SENT.value), (failed, DeliveryStatus.FAILED.value),
                       else_=DeliveryStatus.DROPPED.value),
        sent_at=sa.case((sent, sa.func.coalesce(Notification.sent_at, sa.literal(
            utcnow(), Notification.__table__.c.sent_at.type))),
                        else_=Notification.sent_at),
        lease_until=None,
    ).execution_options(synchronize_session="fetch"))


def cancel(db: Session, subscription_id: int, reason: str) -> None:
    """Stop the pending deliveries to a device (removed, gone, or moved to someone else)."""
    pending = [NotificationDelivery.subscription_id == subscription_id,
               NotificationDelivery.status == DeliveryStatus.PENDING]
    affected = set(db.exec(select(NotificationDelivery.notification_id).where(*pending)).all())
    db.exec(sa.update(NotificationDelivery).where(*pending).values(
        status=DeliveryStatus.DROPPED, last_error=reason, lease_until=None))
    settle(db, affected)
