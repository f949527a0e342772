"""Recovery codes: ten single-use codes, shown once and stored hashed."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlmodel import Session, func, select

from ..models import Account, RecoveryCode
from ..types import utcnow

# No 0/o, 1/l/i: codes are copied by hand from paper.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
COUNT = 10


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def new_codes(db: Session, account: Account) -> list[str]:
    """Replace ``account``'s recovery codes with ten new ones, returned once in clear."""
    db.exec(sa.delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = []
    for _ in range(COUNT):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.add(RecoveryCode(account_id=account.id, code_hash=_hash(raw)))
    db.commit()
    return codes


def remaining(db: Session, account: Account) -> int:
    """How many unused recovery codes ``account`` has."""
    return db.exec(
        select(func.count()).select_from(RecoveryCode).where(
            RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)
        )
    ).one()


def use_code(db: Session, code: str) -> Account | None:
    """The account a recovery code opens, spending the code; None if unknown or used."""
    if len(_normalise(code)) != 10:
        return None
    row = db.exec(select(RecoveryCode).where(RecoveryCode.code_hash == _hash(code))).first()
    if row is None:
        return None
    spent = db.exec(
        sa.update(RecoveryCode)
        .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.commit()
    if spent.rowcount != 1:
        return None
    account = db.get(Account, row.account_id)
    return account if account is not None and account.is_active else None
