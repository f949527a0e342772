"""The reads of the consent area's pages: "Who saw my carnet" and the patient's decisions,
newest first, one page at a time (one or two queries a page, however long the history)."""

from __future__ import annotations

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from ..models import Account, AuditEvent, ConsentEvent, Patient
from ..paging import Cursor, KeysetPage, keyset_page, page_count

PER_PAGE = 30


def _newest_first(db: Session, patient: Patient, model, query, page: int
                  ) -> tuple[list, int, int]:
    """Page ``page`` (or the last one, if there are fewer) of the carnet's rows of ``model``
    that ``query`` selects, newest first: (rows, page, pages)."""
    total = db.exec(select(func.count()).select_from(model)
                    .where(model.patient_id == patient.id)).one()
    pages = page_count(total, PER_PAGE)
    page = min(page, pages)
    rows = db.exec(
        query.where(model.patient_id == patient.id)
        .order_by(col(model.created_at).desc(), col(model.id).desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return list(rows), page, pages


# "Who saw my carnet" is sorted on these, newest first (ix_audit_event_patient_newest).
WHO_SAW_ORDER = (col(AuditEvent.created_at), col(AuditEvent.id))


def who_saw(db: Session, patient: Patient, start: Cursor | None) -> KeysetPage:
    """Every read or change of the carnet by someone else, refusals included, with who: the
    page from ``start`` (the first when None), in one query at any depth."""
    query = select(AuditEvent, Account).outerjoin(
        Account, Account.id == AuditEvent.actor_account_id).where(
        AuditEvent.patient_id == patient.id)
    return keyset_page(db, query, WHO_SAW_ORDER, lambda row: (row[0].created_at, row[0].id),
                       PER_PAGE, start)


def timeline(db: Session, patient: Patient, page: int) -> tuple[list, int, int]:
    """The patient's decisions on who sees what, with whom each is about."""
    grantee = aliased(Account)
    return _newest_first(db, patient, ConsentEvent, select(ConsentEvent, grantee).join(
        grantee, grantee.id == ConsentEvent.grantee_account_id), page)
