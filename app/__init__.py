"""Carnet: the patient's digital carnet de liaison."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from flask_compress import Compress
from htmx_flask import Htmx
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access_log, auth, cli, db, errors, i18n, ids, input_guard, push, security, templating
from .config import load_config
from .timing import ServerTiming

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """The application factory: configuration from the environment, then ``config``."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("CARNET_INSTANCE", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)

    ids.init_app(app)  # before any route is added: every <int:…> is a bounded id
    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    Htmx(app)
    Compress(app)  # phones on a rural 3G line: every byte counts
    auth.init_app(app)
    errors.init_app(app)
    input_guard.init_app(app)
    cli.init_app(app)
    push.init_app(app)
    templating.init_app(app)
    access_log.init_app(app)  # no bearer token in a log line

    from .carnet import bp as carnet_bp
    from .consent import bp as consent_bp
    from .content import authoring as authoring_bp
    from .content import understand as understand_bp
    from .fhir import bp as fhir_bp
    from .invitations import bp as invitations_bp
    from .main import bp as main_bp
    from .me import bp as me_bp
    from .symptoms import bp as symptoms_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(carnet_bp)
    app.register_blueprint(consent_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(me_bp)
    app.register_blueprint(push.bp)
    app.register_blueprint(symptoms_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(understand_bp)
    app.register_blueprint(fhir_bp)
    if app.config["CARNET_DEMO"]:
        from .demo.views import bp as demo_bp

        app.register_blueprint(demo_bp)
    _trust_proxies(app)
    if app.config["CARNET_SERVER_TIMING"]:  # benchmarks only (app/timing.py)
        app.wsgi_app = ServerTiming(app.wsgi_app)
    return app


def warm_up(app: Flask) -> None:
    """Do once what each worker would do on its first requests: compile every template,
    load each language's catalogue and Babel's data for its dates. gunicorn calls it in the
    master before forking (``gunicorn.conf.py``), so that no worker's first page of each
    kind waits for it (20–50 ms each, a hundred on a fresh worker's first pages)."""
    from datetime import UTC, datetime

    from flask_babel import force_locale, gettext

    environment = app.jinja_env
    for name in environment.list_templates(filter_func=lambda name: name.endswith(".html")):
        environment.get_template(name)
    with app.test_request_context("/"):
        for language in app.config["LANGUAGES"]:
            with force_locale(language):
                gettext("Sign out")
                i18n.datetime_text(datetime.now(UTC))
                i18n.moment_text(datetime.now(UTC))


def _trust_proxies(app: Flask) -> None:
    """Behind CARNET_TRUSTED_PROXIES reverse proxies, the client's address and scheme are
    the ones the proxies forwarded: rate limits count per person, not per proxy, and HSTS
    and Secure cookies follow https. Never guessed: with 0, X-Forwarded-* are ignored.

    Only -For and -Proto: links are built from CARNET_ORIGIN, and nginx passes the Host
    header itself, so trusting X-Forwarded-Host or -Port would only let a proxy that does
    not overwrite them hand a client's forgery to the app.
    """
    hops = app.config["CARNET_TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0,
                                x_prefix=0)
