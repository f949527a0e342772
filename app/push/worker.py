"""The push worker: from the outbox to every device, at least once, with retries.

Two steps, each claimed by one worker at a time:

0. *Scheduled jobs* (``scheduled``): tomorrow's appointment reminders, the daily digests.
1. *Fan-out*: a due notification is checked against the access policy again (a consent
   revoked since it was written drops it), then against its recipient's preferences
   (a muted kind is dropped; quiet hours or the digest hold it: a later ``not_before``),
   and gets one NotificationDelivery per device of its recipient.
   ``Notification.attempts`` becomes 1 once this is done.
2. *Delivery*: each due delivery is encrypted for its device and POSTed to its push
   service; the answer decides what comes next (sent, retried later, device forgotten,
   given up). A notification is settled once all its deliveries are.

Claims take rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (so several workers on
several machines share the work without waiting on each other) and a compare-and-set on
the lease everywhere, so two workers never hold the same row; a lease that a dead worker
leaves behind expires and the row is taken again. A worker killed after the push service
accepted a message but before it wrote so sends it again: the payload carries the
notification id and the service worker shows each id once.

Every function takes ``now``: tests move the clock instead of sleeping.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from flask import Flask
from py_vapid import VapidException
from pywebpush import WebPusher, WebPushException
from sqlmodel import Session, col, select

from .. import policy
from ..ids import ASCII_DIGITS
from ..models import (
    Account,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    Patient,
    PushSubscription,
)
from ..types import utcnow
from . import deliveries, endpoints, preferences, scheduled
from . import payload as payloads
from .subscriptions import forget
from .transport import PushSession
from .vapid import Signer

log = logging.getLogger("carnet.push")

GONE = {404, 410}  # RFC 8030 §7.3: the subscription expired or was removed
NOT_RETRIED = {400, 403, 413}  # malformed, bad VAPID token, payload too large


@dataclass
class Settings:
    """How the relay behaves; ``from_config`` reads the app's configuration."""

    ttl: int = 86400
    max_attempts: int = 8  # 30 s, 1, 2, 4, 8, 16, 32 min: given up after about 2 hours
    base_delay: float = 30.0
    max_delay: float = 3600.0
    max_retry_after: float = 86400.0
    lease: timedelta = timedelta(seconds=120)
    batch: int = 100
    timeout: tuple[float, float] = (5.0, 10.0)  # connect, read
    topic_secret: str = ""
    services: tuple[str, ...] = ()  # PUSH_SERVICES: where endpoints may be (``endpoints``)
    allow_local_http: bool = False  # the tests' push service on this machine

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(ttl=config["PUSH_TTL_SECONDS"], max_attempts=config["PUSH_MAX_ATTEMPTS"],
                   batch=config["PUSH_BATCH"], topic_secret=config["SECRET_KEY"],
                   services=tuple(config["PUSH_SERVICES"]),
                   allow_local_http=bool(config["TESTING"]))


@dataclass
class Counts:
    fanned_out: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    gone: int = 0
    held: int = 0  # quiet hours or the digest: later
    reminders: int = 0
    digests: int = 0
    folded: int = 0

    @property
    def total(self) -> int:
        return sum(vars(self).values())


def claim(db: Session, model, conditions: list, now: datetime, limit: int,
          lease: timedelta) -> list[int]:
    """Take up to ``limit`` rows of ``model`` matching ``conditions`` whose lease is free,
    and lease them until ``now + lease``. No two callers ever get the same row."""
    free = sa.or_(col(model.lease_until).is_(None), col(model.lease_until) < now)
    query = select(model.id).where(*conditions, free).order_by(col(model.id))
    until = now + lease
    if db.get_bind().dialect.name == "postgresql":
        ids = list(db.exec(query.limit(limit).with_for_update(skip_locked=True)).all())
        if ids:
            db.exec(sa.update(model).where(col(model.id).in_(ids)).values(lease_until=until))
        db.commit()
        return ids
    # SQLite has no row locks: compare-and-set each row, under its single write lock. Rows
    # another worker took first are leased now, so looking again finds the next free ones
    # (without this, a worker that lost every race would think nothing was left to do).
    taken: list[int] = []
    while len(taken) < limit:
        candidates = list(db.exec(query.limit(limit - len(taken))).all())
        db.commit()
        if not candidates:
            break
        for row_id in candidates:
            result = db.exec(sa.update(model).where(model.id == row_id, *conditions, free)
                             .values(lease_until=until))
            if result.rowcount == 1:
                taken.append(row_id)
        db.commit()
    return taken


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds asked by a ``Retry-After`` header (a number, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if ASCII_DIGITS.fullmatch(value):  # not "²", which float() refuses
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class Relay:
    """Sends what the outbox holds. One per worker process (it keeps HTTP connections and
    VAPID tokens between batches)."""

    app: Flask
    settings: Settings
    signer: Signer
    # Checks each endpoint again, connects only to checked addresses, follows no redirect.
    http: PushSession | None = None
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.http is None:
            self.http = PushSession(self.settings.services, self.settings.allow_local_http)

    @classmethod
    def for_app(cls, app: Flask, **kwargs) -> Relay:
        return cls(app, Settings.from_config(app.config), app.extensions["carnet.vapid"],
                   **kwargs)

    # -- one pass -----------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> Counts:
        """Fan out the due notifications, then attempt the due deliveries, once."""
        now = now or utcnow()
        counts = Counts()
        with self.app.app_context(), Session(self.app.extensions["carnet.engine"],
                                             expire_on_commit=False) as db:
            done = scheduled.run(db, now)
            counts.reminders, counts.digests, counts.folded = (done.reminders, done.digests,
                                                               done.folded)
            self._fan_out(db, now, counts)
            self._deliver(db, now, counts)
        return counts

    def drain(self, now: datetime | None = None, clock: Callable[[], datetime] = utcnow) -> Counts:
        """Send everything due, pass after pass, until nothing is left to do now."""
        total = Counts()
        while True:
            counts = self.run_once(now or clock())
            for name in vars(total):
                setattr(total, name, getattr(total, name) + getattr(counts, name))
            if counts.total == 0:
                return total

    def run_forever(self, stop: threading.Event, poll: float = 2.0) -> None:
        """Work until ``stop`` is set, resting ``poll`` seconds whenever nothing is due."""
        while not stop.is_set():
            try:
                idle = self.run_once().total == 0
            except sa.exc.OperationalError:
                log.exception("push worker: database unavailable, trying again")
                idle = True
            if idle:
                stop.wait(poll)

    # -- fan-out -------------------------------------------------------------------------

    def _fan_out(self, db: Session, now: datetime, counts: Counts) -> None:
        ids = claim(db, Notification, [Notification.status == DeliveryStatus.PENDING,
                                       Notification.attempts == 0,
                                       col(Notification.not_before) <= now],
                    now, self.settings.batch, self.settings.lease)
        if not ids:
            return
        policy.forget()  # decide afresh: consent may have changed since
        batch = list(db.exec(select(Notification).where(
            col(Notification.id).in_(ids)).order_by(col(Notification.id))))
        choices = preferences.of_accounts(db, {n.account_id for n in batch})
        for notification in batch:
            if notification.status != DeliveryStatus.PENDING:
                continue  # dropped by the consent ledger since the claim
            recipient = db.get(Account, notification.account_id)
            if payloads.expired(notification, now) or not self._allowed(db, notification,
                                                                        recipient):
                self._drop(notification, "no longer allowed or expired")
                counts.dropped += 1
                continue
            route = preferences.route(choices.get(notification.account_id), recipient.role,
                                      notification, now)
            if route.drop:
                self._drop(notification, route.drop)
                counts.dropped += 1
                continue
            if route.hold_until is not None:
                notification.not_before = route.hold_until
                notification.lease_until = None
                db.add(notification)
                counts.held += 1
                continue
            devices = db.exec(select(PushSubscription.id).where(
                PushSubscription.account_id == notification.account_id)).all()
            already = set(db.exec(select(NotificationDelivery.subscription_id).where(
                NotificationDelivery.notification_id == notification.id)).all())
            for subscription_id in devices:
                if subscription_id not in already:
                    db.add(NotificationDelivery(notification_id=notification.id,
                                                subscription_id=subscription_id,
                                                next_attempt_at=now))
            if not devices:
                self._drop(notification, "no device")
                counts.dropped += 1
            notification.attempts = 1
            notification.lease_until = None
            db.add(notification)
            counts.fanned_out += 1
        db.commit()

    def _allowed(self, db: Session, notification: Notification,
                 recipient: Account | None) -> bool:
        """The access policy, asked again at send time."""
        if recipient is None or not recipient.is_active:
            return False
        if notification.patient_id is None or not notification.section:
            return True  # about the recipient themself (consent changed, access asked)
        patient = db.get(Patient, notification.patient_id)
        return patient is not None and policy.can(db, recipient, policy.READ, patient,
                                                  notification.section)

    @staticmethod
    def _drop(notification: Notification, reason: str) -> None:
        notification.status = DeliveryStatus.DROPPED
        notification.last_error = reason
        notification.lease_until = None

    # -- delivery ------------------------------------------------------------------------

    def _deliver(self, db: Session, now: datetime, counts: Counts) -> None:
        ids = claim(db, NotificationDelivery,
                    [NotificationDelivery.status == DeliveryStatus.PENDING,
                     col(NotificationDelivery.next_attempt_at) <= now],
                    now, self.settings.batch, self.settings.lease)
        if not ids:
            return
        policy.forget()
        batch = list(db.exec(select(NotificationDelivery).where(
            col(NotificationDelivery.id).in_(ids)).order_by(col(NotificationDelivery.id))))
        notifications = {n.id: n for n in db.exec(select(Notification).where(
            col(Notification.id).in_({d.notification_id for d in batch})))}
        devices = {s.id: s for s in db.exec(select(PushSubscription).where(
            col(PushSubscription.id).in_({d.subscription_id for d in batch})))}
        accounts: dict[int, Account] = {}
        for delivery in batch:
            notification = notifications[delivery.notification_id]
            device = devices.get(delivery.subscription_id)
            recipient = self._account(db, accounts, notification.account_id)
            reason = ""
            if device is None or notification.status == DeliveryStatus.DROPPED:
                reason = "device removed or notification dropped"
            elif payloads.expired(notification, now) or not self._allowed(db, notification,
                                                                          recipient):
                reason = "no longer allowed or expired"
                self._drop(notification, reason)
                db.add(notification)
            if reason:
                self._settle(delivery, DeliveryStatus.DROPPED, reason)
                db.add(delivery)
                deliveries.settle(db, [notification.id])
                db.commit()
                counts.dropped += 1
                continue
            owner = None
            if notification.patient_id is not None:
                patient = db.get(Patient, notification.patient_id)
                owner = self._account(db, accounts, patient.account_id) if patient else None
            try:
                body = payloads.build(notification, recipient, owner, payloads.topic(
                    notification, self.settings.topic_secret))
            except payloads.PayloadTooLarge:
                self._settle(delivery, DeliveryStatus.FAILED, "payload too large")
                db.add(delivery)
                deliveries.settle(db, [notification.id])
                db.commit()
                counts.failed += 1
                log.warning("push: notification %s is too large to send", notification.id)
                continue
            db.commit()  # no transaction stays open while we wait for a push service
            self._attempt(db, delivery, notification, device, body, now, counts)

    @staticmethod
    def _account(db: Session, cache: dict[int, Account], account_id: int) -> Account | None:
        if account_id not in cache:
            cache[account_id] = db.get(Account, account_id)
        return cache[account_id]

    def headers(self, notification: Notification, device: PushSubscription,
                now: datetime) -> dict[str, str]:
        """VAPID, Urgency and Topic headers (TTL and Content-Encoding come from pywebpush)."""
        # Urgency travels in clear: the push service learns that a push is urgent (one bit,
        # not what nor whose), and a dozing phone then delivers an alerting report at once.
        headers = {"Authorization": self.signer.authorization(device.endpoint, now),
                   "Urgency": "high" if notification.urgent else "normal"}
        topic = payloads.topic(notification, self.settings.topic_secret)
        if topic:
            headers["Topic"] = topic
        return headers

    def _attempt(self, db: Session, delivery: NotificationDelivery, notification: Notification,
                 device: PushSubscription, body: bytes, now: datetime, counts: Counts) -> None:
        delivery.attempts += 1
        host = urlsplit(device.endpoint).hostname
        try:
            response = WebPusher({"endpoint": device.endpoint,
                                  "keys": {"p256dh": device.p256dh, "auth": device.auth}},
                                 requests_session=self.http).send(
                body, headers=self.headers(notification, device, now),
                ttl=payloads.ttl(notification, now, self.settings.ttl),
                timeout=self.settings.timeout)
        except endpoints.Unresolved:
            self._retry(delivery, now, None, "host name not resolved", counts)
        except (endpoints.Refused, requests.exceptions.InvalidURL, VapidException) as error:
            # Not allowed now, its name resolves to an internal address, or not a URL one can
            # sign for or send to: never called, and no retry will change it.
            self._settle(delivery, DeliveryStatus.FAILED, "endpoint refused")
            counts.failed += 1
            # The log withholds exceptions' messages (app.logs): a refusal's names a host
            # and an address, which the operator needs; the others could quote the endpoint.
            why = str(error) if isinstance(error, endpoints.Refused) else type(error).__name__
            log.warning("push: delivery %s of notification %s not sent: %s",
                        delivery.id, notification.id, why)
        except requests.RequestException as error:
            self._retry(delivery, now, None, type(error).__name__, counts)
        except WebPushException:
            # pywebpush refused the stored keys: no retry will make them better.
            self._settle(delivery, DeliveryStatus.FAILED, "unusable keys")
            counts.failed += 1
        else:
            status = response.status_code
            delivery.response_status = status
            if 200 <= status < 300:
                self._settle(delivery, DeliveryStatus.SENT, "")
                delivery.sent_at = now
                device.last_success_at = now
                db.add(device)
                counts.sent += 1
            elif status in GONE:
                self._settle(delivery, DeliveryStatus.DROPPED, f"HTTP {status}: device gone")
                db.add(delivery)
                db.flush()
                forget(db, device, "device gone")
                counts.gone += 1
            elif status == 429 or status >= 500 or status == 408:
                self._retry(delivery, now, retry_after(response.headers.get("Retry-After"),
                                                       now), f"HTTP {status}", counts)
            else:
                # 400, 403 (a VAPID problem), 413 and any other refusal, and a redirect
                # (never followed: its Location could be any address): logged, not retried.
                self._settle(delivery, DeliveryStatus.FAILED, f"HTTP {status}")
                counts.failed += 1
                log.warning("push: delivery %s of notification %s refused by %s: HTTP %s",
                            delivery.id, notification.id, host, status)
        db.add(delivery)
        deliveries.settle(db, [notification.id])
        db.commit()  # the outcome and its notification's, together: a crash leaves neither

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter: within [d/2, d] for d = base × 2^(attempts-1)."""
        delay = min(self.settings.max_delay, self.settings.base_delay * 2 ** (attempts - 1))
        return delay / 2 + self.rng.uniform(0, delay / 2)

    def _retry(self, delivery: NotificationDelivery, now: datetime, asked: float | None,
               reason: str, counts: Counts) -> None:
        if delivery.attempts >= self.settings.max_attempts:
            self._settle(delivery, DeliveryStatus.FAILED, f"{reason}, gave up")
            counts.failed += 1
            log.warning("push: delivery %s given up after %s attempts (%s)",
                        delivery.id, delivery.attempts, reason)
            return
        delay = self.backoff(delivery.attempts)
        if asked is not None:
            # The push service said when: never sooner, never absurdly later.
            delay = min(self.settings.max_retry_after, asked) + self.rng.uniform(0, 1)
        delivery.next_attempt_at = now + timedelta(seconds=delay)
        delivery.lease_until = None
        delivery.last_error = reason
        counts.retried += 1

    @staticmethod
    def _settle(delivery: NotificationDelivery, status: DeliveryStatus, error: str) -> None:
        delivery.status = status
        delivery.last_error = error
        delivery.lease_until = None

def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: the worker finishes its batch, then leaves."""
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    return stop
