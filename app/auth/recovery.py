"""Recovery codes: ten single-use codes, shown once and stored with a salted, slow hash.

A code reads ``abcde-fghjk-mnpqr``: the first group is a selector, kept in clear to find
the code's row (it proves nothing); the other ten letters (≈ 50 random bits) are the
secret, kept only as an argon2id hash, salted — a table copied out of the database would
cost an attacker a slow hash per guess and per code. Below 112 bits, ASVS (V6) asks for
exactly that instead of a fast hash.
"""

from __future__ import annotations

import secrets
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, func, select

from ..db import spend_once
from ..models import Account, RecoveryCode
from ..types import utcnow

# No 0/o, 1/l/i: codes are copied by hand from paper.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
COUNT = 10
SELECTOR_LENGTH = 5
SECRET_LENGTH = 10  # 10 × log2(31) ≈ 49.5 bits
# OWASP's argon2id profile (19 MiB, 2 passes, 1 lane): about 20 ms a hash on one core, so
# making ten codes stays under a quarter of a second, in tests too.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isascii() and ch.isalnum())


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


@cache
def _nothing() -> str:
    """A hash to verify when no code has the selector, so that an unknown selector takes as
    long to refuse as a wrong secret."""
    return HASHER.hash(secrets.token_hex(8))


def _verify(code_hash: str, secret: str) -> bool:
    try:
        return HASHER.verify(code_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def _free_selectors(db: Session) -> list[str]:
    """COUNT selectors, distinct and used by no other unused code (a shared one would only
    cost a second hash at sign-in, but there is no reason to have one)."""
    selectors: set[str] = set()
    while len(selectors) < COUNT:
        wanted = {_random(SELECTOR_LENGTH) for _ in range(COUNT - len(selectors))} - selectors
        taken = set(db.exec(select(RecoveryCode.selector).where(
            col(RecoveryCode.selector).in_(wanted), RecoveryCode.used_at.is_(None))).all())
        selectors |= wanted - taken
    return sorted(selectors)


def new_codes(db: Session, account: Account) -> list[str]:
    """Replace ``account``'s recovery codes with ten new ones, returned once in clear."""
    db.exec(sa.delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = []
    for selector in _free_selectors(db):
        secret = _random(SECRET_LENGTH)
        codes.append(f"{selector}-{secret[:5]}-{secret[5:]}")
        db.add(RecoveryCode(account_id=account.id, selector=selector,
                            code_hash=HASHER.hash(secret)))
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
    """The account a recovery code opens; None if unknown or used.

    The code is spent by a compare-and-set in the session's transaction, left open: the
    caller commits it with the sign-in it grants, or rolls both back.
    """
    typed = _normalise(code)
    if len(typed) != SELECTOR_LENGTH + SECRET_LENGTH:
        return None
    selector, secret = typed[:SELECTOR_LENGTH], typed[SELECTOR_LENGTH:]
    candidates = db.exec(select(RecoveryCode).where(
        RecoveryCode.selector == selector, RecoveryCode.used_at.is_(None))).all()
    if not candidates:
        _verify(_nothing(), secret)
        return None
    row = next((c for c in candidates if _verify(c.code_hash, secret)), None)
    if row is None:
        return None
    spent = spend_once(db, RecoveryCode, row.id, utcnow())
    account = db.get(Account, row.account_id)
    if not spent or account is None or not account.is_active:
        db.rollback()
        return None
    return account
