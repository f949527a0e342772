"""Column types behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session

from app.models import Account, ConsentEvent, ConsentKind, Patient, Role, SymptomReport

# Column types: aware datetimes, enums, JSON, unique constraints.
pytestmark = pytest.mark.db_engine


def _account(db: Session, email: str = "test.person@example.net") -> Account:
    account = Account(email=email, first_name="Test", last_name="Person", role=Role.PATIENT,
                      user_handle=email)
    db.add(account)
    db.commit()
    return account


@pytest.fixture(autouse=True)
def _empty(demo):
    """Start from the demo, so the tables exist and hold realistic rows beside ours."""


def test_datetimes_come_back_aware_in_utc(db, engine):
    paris = timezone(timedelta(hours=1))
    account = _account(db)
    account.last_seen_at = datetime(2026, 3, 1, 9, 30, tzinfo=paris)
    db.commit()
    with Session(engine) as other:
        stored = other.get(Account, account.id)
        assert stored.last_seen_at == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
        assert stored.last_seen_at.utcoffset() == timedelta(0)
        assert stored.created_at.tzinfo is not None


def test_a_naive_datetime_is_refused(db):
    account = _account(db)
    account.last_seen_at = datetime(2026, 3, 1, 9, 30)
    with pytest.raises(StatementError):
        db.commit()


def test_enums_are_stored_as_plain_strings(db, engine):
    account = _account(db)
    with engine.connect() as connection:
        raw = connection.execute(
            sa.text("SELECT role FROM account WHERE id = :id"), {"id": account.id}
        ).scalar_one()
    assert raw == "patient"
    assert Session(engine).get(Account, account.id).role is Role.PATIENT


def test_json_columns_round_trip(db, engine):
    account = _account(db)
    patient = Patient(account_id=account.id, conditions=["copd"])
    db.add(patient)
    db.commit()
    db.add(ConsentEvent(patient_id=patient.id, kind=ConsentKind.GRANT,
                        grantee_account_id=account.id, decided_by_id=account.id,
                        scopes=["plan", "notes:write"]))
    db.commit()
    with Session(engine) as other:
        assert other.get(Patient, patient.id).conditions == ["copd"]


def test_a_report_uuid_is_stored_once(db):
    from sqlmodel import select

    report = db.exec(select(SymptomReport)).first()
    twin = SymptomReport(**report.model_dump(exclude={"id"}))
    db.add(twin)
    with pytest.raises(IntegrityError):
        db.commit()
