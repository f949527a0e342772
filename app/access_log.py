"""Access logs never carry a bearer token.

Some links are their own key: a calendar feed (``/calendar/<token>.ics``), an invitation
(``/invite/<token>``), a professional's access link (``/access/<token>``). Whoever reads a
log line holding one could use it. So every route whose rule has a ``<token>`` has that
path segment written "…" by a filter on the loggers that write requests: werkzeug's
(``make run``) and gunicorn's — in a request line, a path or a Referer alike.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flask import Flask
from werkzeug.routing import Map

REDACTED = "…"
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")
_SEGMENT = r"[^/?#\s\"'\\]+"  # a path segment, up to the query, a quote or a space
_END = r"(?=[/?#\s\"'\\]|$)"
_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def _is_token(argument: str) -> bool:
    return argument == "token" or argument.endswith("_token")


@dataclass(frozen=True)
class _TokenRoute:
    """Where a token sits in one route: after ``head``, then ``suffix`` (".ics")."""

    head: re.Pattern[str]
    suffix: str
    fixed: frozenset[str]  # routes beside it that are not tokens ("/access/sent")

    def redact(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            segment = match.group("segment")
            if segment in self.fixed:
                return match.group(0)
            keep = self.suffix if self.suffix and segment.endswith(self.suffix) else ""
            return match.group("head") + REDACTED + keep

        return self.head.sub(replace, text)


def token_routes(url_map: Map) -> list[_TokenRoute]:
    """Every place a route of ``url_map`` takes a token."""
    rules = [rule.rule for rule in url_map.iter_rules()]
    found = {}
    for rule in rules:
        parts = _ARGUMENT.split(rule)  # literal, argument, literal, …, literal
        for index in range(1, len(parts), 2):
            if not _is_token(parts[index]):
                continue
            head = "".join(re.escape(part) if i % 2 == 0 else _SEGMENT
                           for i, part in enumerate(parts[:index]))
            suffix = parts[index + 1].split("/", 1)[0]
            literal = parts[0] if index == 1 else None
            fixed = frozenset(
                other[len(literal):].split("/", 1)[0] for other in rules
                if literal and "<" not in other and other.startswith(literal)
                and len(other) > len(literal))
            pattern = re.compile(f"(?P<head>{head})(?P<segment>{_SEGMENT}){_END}")
            found[(head, suffix)] = _TokenRoute(pattern, suffix, fixed)
    return list(found.values())


def redact(text: str, routes: list[_TokenRoute]) -> str:
    """``text`` with the token of every token route in it written "…"."""
    for route in routes:
        text = route.redact(text)
    return text


class RedactTokens(logging.Filter):
    """Rewrites a log record so that no token of ``url_map``'s routes is left in it.

    The routes are read at the first record, once every blueprint has added its own.
    """

    def __init__(self, url_map: Map):
        super().__init__()
        self.url_map = url_map
        self._routes: list[_TokenRoute] | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self._routes is None:
            self._routes = token_routes(self.url_map)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to logging
            return True
        redacted = redact(message, self._routes)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def init_app(app: Flask) -> None:
    """Put the filter on the access loggers and the app's own (one filter per logger)."""
    for logger in [*map(logging.getLogger, ACCESS_LOGGERS), app.logger]:
        for old in [f for f in logger.filters if isinstance(f, RedactTokens)]:
            logger.removeFilter(old)
        logger.addFilter(RedactTokens(app.url_map))
