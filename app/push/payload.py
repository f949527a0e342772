"""What a push says: a translated "something changed" and a link — never health data —
as a declarative Web Push message.

The payload is encrypted for the device (aes128gcm), but the ``Topic`` and ``Urgency``
headers travel in clear to the push service (Google, Mozilla, Apple…): the topic is
therefore an opaque digest, not "symptom_report-12".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from functools import lru_cache

from babel import Locale
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..models import Account, Notification, NotificationKind

# RFC 8291 §4: one 4096-byte record, less the header (86), the tag (16) and the padding
# delimiter (1), leaves 3,993 bytes of plaintext.
PLAINTEXT_MAX = 3993
DECLARATIVE = 8030  # "web_push": RFC 8030's number marks a declarative push message
TOPIC_MAX = 32  # RFC 8030 §5.4: at most 32 characters of the URL-safe base64 alphabet
DEFAULT_LOCALE = "fr"
LOCALES = ("fr", "en", "ar")
# Push services keep a message at most about four weeks (FCM: 2,419,200 s).
TTL_MAX = 28 * 86400


# About a draft page or questionnaire, never a carnet: the words say what happened to it.
AUTHORING = {
    NotificationKind.REVIEW_REQUESTED: lambda: _("A draft waits for your review"),
    NotificationKind.DRAFT_APPROVED: lambda: _("Your draft was approved"),
    NotificationKind.DRAFT_RETURNED: lambda: _("Changes are asked for your draft"),
    NotificationKind.DRAFT_PUBLISHED: lambda: _("Your draft is published"),
}


class PayloadTooLarge(ValueError):
    pass


def short_name(account: Account | None) -> str:
    """"Jeanne M.": the carnet's owner, as a notification on a lock screen may name them."""
    if account is None:
        return ""
    initial = account.last_name[:1].upper()
    return f"{account.first_name} {initial}." if initial else account.first_name


def _words(kind: NotificationKind, own: bool, name: str, urgent: bool) -> tuple[str, str]:
    """Title and body in the current locale. Nothing here may say what changed in health."""
    if kind in AUTHORING:
        return AUTHORING[kind](), _("Open Carnet to see it.")
    if kind == NotificationKind.DIGEST:
        return (_("Your day in Carnet"),
                _("There is news in Carnet since yesterday. Open Carnet to see it."))
    if kind == NotificationKind.WEEKLY_SUMMARY:
        return (_("Your weekly summary is ready"),
                _("What changed this week for your patients. Open Carnet to see it."))
    if own:
        titles = {
            NotificationKind.PLAN_CHANGED: _("Your care plan changed"),
            NotificationKind.APPOINTMENT_CHANGED: _("Your appointments changed"),
            NotificationKind.APPOINTMENT_REMINDER: _("Reminder: you have an appointment tomorrow"),
            NotificationKind.NOTE_ADDED: _("New message in your carnet"),
            NotificationKind.ACCESS_REQUESTED: _("Someone asks to see your carnet"),
        }
        title = titles.get(kind, _("New update in your carnet"))
    elif kind == NotificationKind.CONSENT_CHANGED and name:
        title = _("Sharing changed for %(name)s's carnet", name=name)
    elif name:
        title = _("New update in %(name)s's carnet", name=name)
    else:
        title = _("New update in Carnet")
    body = _("Please open Carnet soon.") if urgent else _("Open Carnet to see it.")
    return title, body


@lru_cache(maxsize=4096)
def _worded(locale: str, kind: NotificationKind, own: bool, name: str,
            urgent: bool) -> tuple[str, str, str]:
    """Title, body and writing direction in ``locale``, looked up once for messages alike:
    a worker sends thousands, and switching locale for each was a sixth of its time."""
    with force_locale(locale):
        title, body = _words(kind, own, name, urgent)
    return title, body, ("rtl" if Locale.parse(locale).character_order == "right-to-left"
                         else "ltr")


def build(notification: Notification, recipient: Account, owner: Account | None,
          tag: str | None = None) -> bytes:
    """The message for the device, in the recipient's language, size-checked: a
    *declarative Web Push* message (``"web_push": 8030``, W3C Push API), which Safari 18.4+
    shows by itself — even with no service worker, as on an iPhone's Home Screen app — and
    which our service worker shows (once per id) everywhere else.

    ``tag`` (the notification's opaque topic) lets a newer one replace an older one that
    is still on the screen.
    """
    locale = recipient.locale if recipient.locale in LOCALES else DEFAULT_LOCALE
    own = owner is not None and owner.id == recipient.id
    title, body, direction = _worded(locale, notification.kind, own, short_name(owner),
                                     notification.urgent)
    shown = {"title": title, "body": body,
             "navigate": current_app.config["CARNET_ORIGIN"].rstrip("/") + notification.url,
             "tag": tag or f"n{notification.id}", "lang": locale, "dir": direction,
             "data": {"id": notification.id, "url": notification.url}}
    data = {"web_push": DECLARATIVE, "notification": shown}
    encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if len(encoded) > PLAINTEXT_MAX:
        # Only a very long name or URL gets here: the link matters more than the words.
        shown.update(title="Carnet", body="")
        encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        if len(encoded) > PLAINTEXT_MAX:
            raise PayloadTooLarge(notification.id)
    return encoded


def topic(notification: Notification, secret: str) -> str | None:
    """The ``Topic`` header: the same for a newer notification of the same kind and carnet,
    opaque to the push service, and within RFC 8030's 32 URL-safe characters."""
    if not notification.topic:
        return None
    digest = hmac.new(secret.encode(), notification.topic.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:TOPIC_MAX]


def ttl(notification: Notification, now: datetime, default: int) -> int:
    """Seconds the push service may keep the message for an offline device (never 0:
    pywebpush's default of 0 drops it when the phone is not reachable right now)."""
    if notification.expires_at is not None:
        return max(1, min(TTL_MAX, int((notification.expires_at - now).total_seconds())))
    return max(1, min(TTL_MAX, default))


def expired(notification: Notification, now: datetime) -> bool:
    return notification.expires_at is not None and notification.expires_at <= now + timedelta(
        seconds=1)
