"""Pages of a long list: which one is asked for, and how many there are."""

from __future__ import annotations

from flask import request


def page_number() -> int:
    """The ``?page=`` asked for: a plain positive number, else the first page (never a 500:
    "²" is a digit to Python but not a number to ``int``)."""
    page = request.args.get("page", "1")
    return int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 10**6 else 1


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows make, one at least (an empty list is one empty page)."""
    return max(1, -(-total // per_page))
