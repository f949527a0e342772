"""Pages that belong to no one area: home, health check, the PWA shell, the language switch."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from .assets import asset
from .auth import login_required, own_patient, own_professional
from .carnet.views import carnet_home
from .db import current_revision, head_revision
from .i18n import text_direction
from .models import Role

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home():
    """Each person's starting page: their carnet, the carnets they help with, or their day's
    work across their patients."""
    account = g.account
    if account.role == Role.PATIENT:
        patient = own_patient(account)
        if patient is not None:
            return carnet_home(patient.id)
    if account.role == Role.CAREGIVER:
        return redirect(url_for("carnet.choose"))
    if account.role == Role.PROFESSIONAL and own_professional(account) is not None:
        return redirect(url_for("carnet.my_day"))
    if account.role == Role.EDITOR:
        return redirect(url_for("authoring.home"))
    return render_template("main/workspace.html")


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise (for load balancers and monitors)."""
    engine = current_app.extensions["carnet.engine"]
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        schema = "current" if current_revision(engine) == head_revision() else "behind"
    except sa.exc.SQLAlchemyError:
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up", schema=schema), 200 if schema == "current" else 503


@bp.post("/locale")
def set_locale():
    """Switch the interface language, for this browser and, when signed in, for the account."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if g.get("account") is not None:
            g.account.locale = locale
    target = request.form.get("next", "")
    if not _local_path(target):
        target = url_for("main.home")
    return redirect(target)


def _local_path(target: str) -> bool:
    """Whether ``target`` is a path of this site to go back to: not another site
    ("//evil.example", "/\\evil.example", which browsers read alike) and no control
    character (a CR/LF would end the Location header and start another)."""
    return (target.startswith("/") and not target.startswith(("//", "/\\"))
            and target.isprintable())


@bp.get("/offline")
def offline():
    """Shown by the service worker when there is no network and the page is not cached."""
    g.account = None  # precached once for everyone: it must name no one
    return render_template("main/offline.html")


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest, in the visitor's language."""
    data = {
        "name": _("Carnet — my care notebook"),
        "short_name": "Carnet",
        "description": _("My care team, my care plan, my appointments and how I feel."),
        "lang": str(get_locale()),
        "dir": text_direction(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        # No "orientation": a phone on a stand, or a tablet, may be held either way (WCAG
        # 1.3.4).
        "theme_color": "#0f5e6b",
        "background_color": "#ffffff",
        "icons": [
            {"src": asset("icons/icon-192.png"), "sizes": "192x192",
             "type": "image/png", "purpose": "any"},
            {"src": asset("icons/icon-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "any"},
            {"src": asset("icons/icon-maskable-512.png"),
             "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = jsonify(data)
    response.mimetype = "application/manifest+json"
    return response


@cache
def _static_version(static_folder: str) -> str:
    """A hash of the shell's static files: a new one makes the service worker update."""
    digest = hashlib.sha256()
    for path in sorted(Path(static_folder).rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# What the service worker keeps at install for offline reading (static/sw.js ASSETS): the
# shell of every page, and htmx for the pages that use it.
SHELL_ASSETS = ("css/carnet.css", "js/app.js", "js/report-queue.js", "js/offline-report.js",
                "vendor/htmx.min.js", "icons/sprite.svg", "icons/icon.svg", "icons/icon-192.png")


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that its scope is the whole app, at a
    URL that never changes; it is given the current URLs of the shell's static files."""
    source = Path(current_app.static_folder, "sw.js").read_text()
    version = _static_version(current_app.static_folder)
    urls = json.dumps({name: asset(name) for name in SHELL_ASSETS}, indent=2)
    source = source.replace("__CARNET_VERSION__", version).replace(
        "/*__CARNET_ASSETS__*/ {}", urls)
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response
