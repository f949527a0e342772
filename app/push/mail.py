"""The second channel: a content-free e-mail for the accounts that chose it and have no
device that can receive a push (an iPhone whose owner never added Carnet to the Home
Screen, a computer without notifications).

It says only that there is something new in Carnet, and links to Carnet: no name, no kind
of change, nothing a mailbox, a mail server or someone reading over a shoulder could learn
health from. At most one every ``EVERY`` per account. Off unless ``CARNET_SMTP_HOST`` is
set.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, col

from ..models import Account, NotificationPreference
from . import payload as payloads

log = logging.getLogger("carnet.push")

EVERY_HOURS = 12
EVERY = timedelta(hours=EVERY_HOURS)


def configured() -> bool:
    return bool(current_app.config["SMTP_HOST"])


def claim(db: Session, account_id: int, now: datetime) -> bool:
    """Whether this worker may e-mail ``account_id`` now (none in the last ``EVERY``): one
    compare-and-set, committed, so that of several workers one only writes."""
    result = db.exec(sa.update(NotificationPreference).where(
        NotificationPreference.account_id == account_id,
        col(NotificationPreference.email_when_no_device),
        sa.or_(col(NotificationPreference.last_email_at).is_(None),
               col(NotificationPreference.last_email_at) <= now - EVERY),
    ).values(last_email_at=now))
    db.commit()
    return result.rowcount == 1


def message(account: Account) -> EmailMessage:
    """The e-mail, in the account's language: something new, and the way to Carnet."""
    config = current_app.config
    locale = account.locale if account.locale in payloads.LOCALES else payloads.DEFAULT_LOCALE
    with force_locale(locale):
        subject = _("Something new in Carnet")
        body = _("There is something new for you in Carnet. Open Carnet to see it: "
                 "%(url)s\n\nYou receive this e-mail because none of your devices can show "
                 "Carnet's notifications. You can stop it in Carnet, in Me → Notifications.",
                 url=config["CARNET_ORIGIN"] + "/")
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = config["MAIL_FROM"] or f"Carnet <no-reply@{config['CARNET_RP_ID']}>"
    mail["To"] = account.email
    mail["Content-Language"] = locale
    mail.set_content(body)
    return mail


def send(account: Account) -> bool:
    """Send the e-mail; whether the SMTP server took it (a failure is logged)."""
    config = current_app.config
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(message(account))
    except (OSError, smtplib.SMTPException) as error:
        log.warning("push: e-mail to account %s not sent: %s", account.id,
                    type(error).__name__)
        return False
    return True
