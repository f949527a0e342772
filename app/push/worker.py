"""The push worker: from the outbox to every device, at least once, with retries.

Two steps, each claimed by one worker at a time:

0. *Scheduled jobs* (``scheduled``): tomorrow's appointment reminders, the daily digests,
   the weekly summaries.
1. *Fan-out*: a due notification is checked against the access policy again (a consent
   revoked since it was written drops it), then against its recipient's preferences
   (a muted kind is dropped; quiet hours or the digest hold it: a later ``not_before``),
   and gets one NotificationDelivery per device of its recipient, leased to this worker.
   ``Notification.attempts`` becomes 1 in the same transaction.
2. *Delivery*: the deliveries just made, and due ones claimed (retries, those a dead
   worker left; checked against the policy again), are encrypted for their device and
   POSTed to its push service; the answer decides what comes next (sent, retried later,
   device forgotten, given up). A notification is settled once all its deliveries are.

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
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from py_vapid import VapidException
from pywebpush import WebPushException
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from .. import policy
from ..db import ids_in, integers
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
from . import deliveries, endpoints, mail, preferences, scheduled
from . import payload as payloads
from .subscriptions import forget
from .transport import InvalidURL, Message, Transport, Unreachable
from .vapid import Signer

log = logging.getLogger("carnet.push")

PIPELINE_ROUNDS = 30  # batches one pass prepares and sends, one overlapping the next
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
    batch: int = 200
    timeout: tuple[float, float] = (5.0, 10.0)  # connect, read
    topic_secret: str = ""
    services: tuple[str, ...] = ()  # PUSH_SERVICES: where endpoints may be (``endpoints``)
    allow_local_http: bool = False  # the tests' push service on this machine
    concurrency: int = 64  # messages in flight at once, over every push service…
    per_service: int = 32  # …and to any one of them (its kept-alive connections)

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(ttl=config["PUSH_TTL_SECONDS"], max_attempts=config["PUSH_MAX_ATTEMPTS"],
                   batch=config["PUSH_BATCH"], topic_secret=config["SECRET_KEY"],
                   concurrency=config["PUSH_CONCURRENCY"],
                   per_service=config["PUSH_PER_SERVICE"],
                   services=tuple(config["PUSH_SERVICES"]),
                   allow_local_http=bool(config["TESTING"]))


@dataclass
class _Send:
    """One delivery of a batch on its way: what to send, then what to write of it."""

    id: int  # the NotificationDelivery's
    attempts: int  # counting this one, once it goes
    # A row of the fan-out (read only), or the object of a claimed retry (``_claimed``).
    notification: Notification | sa.Row
    device: PushSubscription | None
    host: str
    recipient: Account | None
    owner: Account | None  # of the carnet the notification is about
    message: Message | None = None  # None: refused before sending (``error`` says why)
    error: Exception | None = None
    outcome: dict = field(default_factory=dict)  # columns to write; empty: none yet
    gone: bool = False  # the push service said the device is no more

    @property
    def sent(self) -> bool:
        return self.outcome.get("status") == DeliveryStatus.SENT


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
    weekly: int = 0  # weekly summaries written
    mailed: int = 0  # e-mails, one for all of an account's notifications of a batch

    @property
    def total(self) -> int:
        return sum(vars(self).values())


def claim(db: Session, model, conditions: list, now: datetime, limit: int,
          lease: timedelta) -> list[int]:
    """Take up to ``limit`` rows of ``model`` matching ``conditions`` whose lease is free,
    and lease them until ``now + lease``. No two callers ever get the same row.

    One UPDATE takes the first free rows, chosen by its own subquery, and RETURNING says
    which it took. On PostgreSQL the subquery locks the rows it chooses and skips those
    another worker has locked (so several workers on several machines share the work
    without waiting on each other); SQLite has one writer at a time, and the subquery runs
    under its write lock, so rows another worker has just leased are not free any more."""
    free = sa.or_(col(model.lease_until).is_(None), col(model.lease_until) < now)
    chosen = select(model.id).where(*conditions, free).order_by(col(model.id)).limit(limit)
    if db.get_bind().dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    taken = list(db.exec(sa.update(model).where(col(model.id).in_(chosen.scalar_subquery()))
                         .values(lease_until=now + lease).returning(model.id)).scalars())
    db.commit()
    return sorted(taken)


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
    rng: random.Random = field(default_factory=random.Random)
    # A push service that answered 429 with Retry-After: until when it is left alone.
    paused: dict[str, datetime] = field(default_factory=dict)
    # Sends a batch's messages at once, to checked addresses only (made at the first send).
    transport: Transport | None = None

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
            counts.reminders, counts.digests, counts.folded, counts.weekly = (
                done.reminders, done.digests, done.folded, done.weekly)
            # Batch after batch, each prepared (fan-out, claim, checks, encryption's inputs)
            # while the one before is on the network: the database work and the waits for
            # push services overlap. Every batch is finished before the pass returns.
            flying = None
            for _round in range(PIPELINE_ROUNDS):
                fresh = self._fan_out(db, now, counts)
                batch = self._prepare(db, now, counts, fresh)
                if flying is not None:
                    self._finish(db, flying, now, counts)
                flying = batch
                if batch is None:
                    break
            if flying is not None:
                self._finish(db, flying, now, counts)
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
        self.close()

    # -- fan-out -------------------------------------------------------------------------

    def _fan_out(self, db: Session, now: datetime, counts: Counts) -> list[_Send]:
        """Give each due notification a delivery per device of its recipient. The new
        deliveries are leased to this worker and returned, to be sent at once: they were
        checked against the policy a moment ago, and claiming and loading them again would
        cost as much as the rest of their way."""
        ids = claim(db, Notification, [Notification.status == DeliveryStatus.PENDING,
                                       Notification.attempts == 0,
                                       col(Notification.not_before) <= now],
                    now, self.settings.batch, self.settings.lease)
        if not ids:
            return []
        policy.forget()  # decide afresh: consent may have changed since
        # Plain rows, not ORM objects: read here and by the payload, never changed in place
        # (what changes is written below, a statement per kind of change, with no flush of
        # objects one by one).
        table = Notification.__table__
        batch = db.connection().execute(sa.select(table).where(
            ids_in(db, table.c.id, ids)).order_by(table.c.id)).all()
        # The batch's people, carnets and devices, a query each. None of these notifications
        # has a delivery yet: they are made in the transaction that counts the attempt.
        people = {n.account_id for n in batch}
        choices = preferences.of_accounts(db, people)
        patients = self._carnets(db, batch)
        accounts = self._accounts(db, people, patients)
        devices: dict[int, list[PushSubscription]] = {}
        for device in db.exec(select(PushSubscription).where(ids_in(
                db, col(PushSubscription.account_id), people)).order_by(
                col(PushSubscription.id))):
            devices.setdefault(device.account_id, []).append(device)
        self._decide(db, batch, accounts, patients)
        new_deliveries = []
        fanned_out: list = []
        by_mail: dict[int, list] = {}
        dropped: dict[str, list[int]] = {}  # by reason
        held: list[dict] = []
        for notification in batch:
            if notification.status != DeliveryStatus.PENDING:
                continue  # dropped by the consent ledger since the claim
            recipient = accounts.get(notification.account_id)
            if payloads.expired(notification, now) or not self._allowed(
                    db, notification, recipient, patients):
                dropped.setdefault("no longer allowed or expired", []).append(notification.id)
                counts.dropped += 1
                continue
            route = preferences.route(choices.get(notification.account_id), recipient.role,
                                      notification, now)
            if route.drop:
                dropped.setdefault(route.drop, []).append(notification.id)
                counts.dropped += 1
                continue
            if route.hold_until is not None:
                held.append({"held_id": notification.id, "until": route.hold_until})
                counts.held += 1
                continue
            owned = devices.get(notification.account_id, [])
            new_deliveries += [(notification.id, device.id) for device in owned]
            if not owned:
                choice = choices.get(notification.account_id)
                if choice is not None and choice.email_when_no_device and mail.configured():
                    by_mail.setdefault(notification.account_id, []).append(notification)
                else:
                    dropped.setdefault("no device", []).append(notification.id)
                    counts.dropped += 1
            fanned_out.append(notification)
            counts.fanned_out += 1
        fresh: list[_Send] = []
        if new_deliveries:  # one statement for the batch
            made = _insert_deliveries(db, new_deliveries, {
                "next_attempt_at": now, "status": DeliveryStatus.PENDING, "attempts": 0,
                "lease_until": now + self.settings.lease})
            notifications = {n.id: n for n in fanned_out}
            by_id = {d.id: d for owned in devices.values() for d in owned}
            for delivery_id, notification_id, device_id in made:
                notification = notifications[notification_id]
                fresh.append(self._send(delivery_id, 0, notification, by_id[device_id],
                                        accounts, patients))
        _update(db, Notification, [n.id for n in fanned_out], {"attempts": 1, "lease_until": None})
        for reason, dropped_ids in dropped.items():
            _update(db, Notification, dropped_ids, {
                "status": DeliveryStatus.DROPPED, "last_error": reason, "lease_until": None})
        if held:  # quiet hours or the digest: later, each to its own time
            db.connection().execute(
                sa.update(table).where(table.c.id == sa.bindparam("held_id"))
                .values(not_before=sa.bindparam("until"), lease_until=None), held)
        db.commit()
        for account_id, told in by_mail.items():
            self._mail(db, accounts[account_id], told, now, counts)
        return sorted(fresh, key=lambda send: send.id)

    def _mail(self, db: Session, recipient: Account, told: list[Notification], now: datetime,
              counts: Counts) -> None:
        """No device: one content-free e-mail for these notifications, unless one went out
        in the last hours (then they are dropped, as without the choice)."""
        if not mail.claim(db, recipient.id, now):
            status, reason = DeliveryStatus.DROPPED, "no device; e-mailed lately"
            counts.dropped += len(told)
        elif mail.send(recipient):
            status, reason = DeliveryStatus.SENT, "by e-mail"
            counts.mailed += 1
        else:
            status, reason = DeliveryStatus.FAILED, "e-mail not sent"
            counts.failed += len(told)
        db.exec(sa.update(Notification).where(col(Notification.id).in_([n.id for n in told]))
                .values(status=status, last_error=reason, lease_until=None,
                        sent_at=now if status == DeliveryStatus.SENT else None))
        db.commit()

    def _allowed(self, db: Session, notification: Notification, recipient: Account | None,
                 patients: dict[int, Patient]) -> bool:
        """The access policy, asked again at send time (``patients``: the batch's carnets)."""
        if recipient is None or not recipient.is_active:
            return False
        if notification.patient_id is None or not notification.section:
            return True  # about the recipient themself (consent changed, access asked)
        patient = patients.get(notification.patient_id)
        return patient is not None and policy.can(db, recipient, policy.READ, patient,
                                                  notification.section)

    @staticmethod
    def _carnets(db: Session, notifications) -> dict[int, Patient]:
        """The carnets a batch is about, in one query."""
        return {p.id: p for p in db.exec(select(Patient).where(col(Patient.id).in_(
            {n.patient_id for n in notifications if n.patient_id is not None})))}

    @staticmethod
    def _decide(db: Session, notifications, recipients: dict[int, Account],
                patients: dict[int, Patient]) -> None:
        """Each recipient's permissions on the carnets of their notifications, decided before
        the batch is looked at: no query inside its loop (each would flush the rows changed
        so far one by one, and a per-row cost is what batches are for)."""
        about: dict[int, list[Patient]] = {}
        for notification in notifications:
            if notification.patient_id in patients:
                about.setdefault(notification.account_id, []).append(
                    patients[notification.patient_id])
        for account_id, carnets in about.items():
            policy.preload(db, recipients.get(account_id), carnets)

    @staticmethod
    def _drop(notification: Notification, reason: str) -> None:
        notification.status = DeliveryStatus.DROPPED
        notification.last_error = reason
        notification.lease_until = None

    # -- delivery ------------------------------------------------------------------------

    def _prepare(self, db: Session, now: datetime, counts: Counts,
                 fresh: list[_Send]) -> _Batch | None:
        """One batch: the deliveries the fan-out just made, and due ones claimed to make up
        a batch (retries, or those a dead worker left), checked and encrypted here, then
        handed to the transport that sends it concurrently (a bounded number at a time per
        push service, on kept-alive connections); None when nothing is due. ``_finish``
        writes its outcomes in one transaction. A worker killed before that commit leaves
        leases that expire: the batch is sent again (at least once; the service worker
        shows each id once)."""
        sends = fresh
        if len(sends) < self.settings.batch:
            sends = sends + self._claimed(db, now, self.settings.batch - len(sends))
        if not sends:
            return None
        going: list[_Send] = []
        for send in sends:
            if send.outcome:  # dropped by the checks
                counts.dropped += 1
                continue
            notification, device = send.notification, send.device
            try:
                body = payloads.build(notification, send.recipient, send.owner, payloads.topic(
                    notification, self.settings.topic_secret))
            except payloads.PayloadTooLarge:
                self._settle(send, DeliveryStatus.FAILED, "payload too large")
                counts.failed += 1
                log.warning("push: notification %s is too large to send", notification.id)
                continue
            paused = self.paused.get(send.host)
            if paused is not None and paused > now:  # the service asked us to wait
                send.outcome = {"lease_until": None, "next_attempt_at": paused + timedelta(
                    seconds=self.rng.uniform(0, 1))}
                counts.retried += 1
                continue
            send.attempts += 1  # written below, before the message goes
            try:
                send.message = self._message(notification, device, body, now)
            except (VapidException, endpoints.Refused,
                    endpoints.Unresolved) as error:  # not sent; ``_outcome`` says what next
                send.error = error
            going.append(send)
        _update(db, NotificationDelivery, [send.id for send in going],
                {"attempts": NotificationDelivery.__table__.c.attempts + 1})
        _write_outcomes(db, [send for send in sends if send.outcome])
        deliveries.settle(db, {send.notification.id for send in sends if send.outcome})
        db.commit()  # no transaction stays open while we wait for push services
        messages = [send.message for send in going if send.message is not None]
        if self.transport is None and messages:
            self.transport = Transport(self.settings.concurrency, self.settings.per_service,
                                       self.settings.timeout)
        return _Batch(going, self.transport.send(messages) if messages else None)

    def _claimed(self, db: Session, now: datetime, limit: int) -> list[_Send]:
        """Up to ``limit`` due deliveries made earlier, claimed and checked again: the
        recipient may have lost access, the notification or the device may be gone."""
        ids = claim(db, NotificationDelivery,
                    [NotificationDelivery.status == DeliveryStatus.PENDING,
                     col(NotificationDelivery.next_attempt_at) <= now],
                    now, limit, self.settings.lease)
        if not ids:
            return []
        policy.forget()
        table = NotificationDelivery.__table__
        rows = db.connection().execute(sa.select(
            table.c.id, table.c.notification_id, table.c.subscription_id, table.c.attempts)
            .where(ids_in(db, table.c.id, ids)).order_by(table.c.id)).all()
        notifications = {n.id: n for n in db.exec(select(Notification).where(ids_in(
            db, col(Notification.id), {row.notification_id for row in rows})))}
        devices = {s.id: s for s in db.exec(select(PushSubscription).where(ids_in(
            db, col(PushSubscription.id), {row.subscription_id for row in rows})))}
        patients = self._carnets(db, notifications.values())
        accounts = self._accounts(db, {n.account_id for n in notifications.values()},
                                  patients)
        self._decide(db, notifications.values(), accounts, patients)
        sends = []
        for row in rows:
            notification = notifications[row.notification_id]
            device = devices.get(row.subscription_id)
            send = self._send(row.id, row.attempts, notification, device, accounts, patients)
            if device is None or notification.status == DeliveryStatus.DROPPED:
                self._settle(send, DeliveryStatus.DROPPED,
                             "device removed or notification dropped")
            elif payloads.expired(notification, now) or not self._allowed(
                    db, notification, send.recipient, patients):
                self._settle(send, DeliveryStatus.DROPPED, "no longer allowed or expired")
                self._drop(notification, "no longer allowed or expired")
                db.add(notification)
            sends.append(send)
        return sends

    @staticmethod
    def _send(delivery_id: int, attempts: int, notification: Notification,
              device: PushSubscription | None, accounts: dict[int, Account],
              patients: dict[int, Patient]) -> _Send:
        carnet = patients.get(notification.patient_id)
        return _Send(delivery_id, attempts, notification, device,
                     urlsplit(device.endpoint).netloc if device is not None else "",
                     accounts.get(notification.account_id),
                     accounts.get(carnet.account_id) if carnet is not None else None)

    @staticmethod
    def _accounts(db: Session, people: set[int], patients: dict[int, Patient]
                  ) -> dict[int, Account]:
        """The recipients and the owners of the carnets, in one query."""
        return {a.id: a for a in db.exec(select(Account).where(ids_in(
            db, col(Account.id), people | {p.account_id for p in patients.values()})))}

    def _message(self, notification: Notification, device: PushSubscription, body: bytes,
                 now: datetime) -> Message:
        """The message for ``device`` (the transport encrypts it), to an address checked
        now."""
        headers = self.headers(notification, device, now)
        where = endpoints.destination(device.endpoint, self.settings.services,
                                      self.settings.allow_local_http)
        headers.update({"Content-Encoding": "aes128gcm",
                        "TTL": str(payloads.ttl(notification, now, self.settings.ttl))})
        return Message(device.endpoint, where, {"p256dh": device.p256dh, "auth": device.auth},
                       body, headers)

    def _finish(self, db: Session, batch: _Batch, now: datetime, counts: Counts) -> None:
        """Wait for a batch's answers, and write its outcomes in one transaction."""
        sends = batch.sends
        if batch.sending is not None:
            batch.sending.result()
        for send in sends:
            self._outcome(send, now, counts)
        _write_outcomes(db, sends)
        reached = {send.device.id: send.device for send in sends if send.sent}
        if reached:
            _write(db, PushSubscription, list(reached.values()), {"last_success_at": now})
        for device in {send.device.id: send.device for send in sends if send.gone}.values():
            forget(db, device, "device gone")  # once per device, after every outcome
        deliveries.settle(db, {send.notification.id for send in sends})
        db.commit()  # the batch's outcomes and their notifications', together

    def close(self) -> None:
        """Let the HTTP connections go (also done when the relay is no longer used); a
        later send opens new ones."""
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    def headers(self, notification: Notification, device: PushSubscription,
                now: datetime) -> dict[str, str]:
        """VAPID, Urgency and Topic headers (TTL and Content-Encoding come with the
        encrypted body)."""
        # Urgency travels in clear: the push service learns that a push is urgent (one bit,
        # not what nor whose), and a dozing phone then delivers an alerting report at once.
        headers = {"Authorization": self.signer.authorization(device.endpoint, now),
                   "Urgency": "high" if notification.urgent else "normal"}
        topic = payloads.topic(notification, self.settings.topic_secret)
        if topic:
            headers["Topic"] = topic
        return headers

    def _outcome(self, send: _Send, now: datetime, counts: Counts) -> None:
        """What the answer (or its absence) means for the delivery: ``send.outcome``."""
        notification, device = send.notification, send.device
        error = send.error if send.message is None else send.message.error
        if isinstance(error, endpoints.Unresolved):
            self._retry(send, now, None, "host name not resolved", counts)
        elif isinstance(error, endpoints.Refused | InvalidURL | VapidException):
            # Not allowed now, its name resolves to an internal address, or not a URL one can
            # sign for or send to: never called, and no retry will change it.
            self._settle(send, DeliveryStatus.FAILED, "endpoint refused")
            counts.failed += 1
            # The log withholds exceptions' messages (app.logs): a refusal's names a host
            # and an address, which the operator needs; the others could quote the endpoint.
            why = str(error) if isinstance(error, endpoints.Refused) else type(error).__name__
            log.warning("push: delivery %s of notification %s not sent: %s",
                        send.id, notification.id, why)
        elif isinstance(error, Unreachable):
            self._retry(send, now, None, error.reason, counts)
        elif isinstance(error, WebPushException):
            # The stored keys cannot be encrypted for: no retry will make them better.
            self._settle(send, DeliveryStatus.FAILED, "unusable keys")
            counts.failed += 1
        elif error is not None:
            raise error
        else:
            answer = send.message.answer
            status = answer.status
            if 200 <= status < 300:
                self._settle(send, DeliveryStatus.SENT, "")
                send.outcome["sent_at"] = now
                counts.sent += 1
            elif status in GONE:
                self._settle(send, DeliveryStatus.DROPPED, f"HTTP {status}: device gone")
                send.gone = True
                counts.gone += 1
            elif status == 429 or status >= 500 or status == 408:
                asked = retry_after(answer.retry_after, now)
                if status == 429 and asked is not None:
                    # Slow down that push service only, for every delivery to it.
                    until = now + timedelta(seconds=min(self.settings.max_retry_after, asked))
                    self.paused[send.host] = max(until, self.paused.get(send.host, until))
                self._retry(send, now, asked, f"HTTP {status}", counts)
            else:
                # 400, 403 (a VAPID problem), 413 and any other refusal, and a redirect
                # (never followed: its Location could be any address): logged, not retried.
                self._settle(send, DeliveryStatus.FAILED, f"HTTP {status}")
                counts.failed += 1
                log.warning("push: delivery %s of notification %s refused by %s: HTTP %s",
                            send.id, notification.id, urlsplit(device.endpoint).hostname,
                            status)
            send.outcome["response_status"] = status

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter: within [d/2, d] for d = base × 2^(attempts-1)."""
        delay = min(self.settings.max_delay, self.settings.base_delay * 2 ** (attempts - 1))
        return delay / 2 + self.rng.uniform(0, delay / 2)

    def _retry(self, send: _Send, now: datetime, asked: float | None, reason: str,
               counts: Counts) -> None:
        if send.attempts >= self.settings.max_attempts:
            self._settle(send, DeliveryStatus.FAILED, f"{reason}, gave up")
            counts.failed += 1
            log.warning("push: delivery %s given up after %s attempts (%s)",
                        send.id, send.attempts, reason)
            return
        delay = self.backoff(send.attempts)
        if asked is not None:
            # The push service said when: never sooner, never absurdly later.
            delay = min(self.settings.max_retry_after, asked) + self.rng.uniform(0, 1)
        send.outcome = {"next_attempt_at": now + timedelta(seconds=delay), "lease_until": None,
                        "last_error": reason}
        counts.retried += 1

    @staticmethod
    def _settle(send: _Send, status: DeliveryStatus, error: str) -> None:
        send.outcome = {"status": status, "last_error": error, "lease_until": None}


@dataclass
class _Batch:
    sends: list[_Send]
    sending: Future | None  # done when every message has its answer


def _write(db: Session, model, rows: list, values: dict) -> None:
    """Give ``rows`` the same ``values``: one UPDATE, and the objects agree without being
    written again."""
    if not rows:
        return
    _update(db, model, [row.id for row in rows], values)
    for row in rows:
        for name, value in values.items():
            set_committed_value(row, name, value)


def _update(db: Session, model, ids: list[int], values: dict) -> None:
    """One UPDATE giving the rows ``ids`` of ``model`` the same ``values`` (Core: the ORM's
    bulk UPDATE costs more than the statement)."""
    if ids:
        table = model.__table__
        db.connection().execute(sa.update(table).where(ids_in(db, table.c.id, ids))
                                .values(**values))


def _insert_deliveries(db: Session, pairs: list[tuple[int, int]], values: dict) -> list:
    """A delivery for each (notification id, device id) in ``pairs``, all with ``values``;
    (id, notification id, device id) of each. One statement: on PostgreSQL an INSERT from
    two arrays (a many-rows VALUES is a new query text of its own each time, which psycopg
    parses anew: a tenth of a worker's time)."""
    table = NotificationDelivery.__table__
    made = (table.c.id, table.c.notification_id, table.c.subscription_id)
    if db.get_bind().dialect.name != "postgresql":
        return db.connection().execute(sa.insert(table).returning(*made), [
            {"notification_id": n, "subscription_id": s, **values} for n, s in pairs]).all()
    rows = sa.func.unnest(integers(n for n, _ in pairs), integers(s for _, s in pairs)
                          ).table_valued("notification_id", "subscription_id").render_derived()
    chosen = sa.select(rows.c.notification_id, rows.c.subscription_id,
                       *(sa.literal(value, table.c[name].type) for name, value in values.items()))
    return db.connection().execute(sa.insert(table).from_select(
        ["notification_id", "subscription_id", *values], chosen).returning(*made)).all()


def _write_outcomes(db: Session, sends: list[_Send]) -> None:
    """Write each delivery's outcome: one UPDATE per distinct outcome (most of a batch's
    are alike: "sent", now), not one per delivery (psycopg sends an executemany row by
    row)."""
    groups: dict[tuple, list[int]] = {}
    for send in sends:
        groups.setdefault(tuple(sorted(send.outcome.items(), key=lambda item: item[0])),
                          []).append(send.id)
    for values, ids in groups.items():
        _update(db, NotificationDelivery, ids, dict(values))


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: the worker finishes its batch, then leaves."""
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    return stop
