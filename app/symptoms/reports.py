"""Symptom reports: store one exactly once, tell the care team, acknowledge it, list them."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ..carnet.validation import InputError, too_long
from ..db import ids_in
from ..i18n import date_text, time_text
from ..ids import parse_id
from ..labels import label
from ..models import (
    Account,
    ContentStatus,
    NotificationKind,
    Patient,
    Questionnaire,
    SymptomReport,
)
from ..notifications import notify
from ..paging import Cursor, KeysetPage, keyset_page
from ..types import utcnow
from . import rules
from .answers import parse_answers
from .questionnaires import SOURCE_LANGUAGE

NOTE_MAX = 1000
PER_PAGE = 20
ANSWER = "answer-"  # a form field "answer-weight" answers the item "weight"
FORM_FIELDS = {"csrf_token", "questionnaire_id", "client_id", "note", "made_at"}
# A report kept on the phone without network is dated when it was made there (a weight
# weighed at 8:00 and sent at 18:00 is a morning weight), within these bounds; outside
# them the phone's clock is not believed and the report is dated when it arrives.
MADE_AT_OLDEST = timedelta(days=30)
MADE_AT_CLOCK_SKEW = timedelta(minutes=5)
# Whether a report is urgent is the server's finding; a form claiming it is forged.
FORGED = {"urgent", "fired_rules"}


@dataclass
class Submission:
    """What a report form sent, as text, before any check."""

    questionnaire_id: str
    client_id: str
    answers: dict[str, str]
    note: str = ""
    unexpected: list[str] = field(default_factory=list)
    made_at: str = ""  # ISO 8601, set by the phone when it keeps the report offline

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Submission:
        answers = {name.removeprefix(ANSWER): value for name, value in form.items()
                   if name.startswith(ANSWER)}
        unexpected = [name for name in form
                      if name not in FORM_FIELDS and not name.startswith(ANSWER)]
        return cls(form.get("questionnaire_id", ""), form.get("client_id", ""), answers,
                   form.get("note", ""), unexpected, form.get("made_at", ""))


def made_at(value: str, now: datetime) -> datetime:
    """When the report was made: the phone's time if believable, else ``now``."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return now
    if when.tzinfo is None or not now - MADE_AT_OLDEST <= when <= now + MADE_AT_CLOCK_SKEW:
        return now
    return min(when.astimezone(now.tzinfo), now)


def new_client_id() -> str:
    """The UUID that makes a report exactly-once (made on the phone once offline works)."""
    return str(uuid.uuid4())


def content_hash(patient_id: int, questionnaire_id: int, answers: dict, note: str) -> str:
    """The SHA-256 of a report's content in canonical JSON: tells a replay from a reused UUID."""
    content = {"patient": patient_id, "questionnaire": questionnaire_id, "answers": answers,
               "note": note}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def current_questionnaires(db: Session, patient: Patient, language: str) -> list[Questionnaire]:
    """The published questionnaires of the patient's conditions, in ``language`` when there
    is one (French otherwise), in the order of the patient's conditions."""
    rows = db.exec(select(Questionnaire).where(
        col(Questionnaire.condition).in_(list(patient.conditions or [])),
        Questionnaire.status == ContentStatus.PUBLISHED,
    )).all()
    by_code: dict[str, list[Questionnaire]] = {}
    for row in rows:
        by_code.setdefault(row.code, []).append(row)
    # The newest version first, then the reader's language, then the French source.
    chosen = [max(group, key=lambda q: (q.version, q.language == language,
                                        q.language == SOURCE_LANGUAGE))
              for group in by_code.values()]
    order = {condition: n for n, condition in enumerate(patient.conditions or [])}
    return sorted(chosen, key=lambda q: (order.get(q.condition, 99), q.code))


def _questionnaire(db: Session, patient: Patient, raw_id: str) -> Questionnaire | None:
    """The questionnaire a report answers, if it is one this patient may answer at all."""
    questionnaire_id = parse_id(raw_id)
    if questionnaire_id is None:
        return None
    row = db.get(Questionnaire, questionnaire_id)
    if row is None or row.condition not in (patient.conditions or []) or row.status not in (
            ContentStatus.PUBLISHED, ContentStatus.RETIRED):
        return None
    return row


def _client_id(raw: str) -> str | None:
    try:
        value = uuid.UUID(raw)
    except (ValueError, AttributeError):
        return None
    return str(value) if str(value) == raw.lower() else None


def _earlier(db: Session, patient: Patient, questionnaire: Questionnaire,
             reported_at: datetime) -> list[rules.Earlier]:
    """The patient's earlier reports on this questionnaire (any version or language) that its
    trend rules look at."""
    days = rules.trend_days(questionnaire.definition)
    if not days:
        return []
    same_code = select(Questionnaire.id).where(Questionnaire.code == questionnaire.code)
    rows = db.exec(select(SymptomReport.reported_at, SymptomReport.answers).where(
        SymptomReport.patient_id == patient.id,
        col(SymptomReport.questionnaire_id).in_(same_code),
        SymptomReport.reported_at >= reported_at - timedelta(days=days),
        SymptomReport.reported_at <= reported_at,
    )).all()
    return [rules.Earlier(at, answers) for at, answers in rows]


def _changed() -> str:
    return _("This questionnaire has changed since you opened it. Nothing was sent. "
             "Please fill in the new one.")


def _reused() -> InputError:
    return InputError({"client_id": _(
        "This report was already sent with other answers. Nothing was changed. "
        "Please fill in a new report.")})


def _replay(db: Session, patient: Patient, client_id: str, digest: str) -> SymptomReport | None:
    """The report already stored under ``client_id``, when this is the same report again."""
    stored = db.exec(select(SymptomReport).where(SymptomReport.client_id == client_id)).first()
    if stored is None:
        return None
    if stored.patient_id != patient.id or stored.content_hash != digest:
        raise _reused()
    return stored


def submit_report(
    db: Session, patient: Patient, actor: Account, submission: Submission,
    now: datetime | None = None,
) -> tuple[SymptomReport, bool]:
    """Store a report once, with the rules it fires, and tell the care team.

    Returns the report and whether it had been stored before (a replay, answered like
    the first send). Raises InputError, storing nothing, for any bad field.
    """
    now = now or utcnow()
    errors: dict[str, str] = {}
    for name in submission.unexpected:
        errors[name] = (_("Whether a report is urgent is decided by Carnet from your answers. "
                          "It cannot be sent with the form.") if name in FORGED else
                        _("This form sent something it does not ask. Please fill it in again."))
    client_id = _client_id(submission.client_id)
    if client_id is None:
        errors["client_id"] = _("This form is not valid any more. Please fill it in again.")
    questionnaire = _questionnaire(db, patient, submission.questionnaire_id)
    answers: dict = {}
    if questionnaire is None:
        errors["questionnaire"] = _(
            "This questionnaire does not exist. Please fill in the one shown here.")
    else:
        keys = {item["key"] for item in questionnaire.definition["items"]}
        if set(submission.answers) - keys:
            errors.setdefault("form", _(
                "This form sent something it does not ask. Please fill it in again."))
        answers, answer_errors = parse_answers(questionnaire.definition, submission.answers)
        errors.update({ANSWER + key: message for key, message in answer_errors.items()})
    note = submission.note.strip()
    if len(note) > NOTE_MAX:
        errors["note"] = too_long(NOTE_MAX, len(note))
    if errors:
        if questionnaire is not None and questionnaire.status != ContentStatus.PUBLISHED:
            errors["questionnaire"] = _changed()
        raise InputError(errors)

    digest = content_hash(patient.id, questionnaire.id, answers, note)
    stored = _replay(db, patient, client_id, digest)
    if stored is not None:
        return stored, True
    if questionnaire.status != ContentStatus.PUBLISHED:
        raise InputError({"questionnaire": _changed()})

    reported_at = made_at(submission.made_at, now)
    fired = rules.fired_rules(questionnaire.definition, answers, reported_at,
                              _earlier(db, patient, questionnaire, reported_at))
    report = SymptomReport(
        patient_id=patient.id, questionnaire_id=questionnaire.id, client_id=client_id,
        content_hash=digest, answers=answers, note=note, urgent=bool(fired),
        fired_rules=fired, reported_by_account_id=actor.id, reported_at=reported_at,
        created_at=now,
    )
    try:
        with _savepoint(db):
            db.add(report)
    except sa.exc.IntegrityError:
        # The same UUID sent twice at once: the other request stored it (with its own
        # audit event), so this one answers like a replay, its own work kept.
        stored = _replay(db, patient, client_id, digest)
        if stored is None:
            raise
        return stored, True
    notify(db, patient, NotificationKind.SYMPTOM_REPORT, "symptoms", actor,
           url=f"/carnet/{patient.id}/symptoms", urgent=report.urgent)
    return report, False


def _savepoint(db: Session):
    """A SAVEPOINT inside the request's transaction, whose failed flush undoes only itself.

    pysqlite opens its transaction only before a write: a SAVEPOINT first would open one of
    its own, and its RELEASE would commit the report before its notifications. So on
    SQLite the transaction is begun first, as PostgreSQL's driver always does.
    """
    connection = db.connection()
    if connection.dialect.name == "sqlite" and not (
            connection.connection.dbapi_connection.in_transaction):
        connection.exec_driver_sql("BEGIN")
    return db.begin_nested()


def acknowledge(db: Session, patient: Patient, actor: Account, report_id: int) -> SymptomReport:
    """A professional has seen the report; the first acknowledgement stays.

    Raises LookupError when ``report_id`` is not a report of this carnet.
    """
    report = db.get(SymptomReport, report_id)
    if report is None or report.patient_id != patient.id:
        raise LookupError(report_id)
    if report.acknowledged_at is None:
        report.acknowledged_by_id = actor.id
        report.acknowledged_at = utcnow()
        db.add(report)
    return report


def sent_report(db: Session, patient: Patient, actor: Account, report_id: int
                ) -> tuple[SymptomReport, Questionnaire] | None:
    """A report ``actor`` made in this carnet, for the page that confirms it was sent."""
    row = db.exec(
        select(SymptomReport, Questionnaire)
        .join(Questionnaire, Questionnaire.id == SymptomReport.questionnaire_id)
        .where(SymptomReport.id == report_id, SymptomReport.patient_id == patient.id,
               SymptomReport.reported_by_account_id == actor.id)
    ).first()
    return tuple(row) if row else None


@dataclass
class ReportRow:
    """A report as a list shows it, with its questionnaire's words in the reader's language."""

    report: SymptomReport
    questionnaire: Questionnaire
    words: Questionnaire  # the same version in the reader's language, else the one answered
    author: Account
    acknowledged_by: Account | None

    def lines(self) -> list[tuple[dict, object]]:
        """(item, answer) for each answered item, in the questionnaire's order."""
        items = {item["key"]: item for item in self.questionnaire.definition["items"]}
        items.update({item["key"]: item for item in self.words.definition["items"]
                      if item["key"] in items and item["kind"] == items[item["key"]]["kind"]})
        return [(items[key], self.report.answers[key]) for key in items
                if key in self.report.answers]

    def by(self) -> str:
        """ "by Claire Martin (caregiver)": who made the report, and as what."""
        return _("by %(name)s (%(role)s)", name=self.author.full_name,
                 role=label(self.author.role))

    def seen(self) -> str:
        """ "Seen by Amina Benali at 14:02" (with the day when it is not the report's)."""
        if self.acknowledged_by is None or self.report.acknowledged_at is None:
            return ""
        seen_at, made_at = (to_user_timezone(self.report.acknowledged_at),
                            to_user_timezone(self.report.reported_at))
        name = self.acknowledged_by.full_name
        if seen_at.date() == made_at.date():
            return _("Seen by %(name)s at %(time)s", name=name, time=time_text(seen_at))
        return _("Seen by %(name)s on %(date)s at %(time)s", name=name,
                 date=date_text(seen_at, "long"), time=time_text(seen_at))

    def zone(self) -> str:
        """The zone of the patient's plan of action the report is in."""
        return rules.zone_of_report(self.report.fired_rules)

    def fired(self) -> list[str]:
        """The words of each rule the report fired."""
        labels = {rule["key"]: rule["label"] for rule in self.words.definition["rules"]}
        return [labels.get(rule["key"], rule["label"]) for rule in self.report.fired_rules]


# The reports of a carnet are listed newest first (ix_symptom_report_patient_reported,
# read backwards); the inbox puts the urgent ones first (ix_symptom_report_waiting).
REPORTS_ORDER = (col(SymptomReport.reported_at), col(SymptomReport.id))
INBOX_ORDER = (col(SymptomReport.urgent), col(SymptomReport.reported_at), col(SymptomReport.id))


def page_of_reports(db: Session, patient_id: int, start: Cursor | None, language: str
                    ) -> KeysetPage:
    """The page of a patient's reports from ``start`` (the first when None), newest first,
    as ReportRows (2 queries at any depth)."""
    author, acknowledger = aliased(Account), aliased(Account)
    query = (
        select(SymptomReport, Questionnaire, author, acknowledger)
        .join(Questionnaire, Questionnaire.id == SymptomReport.questionnaire_id)
        .join(author, author.id == SymptomReport.reported_by_account_id)
        .outerjoin(acknowledger, acknowledger.id == SymptomReport.acknowledged_by_id)
        .where(SymptomReport.patient_id == patient_id)
    )
    page = keyset_page(db, query, REPORTS_ORDER,
                       lambda row: (row[0].reported_at, row[0].id), PER_PAGE, start)
    page.rows = _with_words(db, page.rows, language)
    return page


def inbox_page(db: Session, patient_ids: list[int], start: Cursor | None, language: str
               ) -> KeysetPage:
    """The page from ``start`` (the first when None) of the reports not yet acknowledged in
    these carnets, urgent first, then newest; each row a (ReportRow, carnet, its patient's
    account) (2 queries at any depth)."""
    if not patient_ids:
        return KeysetPage([])
    author, owner = aliased(Account), aliased(Account)
    query = (
        select(SymptomReport, Questionnaire, author, Patient, owner)
        .join(Questionnaire, Questionnaire.id == SymptomReport.questionnaire_id)
        .join(author, author.id == SymptomReport.reported_by_account_id)
        .join(Patient, Patient.id == SymptomReport.patient_id)
        .join(owner, owner.id == Patient.account_id)
        .where(ids_in(db, col(SymptomReport.patient_id), patient_ids),
               col(SymptomReport.acknowledged_at).is_(None))
    )
    page = keyset_page(db, query, INBOX_ORDER,
                       lambda row: (row[0].urgent, row[0].reported_at, row[0].id),
                       PER_PAGE, start)
    with_words = _with_words(db, [(r, q, a, None) for r, q, a, _p, _o in page.rows], language)
    page.rows = [(row, patient, account) for row, (*_first, patient, account)
                 in zip(with_words, page.rows, strict=True)]
    return page


def _with_words(db: Session, rows, language: str) -> list[ReportRow]:
    """Attach to each report its questionnaire in ``language`` (one query for all)."""
    wanted = {(q.code, q.version) for _report, q, *_rest in rows if q.language != language}
    translated: dict[tuple[str, int], Questionnaire] = {}
    if wanted:
        for row in db.exec(select(Questionnaire).where(
            col(Questionnaire.code).in_({code for code, _v in wanted}),
            Questionnaire.language == language,
        )):
            translated[row.code, row.version] = row
    return [ReportRow(report, questionnaire,
                      translated.get((questionnaire.code, questionnaire.version), questionnaire),
                      who, seen_by)
            for report, questionnaire, who, seen_by in rows]
