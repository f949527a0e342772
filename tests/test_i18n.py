"""French by default, English and Arabic complete, and no string left out of any catalogue."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_french_is_the_default(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page
    assert "Se connecter à Carnet" in page


def test_english_when_the_browser_asks_for_it(client):
    page = client.get("/sign-in", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(
        as_text=True
    )
    assert '<html lang="en" dir="ltr">' in page
    assert "Sign in to Carnet" in page


def test_arabic_reads_from_right_to_left(client):
    page = client.get("/sign-in", headers={"Accept-Language": "ar-MA,ar;q=0.9,fr;q=0.5"}
                      ).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "تسجيل الدخول إلى Carnet" in page  # the compiled Arabic catalogue is used
    assert '<button class="button" type="submit" name="locale" value="ar" lang="ar" dir="rtl"' \
        in page


def test_the_language_switch_wins_over_the_browser(demo_actions):
    client = demo_actions.client
    token = demo_actions.csrf_token("/sign-in")
    response = client.post("/locale", data={"locale": "en", "next": "/sign-in",
                                            "csrf_token": token})
    assert response.headers["Location"].endswith("/sign-in")
    page = client.get("/sign-in", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Sign in to Carnet" in page


def test_the_account_language_follows_it_to_another_browser(demo_actions, app, db):
    from .conftest import persona

    demo_actions.sign_in("jeanne")
    token = demo_actions.csrf_token("/me/")
    demo_actions.client.post("/locale", data={"locale": "en", "csrf_token": token})
    db.expire_all()
    assert persona(db, "jeanne").locale == "en"


def test_the_language_switch_refuses_an_outside_redirect(demo_actions):
    token = demo_actions.csrf_token("/sign-in")
    response = demo_actions.client.post(
        "/locale", data={"locale": "fr", "next": "//evil.example.com/", "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_dates_are_shown_in_paris_time(app):
    from datetime import UTC, datetime

    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("fr"):
        rendered = app.jinja_env.from_string("{{ when|time }}").render(
            when=datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
        )
    assert rendered == "14:00"  # summer time in Paris is UTC+2


@pytest.fixture(scope="module")
def template_messages(tmp_path_factory) -> set[str]:
    """Every message id extracted from the code and templates, as `make translations-update`."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "--no-location", "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        return {message.id if isinstance(message.id, str) else message.id[0]
                for message in read_po(handle) if message.id}


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_the_catalog_has_every_string(template_messages, language):
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        (message.id if isinstance(message.id, str) else message.id[0])
        for message in catalog
        if message.id and not message.fuzzy
        and all(message.string if isinstance(message.string, tuple) else [message.string])
    }
    missing = sorted(template_messages - translated)
    assert not missing, f"{language} catalog lacks: {missing}"


def test_the_compiled_french_catalog_is_used(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"), force_locale("fr"):
        assert gettext("Sign out") == "Se déconnecter"


def test_the_catalogue_kept_for_a_request_follows_a_forced_locale(app):
    """A request keeps its catalogue (app/i18n.py); a push built inside it for someone who
    reads another language (force_locale) still gets that language, in Python and in a
    template, and the request its own again afterwards."""
    from flask import render_template_string
    from flask_babel import force_locale, gettext

    def both() -> tuple[str, str]:
        return gettext("Sign out"), render_template_string('{{ _("Sign out") }}')

    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert both() == ("Se déconnecter", "Se déconnecter")
        with force_locale("en"):
            assert both() == ("Sign out", "Sign out")
        assert both() == ("Se déconnecter", "Se déconnecter")


def test_the_french_says_both_words_where_it_once_bracketed_an_ending():
    """"Infirmier(ère)" is read letter by letter by a screen reader and stumbles a reader
    with low literacy: the catalogue says "infirmier ou infirmière" (plain French)."""
    import re

    with (ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    bracketed = [message.string for message in catalog if message.string and re.search(
        r"\w\((?:e|es|ne|le|se|rice|ère|euse|trice|s)\)", str(message.string))]
    assert bracketed == []


def test_english_dates_are_british_day_month_year_and_24_hour(app):
    """Babel's "en" is American ("December 1, 2026, 2:30 PM"): Carnet's English pages lay
    dates and times out as en-GB, in Paris time."""
    from datetime import UTC, datetime

    from flask_babel import force_locale

    moment = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)  # 14:30 in Paris
    template = app.jinja_env.from_string(
        "{{ when|date('full') }} | {{ when|date('short') }} | {{ when|time }}")
    with app.test_request_context("/"), force_locale("en"):
        assert template.render(when=moment) == "Tuesday, 1 December 2026 | 01/12/2026 | 14:30"


def test_arabic_dates_have_western_digits_and_a_24_hour_clock(app):
    """Carnet's Arabic is read in France by people from the Maghreb: digits 0-9 as written
    there, the 24-hour clock, the months of Modern Standard Arabic, Arabic punctuation."""
    from datetime import UTC, datetime

    from flask_babel import force_locale

    moment = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)  # 14:30 in Paris
    template = app.jinja_env.from_string("{{ when|date('full') }} | {{ when|time }}")
    with app.test_request_context("/"), force_locale("ar"):
        assert template.render(when=moment) == "الثلاثاء، 1 ديسمبر 2026 | 14:30"
        from app.i18n import moment_text, text_direction

        assert moment_text(moment) == "1 ديسمبر 2026، 14:30"
        assert text_direction() == "rtl"


def test_words_people_wrote_carry_their_own_direction_and_language(demo_actions, db):
    """In Arabic, a note or a plan item finds its direction by itself (dir="auto") and says
    it was written in French (the demo's words; lang), a co-written page not yet in Arabic
    says it is French (lang, dir), and a free-text field lets Arabic be typed right to left
    in any page; a note written in Arabic is marked so in a French page."""
    from .carnet_actions import carnet_id

    demo_actions.sign_in("jeanne")
    carnet = f"/carnet/{carnet_id(db, 'jeanne')}"
    arabic = {"Accept-Language": "ar"}

    def page(path: str) -> str:
        return demo_actions.client.get(path, headers=arabic).get_data(as_text=True)

    assert '<p class="note__body" lang="fr" dir="auto">' in page(f"{carnet}/notes")
    assert '<textarea dir="auto" id="body"' in page(f"{carnet}/notes")
    assert re.search(r'class="plan-item__title"><a [^>]*lang="fr" dir="auto">',
                     page(f"{carnet}/plan"))
    understand = page(f"{carnet}/understand")
    assert '<html lang="ar" dir="rtl">' in understand
    assert ' lang="fr" dir="ltr">' in understand  # the demo's pages are in French and English

    token = demo_actions.csrf_token(f"{carnet}/notes")
    demo_actions.client.post(f"{carnet}/notes", headers=arabic,
                             data={"body": "سأتصل بالممرضة غدا", "csrf_token": token})
    assert '<p class="note__body" dir="auto">سأتصل بالممرضة غدا</p>' in page(f"{carnet}/notes")
    french = demo_actions.client.get(f"{carnet}/notes").get_data(as_text=True)
    assert '<p class="note__body" lang="ar" dir="auto">سأتصل بالممرضة غدا</p>' in french
    english = demo_actions.client.get(f"{carnet}/notes", headers={"Accept-Language": "en"})
    assert '<p class="note__body" lang="fr" dir="auto">' in english.get_data(as_text=True)


def test_jeannes_pages_write_dates_in_full(demo_actions, db):
    """Plain French: "1 décembre 2026", never "1 déc. 2026", which stumbles a reader with low
    literacy and a screen reader alike."""
    from .carnet_actions import carnet_id

    demo_actions.sign_in("jeanne")
    carnet = f"/carnet/{carnet_id(db, 'jeanne')}"
    abbreviated, months = {}, 0
    for path in ["/", f"{carnet}/plan", f"{carnet}/notes", f"{carnet}/appointments",
                 f"{carnet}/symptoms", f"{carnet}/who-saw", f"{carnet}/consent/timeline",
                 f"{carnet}/changes", f"{carnet}/print"]:
        page = demo_actions.client.get(path).get_data(as_text=True)
        months += len(re.findall(r"\d (?:janvier|février|mars|avril|mai|juin|juillet|août|"
                                 r"septembre|octobre|novembre|décembre) 20\d\d", page))
        if found := re.findall(r"\d (?:janv|févr|avr|juil|sept|oct|nov|déc)\.", page):
            abbreviated[path] = found
    assert abbreviated == {}
    assert months > 20
