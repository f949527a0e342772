"""Published educational pages as readers get them: in their language, else French.

Every function here is one SQL query, whatever the number of pages. A page has one
published version per language at most (publishing retires the one it replaces); a
translation marked outdated is still shown, with a note that the French is newer.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from ..models import ContentPage, ContentStatus
from .workflow import SOURCE_LANGUAGE


def reader_language() -> str:
    """The language of the person reading (the request's), French when there is none."""
    return str(get_locale() or SOURCE_LANGUAGE)


def _published(language: str, *, with_body: bool = False):
    query = select(ContentPage).where(
        ContentPage.status == ContentStatus.PUBLISHED,
        col(ContentPage.language).in_({language, SOURCE_LANGUAGE}))
    return query if with_body else query.options(defer(ContentPage.body_markdown))


def _one_per_slug(rows: Iterable[ContentPage], language: str) -> dict[str, ContentPage]:
    """For each slug, the reader's language if published, else the French page."""
    chosen: dict[str, ContentPage] = {}
    for row in rows:
        current = chosen.get(row.slug)
        if current is None or (row.language == language and current.language != language):
            chosen[row.slug] = row
    return chosen


def by_title(pages: Iterable[ContentPage]) -> list[ContentPage]:
    """``pages`` in the order of their titles."""
    return sorted(pages, key=lambda page: (page.title.casefold(), page.slug))


def page(db: Session, slug: str, language: str) -> ContentPage | None:
    """The published page ``slug`` in ``language``, else in French, else None."""
    rows = db.exec(_published(language, with_body=True).where(ContentPage.slug == slug)).all()
    return _one_per_slug(rows, language).get(slug)


def for_conditions(db: Session, conditions: Iterable[str], language: str) -> list[ContentPage]:
    """The published pages about any of ``conditions``, one per slug, by title."""
    wanted = set(conditions)
    if not wanted:
        return []
    # Conditions are a JSON list, which SQLite and PostgreSQL do not search alike; the
    # published pages are few, so they are read at once and sorted out here.
    chosen = _one_per_slug(db.exec(_published(language)).all(), language)
    return by_title(p for p in chosen.values() if wanted & set(p.conditions or []))


def for_slugs(db: Session, slugs: Iterable[str], language: str, *,
              with_body: bool = False) -> dict[str, ContentPage]:
    """slug → published page, for the slugs that have one (a plan action's page); with their
    text when ``with_body`` (a page that shows them all), else it is left out."""
    wanted = {slug for slug in slugs if slug}
    if not wanted:
        return {}
    return _one_per_slug(db.exec(_published(language, with_body=with_body).where(
        col(ContentPage.slug).in_(wanted))).all(), language)


def for_questionnaires(db: Session, codes: Iterable[str], language: str) -> dict[str, ContentPage]:
    """"code:key" → published page attached to that item, for items of questionnaires ``codes``.

    The item is read from the French version as well as the reader's, so that a
    translation which lacks the link still takes the place of the French page.
    """
    prefixes = [f"{code}:" for code in set(codes) if code]
    if not prefixes:
        return {}
    attached = select(ContentPage.slug).where(
        ContentPage.status == ContentStatus.PUBLISHED,
        sa.or_(*(col(ContentPage.questionnaire_item).startswith(p, autoescape=True)
                 for p in prefixes)))
    rows = db.exec(_published(language).where(col(ContentPage.slug).in_(attached))).all()
    items = {row.slug: row.questionnaire_item for row in rows if row.questionnaire_item}
    chosen = _one_per_slug(rows, language)
    return {items[slug]: p for slug, p in sorted(chosen.items()) if slug in items}


def choices(db: Session, language: str) -> list[ContentPage]:
    """Every published page, one per slug, by title: what a plan action may point at."""
    return by_title(_one_per_slug(db.exec(_published(language)).all(), language).values())
