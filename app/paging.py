"""Pages of a long list: which one is asked for, and how many there are."""

from __future__ import annotations

from flask import request

from .ids import whole_number


def page_number() -> int:
    """The ``?page=`` asked for: a plain positive number, else the first page."""
    return whole_number(request.args.get("page", "1"), 1, 10**6 - 1) or 1


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows make, one at least (an empty list is one empty page)."""
    return max(1, -(-total // per_page))
