""""Me → Notifications": turn notifications on for a device, see and remove one's devices."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import login_required
from ..carnet.validation import InputError
from ..db import get_session
from ..models import Role
from ..security import csrf, limiter
from ..types import utcnow
from . import bp, mail, preferences, subscriptions

renew_limit = limiter.shared_limit(lambda: current_app.config["CARNET_PUSH_RENEW_LIMIT"],
                                   scope="push-renew")


def _refused(message: str, status: int = 400):
    return jsonify(error=message), status


def _page(values: dict | None = None, errors: dict | None = None, status: int = 200):
    db = get_session()
    choice = preferences.of(db, g.account)
    if values is None:
        values = {
            "kinds": [k.value for k in preferences.offered(g.account.role)
                      if k.value not in (choice.muted_kinds or [])],
            "quiet_start": choice.quiet_start.strftime("%H:%M") if choice.quiet_start else "",
            "quiet_end": choice.quiet_end.strftime("%H:%M") if choice.quiet_end else "",
            "urgent_during_quiet": choice.urgent_during_quiet,
            "daily_digest": choice.daily_digest,
            "weekly_summary": choice.weekly_summary,
            "email_when_no_device": choice.email_when_no_device,
        }
    return render_template("push/notifications.html", devices=subscriptions.devices(
                               db, g.account),
                           public_key=current_app.config["VAPID_PUBLIC_KEY"],
                           endpoint_hash=subscriptions.endpoint_hash,
                           device_name=subscriptions.device_name,
                           kinds=preferences.offered(g.account.role),
                           kind_labels=preferences.KIND_LABELS,
                           digest_time=preferences.DIGEST_TIME,
                           weekly_time=preferences.WEEKLY_TIME,
                           is_professional=g.account.role == Role.PROFESSIONAL,
                           mail_on=mail.configured(), mail_every=mail.EVERY_HOURS,
                           values=values, errors=errors or {}), status


@bp.get("/me/notifications")
@login_required
def settings():
    """This account's devices, the button that adds the one in hand, and its choices."""
    return _page()


@bp.post("/me/notifications/preferences")
@login_required
def save_preferences():
    """Which kinds, quiet hours, the daily digest, the weekly summary (a plain form)."""
    db = get_session()
    try:
        clean = preferences.validate(request.form, g.account.role)
    except InputError as error:
        form = request.form
        values = {"kinds": form.getlist("kinds"), "quiet_start": form.get("quiet_start", ""),
                  "quiet_end": form.get("quiet_end", ""),
                  "urgent_during_quiet": "urgent_during_quiet" in form,
                  "daily_digest": "daily_digest" in form,
                  "weekly_summary": "weekly_summary" in form,
                  "email_when_no_device": "email_when_no_device" in form}
        return _page(values, error.errors, 400)
    try:
        preferences.save(db, g.account, clean, utcnow())
        db.flush()
    except sa.exc.IntegrityError:  # a first save sent twice at once: the other one won
        db.rollback()
        preferences.save(db, g.account, clean, utcnow())
    flash(_("Your notification choices are saved."))
    return redirect(url_for("push.settings"))


@bp.post("/push/subscriptions")
@login_required
def subscribe():
    """Keep the browser's ``PushSubscription.toJSON()`` for this account (JSON, CSRF header)."""
    db = get_session()
    try:
        checked = subscriptions.check(request.get_json(silent=True),
                                      current_app.config["PUSH_SERVICES"],
                                      allow_local_http=current_app.testing)
        subscriptions.save(db, g.account, checked, request.user_agent.string)
    except subscriptions.SubscriptionError as error:
        return _refused(str(error))
    except subscriptions.Taken:
        return _refused(_("This device receives another person's notifications. Ask them to "
                          "turn notifications off on it first."), 409)
    flash(_("Notifications are on for this device."))
    return jsonify(redirect=url_for("push.settings")), 201


@bp.post("/push/subscriptions/renew")
@csrf.exempt  # the service worker has no CSRF token: the old auth secret is the proof
@renew_limit
def renew():
    """The service worker's ``pushsubscriptionchange``: JSON ``{"old": {"endpoint",
    "auth"}, "subscription": PushSubscription.toJSON()}`` — the device is not lost."""
    db = get_session()
    body = request.get_json(silent=True)
    old = body.get("old") if isinstance(body, dict) else None
    if not isinstance(old, dict):
        return _refused("old subscription missing")
    try:
        checked = subscriptions.check(body.get("subscription"),
                                      current_app.config["PUSH_SERVICES"],
                                      allow_local_http=current_app.testing)
        device = subscriptions.renew(db, old.get("endpoint"), old.get("auth"), checked)
    except subscriptions.SubscriptionError as error:
        return _refused(str(error))
    except subscriptions.Taken:
        return _refused("taken", 409)
    if device is None:
        return _refused("unknown subscription", 404)
    return jsonify(renewed=True)


@bp.post("/push/subscriptions/unsubscribe")
@login_required
def unsubscribe():
    """The browser stopped its subscription: forget it here too (JSON with its endpoint)."""
    db = get_session()
    body = request.get_json(silent=True)
    device = subscriptions.by_endpoint(db, g.account,
                                       body.get("endpoint") if isinstance(body, dict) else None)
    if device is not None:
        subscriptions.forget(db, device)
    flash(_("Notifications are off for this device."))
    return jsonify(redirect=url_for("push.settings"), removed=device is not None)


@bp.post("/me/notifications/devices/<int:subscription_id>/delete")
@login_required
def remove_device(subscription_id: int):
    """Stop sending to one of this account's devices (a plain form)."""
    db = get_session()
    device = subscriptions.own_device(db, g.account, subscription_id)
    if device is None:
        abort(404)
    subscriptions.forget(db, device)
    flash(_("That device will no longer receive notifications."))
    return redirect(url_for("push.settings"))
