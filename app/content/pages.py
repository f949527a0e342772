"""Educational pages: drafts, new versions, translations, and what changed between two
versions, for the reviewers.

A page is a family of versions sharing a slug and a language; the French family is the
source and an English version says which French version it translates (``source_id``).
Only a draft is ever changed: a version in review or published is read-only, so what a
reviewer approved is what patients read. The review itself is :mod:`.workflow`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlmodel import Session, col, select

from ..models import Account, ContentPage, ContentStatus, Questionnaire, ReadingLevel
from . import workflow

LANGUAGES = ("fr", "en", "ar")
TITLE_MAX = 200
BODY_MAX = 20_000
SLUG_MAX = 120
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# What an author writes; everything else (slug, language, version, status) is given.
EDITABLE = ("title", "conditions", "reading_level", "questionnaire_item", "body_markdown")
DIFF_CONTEXT = 2  # unchanged lines kept around each change


class PageError(ValueError):
    """A change that cannot be made to this version; the message is for the author."""


def slugify(title: str) -> str:
    """ASCII lowercase words and hyphens: "Mes chevilles gonflent" → "mes-chevilles-gonflent"."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "page"


def slug_taken(db: Session, slug: str) -> bool:
    """Whether a page of any language already uses ``slug`` (a translation shares it)."""
    return db.exec(select(ContentPage.id).where(ContentPage.slug == slug)).first() is not None


def free_slug(db: Session, title: str) -> str:
    """A slug made from ``title`` that no page uses yet ("…-2", "…-3" if needed)."""
    base = slugify(title)
    slug, n = base, 1
    while slug_taken(db, slug):
        n += 1
        suffix = f"-{n}"
        slug = base[:SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return slug


def questionnaire_items(db: Session, language: str) -> dict[str, str]:
    """The items of the published questionnaires, "code:key" → "Questionnaire — item",
    worded in ``language`` when a version in it is published, else in French."""
    rows = db.exec(select(Questionnaire).where(
        Questionnaire.status == ContentStatus.PUBLISHED).order_by(col(Questionnaire.code))).all()
    rows = sorted(rows, key=lambda q: (q.code, q.language != language,
                                       q.language != workflow.SOURCE_LANGUAGE))
    items: dict[str, str] = {}
    for questionnaire in rows:
        for item in questionnaire.definition.get("items", []):
            items.setdefault(f"{questionnaire.code}:{item['key']}",
                             f"{questionnaire.title} — {item['label']}")
    return items


def create_draft(db: Session, author: Account, *, title: str, language: str,
                 conditions: list[str], reading_level: str, body_markdown: str,
                 questionnaire_item: str = "", slug: str = "") -> ContentPage:
    """A new page, version 1, as a draft of ``author``; its slug is made from its title
    unless one is chosen."""
    slug = slug or free_slug(db, title)
    if slug_taken(db, slug):
        raise PageError(_("Another page already has this address."))
    page = ContentPage(slug=slug, language=language, version=1, status=ContentStatus.DRAFT,
                       author_id=author.id)
    _fill(page, title=title, conditions=conditions, reading_level=reading_level,
          questionnaire_item=questionnaire_item, body_markdown=body_markdown)
    db.add(page)
    db.flush()
    return page


def edit_draft(db: Session, page: ContentPage, **fields) -> None:
    """Change what an author writes on a draft; any other version stays as it was."""
    if page.status != ContentStatus.DRAFT:
        raise PageError(_("Only a draft can be changed. To change a published page, "
                          "make a new version of it."))
    _fill(page, **fields)
    db.add(page)


def _fill(page: ContentPage, **fields) -> None:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    for name, value in fields.items():
        if name == "reading_level":
            value = ReadingLevel(value)
        elif name == "conditions":
            value = list(value)
        elif isinstance(value, str):
            value = value.strip() if name != "body_markdown" else value.strip("\n")
        setattr(page, name, value)


def new_version(db: Session, page: ContentPage, author: Account) -> ContentPage:
    """A draft copied from a published version, for ``author`` to change; if its family
    already has a draft or a version in review, that one, so that there is only one."""
    draft = workflow.open_draft(db, page)
    if draft is not None:
        return draft
    if page.status != ContentStatus.PUBLISHED:
        raise PageError(_("A new version starts from the published version."))
    copy = ContentPage(slug=page.slug, language=page.language,
                       version=workflow.next_version(db, page), status=ContentStatus.DRAFT,
                       source_id=_current_source(db, page), author_id=author.id,
                       **{name: getattr(page, name) for name in EDITABLE})
    copy.conditions = list(page.conditions)
    db.add(copy)
    db.flush()
    return copy


def _current_source(db: Session, page: ContentPage) -> int | None:
    """What a new version of a translation translates: the French version published now."""
    if page.language == workflow.SOURCE_LANGUAGE:
        return None
    source = db.exec(select(ContentPage.id).where(
        ContentPage.slug == page.slug, ContentPage.language == workflow.SOURCE_LANGUAGE,
        ContentPage.status == ContentStatus.PUBLISHED)).first()
    return source or page.source_id


def translate(db: Session, page: ContentPage, author: Account, language: str = "en") -> ContentPage:
    """An English (or Arabic) draft of a published French page, prefilled with the French
    text for the translator to replace; the family's open draft instead if it has one."""
    if page.language != workflow.SOURCE_LANGUAGE or page.status != ContentStatus.PUBLISHED:
        raise PageError(_("Only a published French page can be translated."))
    target = ContentPage(slug=page.slug, language=language, author_id=author.id,
                         status=ContentStatus.DRAFT, source_id=page.id,
                         **{name: getattr(page, name) for name in EDITABLE})
    target.conditions = list(page.conditions)
    draft = workflow.open_draft(db, target)
    if draft is not None:
        return draft
    target.version = workflow.next_version(db, target)
    db.add(target)
    db.flush()
    return target


@dataclass
class Line:
    kind: str  # "same", "removed", "added", or "gap" between two changes
    text: str = ""


@dataclass
class PageDiff:
    """What changed from ``old`` to ``new``: fields as (name, before, after), body as lines."""

    old: ContentPage
    new: ContentPage
    fields: list[tuple[str, str, str]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.fields and not self.lines


def _plain(name: str, value) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def diff(old: ContentPage, new: ContentPage, words=_plain) -> PageDiff:
    """The changes between two versions; ``words`` turns a field's value into text (the
    template gives the translated labels)."""
    result = PageDiff(old, new)
    for name in ("title", "conditions", "reading_level", "questionnaire_item"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            result.fields.append((name, words(name, before), words(name, after)))
    a, b = old.body_markdown.splitlines(), new.body_markdown.splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for n, group in enumerate(matcher.get_grouped_opcodes(DIFF_CONTEXT)):
        if n:
            result.lines.append(Line("gap"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                result.lines.extend(Line("same", text) for text in a[i1:i2])
                continue
            result.lines.extend(Line("removed", text) for text in a[i1:i2])
            result.lines.extend(Line("added", text) for text in b[j1:j2])
    return result
