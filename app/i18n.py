"""Languages: French by default, English and Arabic complete; dates in Europe/Paris."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from babel import Locale
from flask import Flask, current_app, g, request, session
from flask_babel import (
    Babel,
    Domain,
    format_date,
    format_datetime,
    format_time,
    get_locale,
)
from markupsafe import Markup

# Carnet's English is British — the day before the month, a 24-hour clock, as its own hints
# say ("31/12/2026", "14:30") — where Babel's "en" is American. Carnet's Arabic is read in
# France by people from the Maghreb: the 24-hour clock of France and of Morocco, where Babel's
# "ar" says "2:30 م"; its digits are already Western (0-9), as written there. Dates and times
# are laid out as in these locales; the words (the names of months) stay the reader's
# language's: Modern Standard Arabic "ديسمبر", read everywhere, not one country's "دجنبر".
LAID_OUT_AS = {"en": "en_GB", "ar": "ar_MA"}
NAMED = ("short", "medium", "long", "full")


class _Domain(Domain):
    """The catalogue kept for the request beside the locale it was found for.

    Flask-Babel looks the locale and the catalogue up again for every string (three context
    look-ups and a locale name each time): a patient's home translates a hundred strings, and
    that was a tenth of its time. A ``force_locale`` block sets another locale, so it gets
    its own catalogue; outside a request, Flask-Babel's own way.
    """

    def get_translations(self):
        babel = g.__dict__.get("_flask_babel") if g else None
        locale = getattr(babel, "babel_locale", None)
        if locale is None:  # the first string of the request: the locale is chosen here
            return super().get_translations()
        kept = getattr(babel, "carnet_translations", None)
        if kept is None or kept[0] is not locale:
            kept = babel.carnet_translations = (locale, super().get_translations())
        return kept[1]


def select_locale() -> str:
    """The account's choice, else this browser's choice, else Accept-Language, else French."""
    languages = current_app.config["LANGUAGES"]
    account = g.get("account")
    if account is not None and account.locale in languages:
        return account.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or languages[0]


def _layout() -> Locale:
    return _layout_of(str(get_locale()))


def script_locale() -> str:
    """The reader's dates and times as a browser's ``Intl`` takes them ("en-GB", "ar-MA")."""
    return str(_layout()).replace("_", "-")


@cache
def _layout_of(language: str) -> Locale:
    return Locale.parse(LAID_OUT_AS.get(language, language))


def _pattern(formats, fmt: str) -> str:
    return formats[fmt].pattern if fmt in NAMED else fmt


def date_text(value: date | datetime | None, fmt: str = "long") -> str:
    """A day in the reader's language ("1 décembre 2026", "1 December 2026"); a datetime's
    day in Paris."""
    return format_date(value, _pattern(_layout().date_formats, fmt)) if value else ""


def time_text(value: datetime | None, fmt: str = "short") -> str:
    """A time of day in the reader's language, in Paris ("09:30")."""
    return format_time(value, _pattern(_layout().time_formats, fmt)) if value else ""


def datetime_text(value: datetime | None, fmt: str = "medium") -> str:
    """A date and time in the reader's language, in Paris ("1 Dec 2026, 09:30:00")."""
    if not value:
        return ""
    layout = _layout()
    if fmt in NAMED:
        fmt = (layout.datetime_formats[fmt].replace("{1}", layout.date_formats[fmt].pattern)
               .replace("{0}", layout.time_formats[fmt].pattern))
    return format_datetime(value, fmt)


def moment_text(value: datetime) -> str:
    """A moment as the timelines write it, the month in full (an abbreviation stumbles a
    reader with low literacy and a screen reader): "1 décembre 2026, 09:30",
    "1 December 2026, 09:30", "1 ديسمبر 2026، 09:30"."""
    return day_and_time(date_text(value, "long"), time_text(value))


def day_and_time(day: str, time: str) -> str:
    """A day and a time of day joined as the reader's language joins them ("," or "،")."""
    return _layout().datetime_formats["medium"].replace("{1}", day).replace("{0}", time)


def text_direction() -> str:
    """The direction of the reader's language, for ``<html dir>``: "rtl" in Arabic."""
    return "rtl" if _layout().character_order == "right-to-left" else "ltr"


def _foreign(language: str | None) -> bool:
    """Whether words in ``language`` are in another language than the page's."""
    return bool(language) and language != str(get_locale())


def language_of(language: str | None) -> Markup:
    """` lang="fr" dir="ltr"` for words written in ``language`` inside a page in another (a
    co-written page or a questionnaire not yet translated): a screen reader reads them with
    the right voice and the browser lays them out their way. Nothing in the page's language."""
    if not _foreign(language):
        return Markup("")
    direction = "rtl" if _layout_of(language).character_order == "right-to-left" else "ltr"
    return Markup(' lang="%s" dir="%s"') % (language, direction)


def written_in(text: str, language: str | None) -> Markup:
    """``text`` marked as written in ``language`` when that is not the page's: the two sides
    of a comparison between a French version and its translation."""
    attributes = language_of(language)
    return Markup("<span%s>%s</span>") % (attributes, text) if attributes else Markup.escape(text)


def written_by(language: str | None) -> Markup:
    """The attributes of a block of words a person wrote (a note, a plan item's details):
    their direction found from the words themselves (``dir="auto"``: an Arabic note in a
    French page reads right to left), and their language where it is not the page's."""
    if not _foreign(language):
        return Markup(' dir="auto"')
    return Markup(' lang="%s" dir="auto"') % language


def bdi(text: str, language: str | None = None) -> Markup:
    """Words a person wrote, inside a sentence of Carnet's: isolated, so that an Arabic
    comment in a French sentence (or the reverse) does not reorder the sentence around it;
    with their language where it is not the page's."""
    if not _foreign(language):
        return Markup("<bdi>%s</bdi>") % text
    return Markup('<bdi lang="%s">%s</bdi>') % (language, text)


def init_app(app: Flask) -> None:
    babel = Babel(app, locale_selector=select_locale)
    with app.app_context():
        domain = babel.domain_instance = _Domain(domain=babel.domain)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.filters.update(date=date_text, datetime=datetime_text, time=time_text,
                                 moment=moment_text)
    app.jinja_env.globals["get_locale"] = lambda: str(get_locale())
    app.jinja_env.globals.update(text_direction=text_direction, language_of=language_of,
                                 written_in=written_in, written_by=written_by, bdi=bdi)
