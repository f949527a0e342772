"""The devices an account has subscribed: checking a browser's subscription and keeping it.

A subscription is the standard ``PushSubscription.toJSON()``: an endpoint URL at the
browser's push service and two keys (the device's P-256 public key, and a 16-byte auth
secret). The endpoint is a capability (whoever knows it can push to the device), and our
worker will POST to it: so it must be https, and by default at a known push service —
anything else would let a signed-in person make our server call an address of their choice
(``endpoints`` says which hosts may be called, here and again before each delivery).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from flask_babel import gettext as _
from sqlmodel import Session, col, select

from ..models import Account, NotificationDelivery, PushSubscription
from ..tokens import b64url
from ..types import utcnow
from . import deliveries, endpoints

ENDPOINT_MAX = 2000
DEVICES_MAX = 20
_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")

# The push services of the browsers people use (Chrome, Edge, Firefox, Safari, Samsung…).
KNOWN_PUSH_SERVICES = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "push.services.mozilla.com",
    "web.push.apple.com",
    "notify.windows.com",
)


class SubscriptionError(ValueError):
    """A subscription we refuse; the message is for the person (translated)."""


@dataclass
class Checked:
    endpoint: str
    p256dh: str
    auth: str


def _key(value: object, length: int) -> bytes | None:
    if not isinstance(value, str) or not _B64URL.match(value):
        return None
    try:
        raw = base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


def _check_endpoint(endpoint: str, services: tuple[str, ...], allow_local_http: bool) -> None:
    try:
        endpoints.destination(endpoint, services, allow_local_http, require_https=True)
    except endpoints.Unresolved:
        raise SubscriptionError(_(
            "Carnet could not find this browser's push service. Please try again.")) from None
    except endpoints.Refused:
        raise SubscriptionError(
            _("This browser's push service is not one Carnet can use.")) from None


def _on_curve(point: bytes) -> bool:
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return False
    return True


def check(body: object, services: tuple[str, ...], allow_local_http: bool = False) -> Checked:
    """The subscription in ``body`` (parsed JSON), or SubscriptionError saying what is wrong.

    ``services`` is the app's ``PUSH_SERVICES``; ``allow_local_http`` (testing mode only)
    accepts the tests' push service, plain http on this machine."""
    if not isinstance(body, dict) or not isinstance(body.get("keys"), dict):
        raise SubscriptionError(
            _("The browser's subscription could not be read. Please try again."))
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        raise SubscriptionError(_("The browser gave no valid push address. Please try again."))
    p256dh = _key(body["keys"].get("p256dh"), 65)
    auth = _key(body["keys"].get("auth"), 16)
    if p256dh is None or auth is None or not _on_curve(p256dh):
        raise SubscriptionError(_("The browser gave keys Carnet cannot use. Please try again."))
    _check_endpoint(endpoint, services, allow_local_http)  # last: it may ask the DNS
    return Checked(endpoint, b64url(p256dh), b64url(auth))


class Taken(Exception):
    """The endpoint belongs to another account and this request cannot prove it is that device."""


def save(db: Session, account: Account, checked: Checked, user_agent: str) -> PushSubscription:
    """Keep this device for ``account`` (the same endpoint again updates it).

    An endpoint already kept for another account moves to this one only when the request
    carries the same auth secret: that secret never leaves the browser that subscribed, so
    this is the same browser, now used by another person (a family tablet). Its pending
    deliveries to the former account are cancelled, so nothing meant for them reaches the
    new person. Without the secret, it is refused: knowing an endpoint is not owning it.
    """
    existing = db.exec(select(PushSubscription).where(
        PushSubscription.endpoint == checked.endpoint)).first()
    if existing is not None and existing.account_id != account.id:
        if not (hmac.compare_digest(existing.auth, checked.auth)
                and hmac.compare_digest(existing.p256dh, checked.p256dh)):
            raise Taken()
        deliveries.cancel(db, existing.id, "device moved")
        existing.account_id = account.id
        existing.created_at = utcnow()
        existing.last_success_at = None
    if existing is None:
        count = db.exec(select(sa.func.count()).select_from(PushSubscription).where(
            PushSubscription.account_id == account.id)).one()
        if count >= DEVICES_MAX:
            raise SubscriptionError(_(
                "Notifications are on for %(count)d devices already. Remove one first.",
                count=DEVICES_MAX))
        existing = PushSubscription(account_id=account.id, endpoint=checked.endpoint)
    existing.p256dh = checked.p256dh
    existing.auth = checked.auth
    existing.user_agent = user_agent[:300]
    db.add(existing)
    db.flush()
    return existing


def renew(db: Session, old_endpoint: object, old_auth: object, checked: Checked
          ) -> PushSubscription | None:
    """The browser replaced a subscription (``pushsubscriptionchange``): keep the new one in
    the old one's place — same account, same pending deliveries — and drop the old endpoint.

    The service worker has no session nor CSRF token there; what proves it is that device is
    the old subscription's auth secret, which never left that browser and Carnet. None when
    nothing matches (an unknown endpoint, a wrong secret): nothing is changed then."""
    secret = _key(old_auth, 16)
    if not isinstance(old_endpoint, str) or secret is None:
        return None
    device = db.exec(select(PushSubscription).where(
        PushSubscription.endpoint == old_endpoint)).first()
    if device is None or not hmac.compare_digest(device.auth, b64url(secret)):
        return None
    if checked.endpoint != device.endpoint:
        other = db.exec(select(PushSubscription).where(
            PushSubscription.endpoint == checked.endpoint)).first()
        if other is not None:  # the page already kept the new one (a visit came first)
            if other.account_id != device.account_id:
                raise Taken()
            forget(db, device, "subscription replaced")
            return other
    device.endpoint, device.p256dh, device.auth = (checked.endpoint, checked.p256dh,
                                                   checked.auth)
    db.add(device)
    db.flush()
    return device


def forget(db: Session, subscription: PushSubscription, reason: str = "device removed") -> None:
    """Remove a device; its deliveries are kept for the record, detached from it."""
    deliveries.cancel(db, subscription.id, reason)
    db.exec(sa.update(NotificationDelivery).where(
        NotificationDelivery.subscription_id == subscription.id).values(subscription_id=None))
    db.delete(subscription)


def devices(db: Session, account: Account) -> list[PushSubscription]:
    return list(db.exec(select(PushSubscription).where(
        PushSubscription.account_id == account.id).order_by(col(PushSubscription.id))).all())


def own_device(db: Session, account: Account, subscription_id: int) -> PushSubscription | None:
    subscription = db.get(PushSubscription, subscription_id)
    if subscription is None or subscription.account_id != account.id:
        return None
    return subscription


def by_endpoint(db: Session, account: Account, endpoint: object) -> PushSubscription | None:
    if not isinstance(endpoint, str) or len(endpoint) > ENDPOINT_MAX:
        return None
    return db.exec(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint,
        PushSubscription.account_id == account.id)).first()


def endpoint_hash(endpoint: str) -> str:
    """What the page shows to recognise "this device" without printing the capability URL."""
    return hashlib.sha256(endpoint.encode()).hexdigest()


def device_name(user_agent: str) -> str:
    """"Firefox on Android": enough to tell one's devices apart."""
    browsers = (("Edg/", "Edge"), ("SamsungBrowser", "Samsung Internet"), ("OPR/", "Opera"),
                ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"),
                ("Safari/", "Safari"))
    systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
               ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
               ("Linux", "Linux"))
    browser = next((name for marker, name in browsers if marker in user_agent), "")
    system = next((name for marker, name in systems if marker in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown browser")
