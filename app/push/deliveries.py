"""The state of deliveries, shared by the worker and by a device's removal.

A notification is settled once none of its deliveries is pending: sent if one device got
it, failed if one gave up, dropped otherwise (no longer allowed, device gone).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from ..db import ids_in
from ..models import DeliveryStatus, Notification, NotificationDelivery
from ..types import utcnow


def settle(db: Session, notification_ids: Iterable[int]) -> None:
    """Give each still-pending notification whose deliveries are all done its outcome: one
    UPDATE for all of them (a worker settles a whole batch at once)."""
    db.flush()
    ids = sorted(set(notification_ids))
    if not ids:
        return
    delivery, notification = NotificationDelivery.__table__, Notification.__table__

    def any_with(status: DeliveryStatus):
        return sa.exists().where(delivery.c.notification_id == notification.c.id,
                                 delivery.c.status == status.value)

    sent, failed = any_with(DeliveryStatus.SENT), any_with(DeliveryStatus.FAILED)
    settled = db.connection().execute(sa.update(notification).where(
        ids_in(db, notification.c.id, ids),
        notification.c.status == DeliveryStatus.PENDING.value,
        notification.c.attempts > 0, ~any_with(DeliveryStatus.PENDING),
    ).values(
        status=sa.case((sent, DeliveryStatus.SENT.value), (failed, DeliveryStatus.FAILED.value),
                       else_=DeliveryStatus.DROPPED.value),
        sent_at=sa.case((sent, sa.func.coalesce(notification.c.sent_at, sa.literal(
            utcnow(), notification.c.sent_at.type))), else_=notification.c.sent_at),
        lease_until=None,
    ).returning(notification.c.id, notification.c.status, notification.c.sent_at))
    # The rows the session holds agree, without the ORM's synchronisation (which costs more
    # than the statement for a batch).
    for row_id, status, sent_at in settled:
        held = db.identity_map.get(db.identity_key(Notification, row_id))
        if held is not None:
            for name, value in (("status", DeliveryStatus(status)), ("sent_at", sent_at),
                                ("lease_until", None)):
                set_committed_value(held, name, value)


def cancel(db: Session, subscription_id: int, reason: str) -> None:
    """Stop the pending deliveries to a device (removed, gone, or moved to someone else)."""
    pending = [NotificationDelivery.subscription_id == subscription_id,
               NotificationDelivery.status == DeliveryStatus.PENDING]
    affected = set(db.exec(select(NotificationDelivery.notification_id).where(*pending)).all())
    db.exec(sa.update(NotificationDelivery).where(*pending).values(
        status=DeliveryStatus.DROPPED, last_error=reason, lease_until=None))
    settle(db, affected)
