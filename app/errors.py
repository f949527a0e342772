"""Friendly, translated error pages; no stack trace reaches the browser, no value the log.

Every error page first ends the request's database transaction. A failed write leaves the
session unusable: a page rendered with it failed in turn, Flask logged the chained
exception with the SQL parameters (the note's text), and the person got Werkzeug's bare
English page without our headers.
"""

from __future__ import annotations

import logging
import secrets

import sqlalchemy as sa
from flask import Flask, g, has_request_context, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from . import logs
from .db import discard_session

log = logging.getLogger(__name__)


def request_id() -> str:
    """A short random name of this request: in its ``X-Request-Id``, on its error page and in
    its log lines, so that a person can quote it and the log line be found."""
    if "request_id" not in g:
        g.request_id = secrets.token_hex(4)
    return g.request_id


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
    """The error page for ``status`` (JSON to a JSON request), after ending the request's
    transaction; it reads nothing from the database."""
    discard_session()
    title, message = _titles().get(
        status,
        (_("Something went wrong"), _("We are sorry. Please try again in a few minutes.")),
    )
    # A server fault gets a reference the person can quote; a refusal needs none.
    reference = request_id() if status >= 500 else None
    if request.is_json or request.accept_mimetypes.best == "application/json":
        body = {"error": f"{title}. {detail or message}"}
        return jsonify(body | ({"reference": reference} if reference else {})), status
    g.error_page = True
    try:
        page = render_template("errors/error.html", status=status, title=title,
                               message=message, detail=detail, reference=reference)
    except Exception as error:  # the last resort must not fail in turn
        log.error("error page failed: %s [request %s]\n%s", logs.classes(error), request_id(),
                  logs.describe(error))
        page = (f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>"
                f"<p>{escape(message)}</p>" + (f"<p>{escape(reference)}</p>" if reference else ""))
    return page, status


def _request_line() -> str:
    return f"{request.method} {request.endpoint or '(no route)'} [request {request_id()}]"


def log_error(error: BaseException, what: str = "unhandled") -> None:
    """Log ``error`` by class, request and frames only: its message may quote health data."""
    log.error("%s %s on %s\n%s", what, logs.classes(error), _request_line(), logs.describe(error))


DATABASE_AWAY = (sa.exc.OperationalError, sa.exc.InterfaceError)


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    # An exception no view raised (the request's commit, once its answer was ready) reaches
    # Flask as a 500 wrapping it: the database gone away is still the 503 page, "try again".
    if isinstance(getattr(error, "original_exception", None), DATABASE_AWAY):
        return render_error(503)  # logged already by _log_exception
    return render_error(error.code)


def _csrf_error(error: CSRFError):
    return render_error(400, _("The form had expired. Please reload the page and try again."))


def _database_error(error: sa.exc.SQLAlchemyError):
    log_error(error, "database unavailable:")
    return render_error(503)


def _unexpected(error: Exception):
    log_error(error)
    return render_error(500)


def _log_exception(exc_info) -> None:
    """Flask's own report of an exception no handler answered, without its message."""
    error = exc_info[1]
    if has_request_context():
        log_error(error, "unhandled (no handler)")
    else:
        log.error("unhandled %s\n%s", logs.classes(error), logs.describe(error))


def _tag_with_request_id(response):
    response.headers["X-Request-Id"] = request_id()
    return response


def init_app(app: Flask) -> None:
    logs.install()
    app.log_exception = _log_exception  # type: ignore[method-assign]
    app.after_request(_tag_with_request_id)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    for away in DATABASE_AWAY:
        app.register_error_handler(away, _database_error)
    app.register_error_handler(Exception, _unexpected)
