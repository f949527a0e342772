"""Content co-written with patient associations: educational pages, reviews, feedback."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import (
    created_field,
    enum_field,
    json_field,
    language_field,
    text_field,
    time_field,
)
from .enums import ContentStatus, ReadingLevel, ReviewAction


class ContentPage(SQLModel, table=True):
    """One version of an educational page in one language (Markdown, sanitized on render)."""

    __tablename__ = "content_page"
    __table_args__ = (sa.UniqueConstraint("slug", "language", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, index=True)
    language: str = Field(max_length=10)
    version: int = Field(default=1)
    status: ContentStatus = enum_field(ContentStatus, default=ContentStatus.DRAFT)
    title: str = Field(max_length=200)
    body_markdown: str = text_field()
    conditions: list = json_field()
    reading_level: ReadingLevel = enum_field(ReadingLevel, default=ReadingLevel.STANDARD)
    # Where the page helps: an item of a questionnaire ("heart_failure:ankles"). A plan
    # action points at a page by its slug (PlanItem.content_slug), never the other way:
    # content knows nothing of any patient.
    questionnaire_item: str = Field(default="", max_length=120)
    source_id: int | None = Field(default=None, foreign_key="content_page.id")
    outdated: bool = Field(default=False)
    author_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = created_field()
    published_at: datetime | None = time_field()
    retired_at: datetime | None = time_field()


class ContentReview(SQLModel, table=True):
    """A step of the review workflow of a page or a questionnaire (who, when, comment)."""

    __tablename__ = "content_review"

    id: int | None = Field(default=None, primary_key=True)
    language: str = language_field()
    page_id: int | None = Field(default=None, foreign_key="content_page.id", index=True)
    questionnaire_id: int | None = Field(default=None, foreign_key="questionnaire.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    action: ReviewAction = enum_field(ReviewAction)
    comment: str = text_field()
    created_at: datetime = created_field()


class ContentFeedback(SQLModel, table=True):
    """"Was this clear?" — kept without any patient identity, on purpose."""

    __tablename__ = "content_feedback"

    id: int | None = Field(default=None, primary_key=True)
    page_id: int = Field(foreign_key="content_page.id", index=True)
    clear: bool
    comment: str = text_field()
    created_at: datetime = created_field()
