""""Me → Notifications": turn notifications on for a device, see and remove one's devices."""

from __future__ import annotations

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import login_required
from ..db import get_session
from . import bp, subscriptions


def _refused(message: str, status: int = 400):
    return jsonify(error=message), status


@bp.get("/me/notifications")
@login_required
def settings():
    """This account's devices, and the button that adds the one in hand."""
    devices = subscriptions.devices(get_session(), g.account)
    return render_template("push/notifications.html", devices=devices,
                           public_key=current_app.config["VAPID_PUBLIC_KEY"],
                           endpoint_hash=subscriptions.endpoint_hash,
                           device_name=subscriptions.device_name)


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
    db.commit()
    flash(_("Notifications are on for this device."))
    return jsonify(redirect=url_for("push.settings")), 201


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
        db.commit()
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
    db.commit()
    flash(_("That device will no longer receive notifications."))
    return redirect(url_for("push.settings"))
