"""What the carnet's forms share: the input error, and the message for a text too long."""

from __future__ import annotations

from flask_babel import gettext as _


class InputError(Exception):
    """Input that cannot be saved; ``errors`` maps a field to a translated message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def too_long(maximum: int, count: int) -> str:
    """The message for a text of ``count`` characters where ``maximum`` are allowed."""
    return _("At most %(max)d characters (you wrote %(count)d).", max=maximum, count=count)
