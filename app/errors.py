"""Friendly, translated error pages; no stack trace ever reaches the browser."""

from __future__ import annotations

import logging
import traceback

import sqlalchemy as sa
from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Something was wrong with that request"), _("Please go back and try again.")),
        404: (_("Page not found"), _("This page does not exist, or you cannot see it.")),
        405: (_("Not allowed"), _("This page cannot be used this way.")),
        413: (_("Too much at once"), _("What you sent is too large.")),
        429: (_("Too many attempts"), _("Please wait a minute, then try again.")),
        503: (
            _("Carnet is resting for a moment"),
            _("We cannot reach our data right now. Your information is safe. "
              "Please try again in a few minutes."),
        ),
    }


def render_error(status: int, detail: str | None = None):
    """Render the error page for ``status`` without touching the database."""
    title, message = _titles().get(
        status,
        (_("Something went wrong"), _("We are sorry. Please try again in a few minutes.")),
    )
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(error=f"{title}. {message}"), status
    g.error_page = True
    body = render_template("errors/error.html", status=status, title=title, message=message,
                           detail=detail)
    return body, status


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return render_error(error.code)


def _csrf_error(error: CSRFError):
    return render_error(400, _("The form had expired. Please reload the page and try again."))


def _database_error(error: sa.exc.SQLAlchemyError):
    log.error("database unavailable on %s %s: %s", request.method, request.path,
              type(error).__name__)
    return render_error(503)


def _unexpected(error: Exception):
    # The trace goes to the server log, never to the page; the exception's message is left
    # out because database errors quote the values they were given (health data).
    log.error("unhandled %s on %s %s\n%s", type(error).__name__, request.method, request.path,
              "".join(traceback.format_tb(error.__traceback__)))
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(sa.exc.OperationalError, _database_error)
    app.register_error_handler(sa.exc.InterfaceError, _database_error)
    app.register_error_handler(Exception, _unexpected)
