""""Was this clear?": readers answer about a page, editors read the answers.

Nothing says who answered: no account, no patient, no address, and the day only (not
the time), so that an answer cannot be matched with a visit in the logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlmodel import Session, col, func, select

from ..carnet.validation import InputError
from ..models import ContentFeedback, ContentPage, ContentStatus
from ..types import utcnow

COMMENT_MAX = 1000
ANSWERS = {"yes": True, "not_really": False}


@dataclass
class PageFeedback:
    """What readers said about one version of a page."""

    page: ContentPage
    clear: int = 0
    unclear: int = 0
    comments: list[ContentFeedback] = field(default_factory=list)


def the_day(moment: datetime) -> datetime:
    """``moment`` rounded down to its day (UTC midnight)."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def record(db: Session, page: ContentPage, clear: bool, comment: str,
           now: datetime | None = None) -> ContentFeedback:
    """Keep one answer about ``page`` (a published version), with no identity at all."""
    if page.status != ContentStatus.PUBLISHED:
        raise InputError({"page": _("This version of the page is no longer published.")})
    row = ContentFeedback(page_id=page.id, clear=clear, comment=(comment or "").strip(),
                          created_at=the_day(now or utcnow()))
    db.add(row)
    db.flush()
    return row


def summary(db: Session) -> list[PageFeedback]:
    """Each page version that has answers: counts of each answer, comments newest first.

    Two queries: the counts with their pages, then the comments.
    """
    counts = db.exec(
        select(ContentPage, ContentFeedback.clear, func.count(col(ContentFeedback.id)))
        .join(ContentFeedback, col(ContentFeedback.page_id) == ContentPage.id)
        .group_by(col(ContentPage.id), col(ContentFeedback.clear))
    ).all()
    found: dict[int, PageFeedback] = {}
    for page, clear, count in counts:
        entry = found.setdefault(page.id, PageFeedback(page))
        if clear:
            entry.clear = count
        else:
            entry.unclear = count
    comments = db.exec(select(ContentFeedback).where(ContentFeedback.comment != "").order_by(
        col(ContentFeedback.created_at).desc(), col(ContentFeedback.id).desc())).all()
    for row in comments:
        found[row.page_id].comments.append(row)
    return sorted(found.values(), key=lambda f: (f.page.title.casefold(), f.page.language,
                                                 -f.page.version))
