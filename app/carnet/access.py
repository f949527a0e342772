"""The one way into a carnet: the access policy decides, and "Who saw my carnet" is told
the truth (Code de la santé publique, L1111-19).

Every view of a carnet opens it with :func:`open_carnet`, which makes the request's
:class:`CarnetAccess`. For anyone but the patient herself, it writes:

- for a page (GET), a form included: a READ of each section it shows; printing the
  carnet and downloading a calendar file: an EXPORT instead;
- for a change (any other method): CREATE, UPDATE or DELETE, written only by the commit
  that changes data, in the same transaction. A change refused by validation or by a
  concurrent edit that answers with its page again (400, 409) is a READ, like the GET of
  that page; one that answers nothing (a bare 400, a redirect) writes nothing, nor does a
  page that redirects;
- a refusal by the policy: one line, marked refused, committed at once, then 404.

Lines wait in the access object and are written when the request commits, so that a
refusal found late in a request replaces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import chain
from typing import NoReturn

import sqlalchemy as sa
from flask import Response, abort, g, request
from sqlmodel import Session, select

from .. import policy
from ..db import get_session
from ..models import Account, AccountSession, AuditAction, AuditEvent, CarnetVisit, Patient
from ..types import utcnow
from . import bp

# Rows a read writes too (its audit line, the reader's visit, the session's state): a
# transaction that writes only these has changed none of the carnet's data.
BOOKKEEPING = (AuditEvent, CarnetVisit, AccountSession)
# The section of a refusal when no section was asked: the carnet as a whole.
WHOLE_CARNET = "carnet"
# How data leaves Carnet (the object_type of an EXPORT line).
PRINT, CALENDAR_FILE, CALENDAR_FEED = "print", "calendar_file", "calendar_feed"
FHIR_EXPORT = "fhir"  # the carnet as an HL7 FHIR Bundle (app/fhir)
# The link a patient hands to a professional outside the team: its page shows her name.
ACCESS_LINK = "access_link"
FEED_LINE_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class Line:
    """One line of the audit trail, as the access object will write it."""

    action: AuditAction
    section: str
    object_type: str = ""
    object_id: int | None = None


def record(db: Session, actor: Account | None, patient_id: int, line: Line,
           allowed: bool = True) -> None:
    """Add ``line`` about the carnet ``patient_id`` to the caller's transaction."""
    db.add(AuditEvent(patient_id=patient_id, actor_account_id=actor.id if actor else None,
                      actor_role=actor.role if actor else None, section=line.section,
                      action=line.action, allowed=allowed, object_type=line.object_type,
                      object_id=line.object_id))


def record_reads(db: Session, actor: Account, reads: list[tuple[int, str]],
                 object_type: str = "") -> None:
    """READ lines for a list page, one per (carnet, section) it shows something of, in one
    statement however many; the caller commits. The carnets are not the viewer's own (a
    professional's lists)."""
    if not reads:
        return
    now = utcnow()
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        # One statement with two arrays: a page of 20 patients writes 60 lines, and
        # executemany's per-row work was a quarter of the page's time.
        connection.execute(_READS_FROM_ARRAYS, {
            "patients": [patient_id for patient_id, _s in reads],
            "sections": [section for _p, section in reads], "actor": actor.id,
            "role": actor.role.value, "action": AuditAction.READ.value,
            "object_type": object_type, "now": now})
        return
    connection.execute(sa.insert(AuditEvent.__table__), [
        {"patient_id": patient_id, "actor_account_id": actor.id, "actor_role": actor.role,
         "section": section, "action": AuditAction.READ, "allowed": True,
         "object_type": object_type, "object_id": None, "created_at": now}
        for patient_id, section in reads])


_READS_FROM_ARRAYS = sa.text(
    "INSERT INTO audit_event (patient_id, actor_account_id, actor_role, section, action,"
    " allowed, object_type, object_id, created_at)"
    " SELECT p, :actor, :role, s, :action, true, :object_type, NULL, :now"
    " FROM unnest(CAST(:patients AS integer[]), CAST(:sections AS varchar[])) AS r(p, s)")


def record_feed_read(db: Session, patient: Patient, owner: Account) -> None:
    """An EXPORT of the appointments through the patient's private calendar link, at most
    one line a day; the caller commits.

    The link is the patient's own (only she makes it, for her calendar app), so the line is
    hers: the one access of hers that is written, because it works without signing in —
    she sees that her link is in use and can end it. A calendar app asks every hour or so:
    one line a day says as much without burying the others.
    """
    since = utcnow() - FEED_LINE_EVERY
    if db.exec(select(AuditEvent.id).where(
            AuditEvent.patient_id == patient.id, AuditEvent.object_type == CALENDAR_FEED,
            AuditEvent.created_at > since).limit(1)).first() is None:
        record(db, owner, patient.id, Line(AuditAction.EXPORT, "appointments", CALENDAR_FEED))


class CarnetAccess:
    """One person's access to one carnet during one request: decided by the policy, and
    audited (see the module's docstring)."""

    def __init__(self, db: Session, actor: Account | None, patient: Patient, *,
                 change: AuditAction = AuditAction.UPDATE, export: str = ""):
        self.db = db
        self.actor = actor
        self.patient = patient
        self.changing = request.method not in ("GET", "HEAD")
        self.change_kind = change
        self.reading = AuditAction.EXPORT if export else AuditAction.READ
        self.export = export
        self.section: str | None = None
        self.attempt = change if self.changing else self.reading
        self.audited = not policy.is_owner(actor, patient)
        self._pending: dict[Line, None] = {}  # an ordered set
        self._written: set[Line] = set()
        self._change: Line | None = None
        self._data_changed = False
        if self.audited:
            sa.event.listen(db, "after_flush", self._after_flush)
            sa.event.listen(db, "before_commit", self._before_commit)
            sa.event.listen(db, "after_commit", self._after_commit)
            sa.event.listen(db, "after_rollback", self._after_rollback)

    # Deciding ----------------------------------------------------------------------------

    def may(self, action: str, section: str) -> bool:
        """What the policy says, without writing anything (a link, a button)."""
        return policy.can(self.db, self.actor, action, self.patient, section)

    def require(self, action: str, section: str | None) -> None:
        """Let the request through for ``action`` on ``section`` (any part at all when
        None), or refuse it; a page of a section is a READ of it, a change waits for its
        commit."""
        if section is None:
            self.check(bool(policy.permissions(self.db, self.actor, self.patient)))
            return
        if action != policy.READ:
            self.attempt = self.change_kind
        self.allow(self.may(action, section), section)

    def allow(self, allowed: bool, section: str, object_type: str = "",
              object_id: int | None = None) -> None:
        """Let the request into ``section`` on the policy's answer ``allowed``, or refuse it."""
        self.section = section
        self.check(allowed, section)
        if self.changing:
            self._change = Line(self.change_kind, section, object_type, object_id)
        else:
            self._note(Line(self.reading, section, object_type or self.export, object_id))

    def about(self, object_type: str) -> None:
        """Say what kind of thing the change of this request makes ("access_request")."""
        if self._change is not None:
            self._change = Line(self._change.action, self._change.section, object_type)

    def check(self, allowed: bool, section: str | None = None) -> None:
        """Refuse the request unless ``allowed`` (a rule of the policy's, asked by the view)."""
        if not allowed:
            self.refuse(section)

    def refuse(self, section: str | None = None, action: AuditAction | None = None) -> NoReturn:
        """Answer 404, after one refused line: in place of anything pending, committed now."""
        self._pending.clear()
        self._change = None
        if self.audited:
            line = Line(action or self.attempt, section or self.section or WHOLE_CARNET)
            record(self.db, self.actor, self.patient.id, line, allowed=False)
            self.db.commit()
        abort(404)

    def redirected(self) -> None:
        """The answer is a redirect, which shows nothing of the carnet: a page that sends
        elsewhere, or a change that changed nothing (a report sent again, a question not
        confirmed) writes no line; the page it leads to is audited on its own."""
        if not self.changing or not (self._data_changed or self._touched(self.db)):
            self.nothing_shown()

    def nothing_shown(self) -> None:
        """Write no line for this request: it changed nothing and showed nothing of the
        carnet (a change not confirmed, sent back to its question)."""
        self._pending.clear()
        self._change = None

    # Reading -----------------------------------------------------------------------------

    def read(self, section: str, object_type: str = "", object_id: int | None = None) -> bool:
        """Whether ``section`` is shared with the viewer; a shared section's read (an
        EXPORT when printing) is written with the request's commit."""
        if not self.may(policy.READ, section):
            return False
        self._note(Line(self.reading, section, object_type or self.export, object_id))
        return True

    def _note(self, line: Line) -> None:
        if self.audited and line not in self._written:
            self._pending[line] = None

    # Writing, with the transaction -------------------------------------------------------

    def _counts(self, session: Session, row: object) -> bool:
        """Whether flushing ``row`` changes the carnet's data (not only its bookkeeping)."""
        if isinstance(row, BOOKKEEPING):
            return False
        return row not in session.dirty or session.is_modified(row)

    def _touched(self, session: Session) -> bool:
        return any(self._counts(session, row)
                   for row in chain(session.new, session.dirty, session.deleted))

    def _after_flush(self, session: Session, _context) -> None:
        self._data_changed = self._data_changed or self._touched(session)

    def _before_commit(self, session: Session) -> None:
        lines = list(self._pending)
        if self._change is not None:
            if self._data_changed or self._touched(session):
                # The change says more than a read of the same section in the same request.
                lines = [self._change] + [line for line in lines if line.object_type or (
                    line.section != self._change.section)]
                self._change = None
            else:  # refused by validation or a concurrent edit: its page again, a read
                lines.append(Line(AuditAction.READ, self._change.section))
        for line in lines:
            if line not in self._written:
                record(session, self.actor, self.patient.id, line)
                self._written.add(line)
        self._pending.clear()

    def _after_commit(self, _session: Session) -> None:
        self._data_changed = False

    def _after_rollback(self, _session: Session) -> None:
        self._data_changed = False


@bp.after_app_request
def _answered(response: Response) -> Response:
    # Registered after the database's, so it runs before the request's commit.
    access = g.get("carnet_access")
    if access is not None and 300 <= response.status_code < 400:
        access.redirected()
    return response


def open_carnet(patient_id: int, section: str | None = None, action: str = policy.READ, *,
                change: AuditAction = AuditAction.UPDATE, export: str = "") -> Patient:
    """The carnet ``patient_id``, set as the one being viewed, once the policy lets the
    viewer do ``action`` on ``section`` (or anything at all, without one).

    ``change`` is what a successful change of this request is (CREATE, UPDATE, DELETE);
    ``export``, how the page takes the data out of Carnet (PRINT, CALENDAR_FILE): its reads
    are exports. A missing carnet answers 404; a refused one too, audited once.
    """
    db = get_session()
    patient = db.get(Patient, patient_id)
    if patient is None:
        abort(404)
    access = CarnetAccess(db, g.account, patient, change=change, export=export)
    g.carnet_access = access
    access.require(action, section)
    g.carnet = patient
    g.carnet_owner = db.get(Account, patient.account_id)
    return patient


def carnet_access() -> CarnetAccess:
    """The access of this request to the carnet it opened."""
    return g.carnet_access


def may_read(patient: Patient, section: str) -> bool:
    """Whether ``section`` is shared with the viewer; a shared section's read is audited."""
    access = carnet_access()
    assert access.patient.id == patient.id, "open the carnet first"
    return access.read(section)
