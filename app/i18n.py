"""Languages: French by default, English complete; dates in Europe/Paris."""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_babel import Babel, format_date, format_datetime, format_time, get_locale


def select_locale() -> str:
    """The account's choice, else this browser's choice, else Accept-Language, else French."""
    languages = current_app.config["LANGUAGES"]
    account = g.get("account")
    if account is not None and account.locale in languages:
        return account.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or languages[0]


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        date=lambda value, fmt="long": format_date(value, fmt) if value else "",
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        time=lambda value, fmt="short": format_time(value, fmt) if value else "",
    )
    app.jinja_env.globals["get_locale"] = lambda: str(get_locale())
