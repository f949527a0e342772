"""Input no view could keep is refused before any view runs, with a translated 400.

- A NUL byte, in a form field, a query argument, a JSON string, the path or a header:
  PostgreSQL's text cannot hold one, so the write failed deep in the database (a 500, and
  the value in the error); SQLite would keep it, and the two engines must answer alike.
- A JSON string that is not text (a lone surrogate, "\\ud800"): no database can encode it.
- JSON nested deeper than any of our JSON bodies (a passkey's answer, a push
  subscription) ever is: Python's parser gives up on deep nesting with a RecursionError.

Malformed JSON is left to the view, which answers it in its own words.
"""

from __future__ import annotations

import json

from flask import Flask, request
from flask_babel import gettext as _

from .errors import render_error

# Our deepest JSON body is a passkey's answer: {"credential": {"response": {...}}}.
MAX_JSON_DEPTH = 16


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unreadable() -> str:
    return _("What you sent could not be read. Please try again.")


def _unkeepable() -> str:
    return _("What you sent holds a character that Carnet cannot keep. "
             "Please check it, then try again.")


def _json_problem(body: object) -> str | None:
    """What is wrong with a JSON ``body`` no view could keep, if anything (no recursion)."""
    pending: list[tuple[object, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if _unstorable(value):
                return _unkeepable()
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                return _unreadable()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _unstorable(key):
                    return _unkeepable()
                pending.append((item, depth + 1))
    return None


def _texts():
    yield request.path
    yield from request.headers.values()
    for source in (request.args, request.form):
        for key, values in source.lists():
            yield key
            yield from values


def refuse_unstorable_input():
    """Answer 400 to a request carrying input no view could keep; let the others through."""
    if any(_unstorable(text) for text in _texts()):
        return render_error(400, _unkeepable())
    if not request.is_json:
        return None
    try:
        body = json.loads(request.get_data(cache=True))
    except RecursionError:
        return render_error(400, _unreadable())
    except ValueError:
        return None  # malformed: the view says so in its own words
    problem = _json_problem(body)
    return render_error(400, problem) if problem else None


def init_app(app: Flask) -> None:
    # First of all the checks: nothing else (the session's lookup, CSRF, the view) should
    # meet such input.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unstorable_input)
