"""The server log holds no value a person sent: exceptions are logged by class and frames.

A database error quotes what it was given ("[parameters: ('Je tousse du sang…',)]", or
PostgreSQL's "DETAIL: Key (email)=(…)"), and so does a ``ValueError`` raised on a form
value: an exception's message is health data until proved otherwise. So every log record,
from any logger (Flask's, Werkzeug's, SQLAlchemy's pool, gunicorn's, ours), loses the
messages of the exceptions it carries and keeps what an operator needs to find the fault:
each exception's class and its frames (file:line:function).

It is done where every record is made (``logging.setLogRecordFactory``) rather than by a
filter on some loggers: a logger's filter never sees the records of its children
(``sqlalchemy.pool.impl.QueuePool``), and a handler's filter misses the handlers added
later (gunicorn's, a test's).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WITHHELD = "(message withheld)"
# Text that already holds what an exception said: SQLAlchemy's statement errors, a
# traceback formatted by hand (Werkzeug's "Error on request").
TELLING = ("[parameters:", "Traceback (most recent call last)")


def _where(filename: str) -> str:
    """``filename`` short: from the project's root, or from a library's package."""
    path = Path(filename)
    if "site-packages" in path.parts:
        return "/".join(path.parts[path.parts.index("site-packages") + 1:])
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return filename


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the exceptions it was raised from or while handling, outermost first."""
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return chain


def class_name(error: BaseException) -> str:
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else (
        f"{kind.__module__}.{kind.__qualname__}")


def classes(error: BaseException) -> str:
    """The classes of ``error``'s chain: "sqlalchemy.exc.DataError ← psycopg.DataError"."""
    return " ← ".join(class_name(link) for link in _chain(error))


def describe(error: BaseException) -> str:
    """What the log keeps of ``error``: each exception of its chain by class, with its
    frames as file:line:function — never a message, never a local variable."""
    lines = []
    for link in _chain(error):
        lines.append(f"{class_name(link)} {WITHHELD}")
        frames = traceback.StackSummary.extract(traceback.walk_tb(link.__traceback__),
                                                lookup_lines=False)
        lines += [f"  {_where(frame.filename)}:{frame.lineno}:{frame.name}" for frame in frames]
    return "\n".join(lines)


def _cut(text: str) -> str:
    for marker in TELLING:
        if marker in text:
            text = text[:text.index(marker)] + WITHHELD
    return text


def _safe(value: object) -> object:
    if isinstance(value, BaseException):
        return classes(value)
    if isinstance(value, str):
        return _cut(value)
    return value


def redact(record: logging.LogRecord) -> logging.LogRecord:
    """Take out of ``record`` every exception message it carries (in place)."""
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = describe(record.exc_info[1])
        record.exc_info = None  # the formatter shows exc_text and formats nothing itself
    message = _safe(record.msg)
    if message != record.msg:  # cut short: its placeholders may be gone with the rest
        record.msg, record.args = message, ()
    if isinstance(record.args, Mapping):
        record.args = {key: _safe(value) for key, value in record.args.items()}
    elif isinstance(record.args, tuple):
        record.args = tuple(_safe(value) for value in record.args)
    return record


def install() -> None:
    """Redact every log record of this process from now on (once, however many apps)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        return redact(previous(*args, **kwargs))

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
