"""The life of a draft, the same for a page and a questionnaire:
draft → in review → published → retired.

A draft is published only when, since it was last sent for review, a professional
(clinical accuracy) and an association editor (clarity) other than its author have
approved it. Every step is a ContentReview row (who, when, comment), so the history
is read back from them and never stored beside them. Publishing a version retires the
one it replaces and marks the translations of older versions outdated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from ..models import (
    Account,
    ContentPage,
    ContentReview,
    ContentStatus,
    Notification,
    NotificationKind,
    Questionnaire,
    ReviewAction,
    Role,
)
from ..types import utcnow

Content = ContentPage | Questionnaire
SOURCE_LANGUAGE = "fr"
TRANSLATIONS = ("en", "ar")  # what a published French version is translated into here
# Who must approve, and what each one vouches for.
APPROVERS = {
    Role.PROFESSIONAL: _l("a professional (clinical accuracy)"),
    Role.EDITOR: _l("an association editor (clarity)"),
}


class WorkflowError(ValueError):
    """A step that cannot be taken now; the message is for the person who tried."""


@dataclass
class Step:
    review: ContentReview
    account: Account


def _reviews_of(item: Content):
    column = ContentReview.page_id if isinstance(item, ContentPage) else (
        ContentReview.questionnaire_id)
    return column == item.id


def family(item: Content):
    """Every version of the same page or questionnaire in the same language."""
    if isinstance(item, ContentPage):
        return select(ContentPage).where(ContentPage.slug == item.slug,
                                         ContentPage.language == item.language)
    return select(Questionnaire).where(Questionnaire.code == item.code,
                                       Questionnaire.language == item.language)


def history(db: Session, item: Content) -> list[Step]:
    """Every step of ``item``, oldest first, with who took it."""
    rows = db.exec(select(ContentReview, Account)
                   .join(Account, Account.id == ContentReview.account_id)
                   .where(_reviews_of(item)).order_by(col(ContentReview.id))).all()
    return [Step(review, account) for review, account in rows]


def authors(steps: list[Step], item: Content) -> set[int]:
    """The accounts that wrote ``item``: who started it, and whoever changed it since."""
    return {item.author_id} | {s.account.id for s in steps if s.review.action == ReviewAction.EDIT}


def approvals(steps: list[Step], item: Content) -> dict[Role, list[Account]]:
    """Who approved ``item`` since it was last sent for review, by role (never one of its
    authors: a review is someone else's eyes)."""
    since = max((n for n, s in enumerate(steps) if s.review.action == ReviewAction.SUBMIT),
                default=None)
    found: dict[Role, list[Account]] = {role: [] for role in APPROVERS}
    if since is None:
        return found
    wrote = authors(steps, item)
    for step in steps[since + 1:]:
        if step.review.action == ReviewAction.REQUEST_CHANGES:
            found = {role: [] for role in APPROVERS}
        elif (step.review.action == ReviewAction.APPROVE and step.account.id not in wrote
              and step.account.role in found and step.account not in found[step.account.role]):
            found[step.account.role].append(step.account)
    return found


def missing_approvals(steps: list[Step], item: Content) -> list[str]:
    """Whose approval ``item`` still waits for, in words ("a professional…")."""
    found = approvals(steps, item)
    return [str(words) for role, words in APPROVERS.items() if not found[role]]


def _record(db: Session, item: Content, account: Account, action: ReviewAction,
            comment: str, now: datetime) -> None:
    db.add(ContentReview(
        page_id=item.id if isinstance(item, ContentPage) else None,
        questionnaire_id=item.id if isinstance(item, Questionnaire) else None,
        account_id=account.id, action=action, comment=comment.strip(), created_at=now))


def edited(db: Session, item: Content, account: Account, now: datetime | None = None) -> None:
    """``account`` changed the draft ``item``: someone other than its author becomes a
    co-author, kept in its history once, and may no longer approve it."""
    if account.id != item.author_id and account.id not in authors(history(db, item), item):
        _record(db, item, account, ReviewAction.EDIT, "", now or utcnow())


def submit(db: Session, item: Content, account: Account, comment: str = "",
           now: datetime | None = None) -> None:
    """Send a draft for review; those who may review it are told."""
    if item.status != ContentStatus.DRAFT:
        raise WorkflowError(_("Only a draft can be sent for review."))
    item.status = ContentStatus.IN_REVIEW
    db.add(item)
    _record(db, item, account, ReviewAction.SUBMIT, comment, now or utcnow())
    wrote = authors(history(db, item), item) | {account.id}
    _tell(db, item, NotificationKind.REVIEW_REQUESTED,
          [reviewer for reviewer in reviewers(db) if reviewer not in wrote])


def reviewers(db: Session) -> list[int]:
    """Who is told that a draft waits for a review: every association editor, and the
    professionals who take part in co-writing (who wrote or reviewed a page or a
    questionnaire) — not every professional of the territory."""
    took_part = sa.union(select(ContentReview.account_id), select(ContentPage.author_id),
                         select(Questionnaire.author_id))
    return list(db.exec(select(Account.id).where(
        col(Account.is_active),
        (Account.role == Role.EDITOR) | ((Account.role == Role.PROFESSIONAL)
                                         & col(Account.id).in_(took_part)),
    ).order_by(col(Account.id))).all())


def _tell(db: Session, item: Content, kind: NotificationKind, account_ids) -> None:
    """One notification per account about ``item`` (its authoring page); their own
    choices (kinds, quiet hours, digest) are applied by the push worker."""
    kind_path = "pages" if isinstance(item, ContentPage) else "questionnaires"
    topic = f"{kind.value}-{kind_path[0]}{item.id}"  # at most 32 characters
    for account_id in account_ids:
        db.add(Notification(account_id=account_id, kind=kind, topic=topic,
                            url=f"/authoring/{kind_path}/{item.id}"))


def _tell_authors(db: Session, item: Content, kind: NotificationKind, account: Account) -> None:
    """The draft's authors hear how it fares (not the one who just acted on it)."""
    _tell(db, item, kind, sorted(authors(history(db, item), item) - {account.id}))


def review(db: Session, item: Content, account: Account, action: ReviewAction,
           comment: str = "", now: datetime | None = None) -> None:
    """Approve, ask for changes (back to draft) or just comment."""
    if action == ReviewAction.COMMENT:
        if item.status not in (ContentStatus.DRAFT, ContentStatus.IN_REVIEW):
            raise WorkflowError(_("Comments are for drafts and versions in review."))
        if not comment.strip():
            raise WorkflowError(_("Please write your comment."))
    elif action in (ReviewAction.APPROVE, ReviewAction.REQUEST_CHANGES):
        if item.status != ContentStatus.IN_REVIEW:
            raise WorkflowError(_("This version is not waiting for a review."))
        if action == ReviewAction.APPROVE and account.id in authors(history(db, item), item):
            raise WorkflowError(_("You wrote this draft: someone else must approve it."))
        if action == ReviewAction.REQUEST_CHANGES:
            if not comment.strip():
                raise WorkflowError(_("Please say what should change."))
            item.status = ContentStatus.DRAFT
            db.add(item)
    else:
        raise WorkflowError(_("This is not a review."))
    _record(db, item, account, action, comment, now or utcnow())
    if action != ReviewAction.COMMENT:
        _tell_authors(db, item, NotificationKind.DRAFT_APPROVED
                      if action == ReviewAction.APPROVE else NotificationKind.DRAFT_RETURNED,
                      account)


def publish(db: Session, item: Content, account: Account, now: datetime | None = None) -> None:
    """Publish a version in review that has both approvals; it replaces the published one."""
    now = now or utcnow()
    if item.status != ContentStatus.IN_REVIEW:
        raise WorkflowError(_("Only a version in review can be published."))
    missing = missing_approvals(history(db, item), item)
    if missing:
        raise WorkflowError(_("It still needs the approval of %(who)s.",
                              who=_(" and ").join(missing)))
    if isinstance(item, Questionnaire):
        from .questionnaire_drafts import faults  # it imports this module

        found = faults(db, item)
        if found:
            raise WorkflowError(_("It cannot be published as it is: %(faults)s",
                                  faults="; ".join(found)))
    for older in db.exec(family(item).where(type(item).status == ContentStatus.PUBLISHED)):
        older.status, older.retired_at = ContentStatus.RETIRED, now
        db.add(older)
    item.status, item.published_at = ContentStatus.PUBLISHED, now
    db.add(item)
    _record(db, item, account, ReviewAction.PUBLISH, "", now)
    _tell_authors(db, item, NotificationKind.DRAFT_PUBLISHED, account)
    if item.language == SOURCE_LANGUAGE:
        mark_translations_outdated(db, item)


def retire(db: Session, item: Content, account: Account, comment: str = "",
           now: datetime | None = None) -> None:
    """Take a published version down; reports that answered it still show it."""
    now = now or utcnow()
    if item.status != ContentStatus.PUBLISHED:
        raise WorkflowError(_("Only a published version can be retired."))
    item.status, item.retired_at = ContentStatus.RETIRED, now
    db.add(item)
    _record(db, item, account, ReviewAction.RETIRE, comment, now)


def mark_translations_outdated(db: Session, source: Content) -> None:
    """Published translations of an older version of ``source`` now lag behind it."""
    model = type(source)
    same = (ContentPage.slug == source.slug) if isinstance(source, ContentPage) else (
        Questionnaire.code == source.code)
    for row in db.exec(select(model).where(
            same, model.language != source.language, model.status == ContentStatus.PUBLISHED)):
        origin = db.get(model, row.source_id) if row.source_id else None
        if origin is None or origin.version < source.version:
            row.outdated = True
            db.add(row)


def compared_with(db: Session, item: Content) -> Content | None:
    """What a reviewer compares ``item`` with: for a draft or a version in review, the
    published version it will replace; for a published or retired one, the version it
    replaced; failing both, for a translation, the French version it translates."""
    model = type(item)
    others = family(item).where(model.id != item.id)
    if item.status in (ContentStatus.DRAFT, ContentStatus.IN_REVIEW):
        base = db.exec(others.where(model.status == ContentStatus.PUBLISHED)).first()
    else:
        base = db.exec(others.where(model.version < item.version,
                                    col(model.published_at).is_not(None))
                       .order_by(col(model.version).desc())).first()
    if base is None and item.source_id:
        base = db.get(model, item.source_id)
    return base


def siblings(db: Session, item: Content) -> list[Content]:
    """Every other version of ``item`` in every language, French first then newest first:
    what a reviewer may choose to compare it with."""
    model = type(item)
    same = (ContentPage.slug == item.slug) if isinstance(item, ContentPage) else (
        Questionnaire.code == item.code)
    return list(db.exec(select(model).where(same, model.id != item.id).order_by(
        col(model.language).desc(), col(model.version).desc())))


def chosen(others: list[Content], wanted: str) -> Content | None:
    """The version named by ``wanted`` (an id from the "compare with" choice) among
    ``others``; None when it names none of them."""
    return next((o for o in others if str(o.id) == wanted), None)


def next_version(db: Session, item: Content) -> int:
    """The version number a new draft of ``item``'s family gets."""
    return max((row.version for row in db.exec(family(item))), default=0) + 1


def open_draft(db: Session, item: Content) -> Content | None:
    """The draft or version in review of ``item``'s family, if one is being worked on:
    there is at most one at a time."""
    return db.exec(family(item).where(col(type(item).status).in_(
        [ContentStatus.DRAFT, ContentStatus.IN_REVIEW]))).first()
