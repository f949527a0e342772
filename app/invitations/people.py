"""Inviting people: each invitation creates the account it is for (unless it exists and
may be brought in as it is), with what goes with it: a carnet and its first professional,
a place in a care team, a caregiver's link and what the patient shares with them.

Flushed, never committed: the request commits the account, the invitation and its token's
hash together.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from ..auth.invitations import create_invitation
from ..consent import ledger
from ..models import (
    Account,
    CaregiverLink,
    CareTeamMember,
    Invitation,
    InvitationKind,
    Patient,
    Profession,
    Professional,
    Role,
    TeamRole,
)


class EmailTaken(Exception):
    """An account that cannot be the one invited already uses the e-mail address."""


@dataclass(frozen=True)
class Invitee:
    """Who is being invited, as the inviter wrote it."""

    first_name: str
    last_name: str
    email: str


@dataclass
class Invited:
    """The account invited, and its invitation and token, unless the account existed and
    was brought in as it is (nothing to hand over)."""

    account: Account
    invitation: Invitation | None = None
    token: str = ""


def _existing(db: Session, invitee: Invitee, role: Role | None = None) -> Account | None:
    """The account that already uses the invitee's e-mail address, if it may be brought in
    as it is (one of ``role``); EmailTaken if another account uses it."""
    account = db.exec(select(Account).where(
        Account.email == invitee.email.strip().lower())).first()
    if account is not None and account.role != role:
        raise EmailTaken(invitee.email)
    return account


def _new_account(db: Session, invitee: Invitee, role: Role) -> Account:
    account = Account(email=invitee.email.strip().lower(), first_name=invitee.first_name.strip(),
                      last_name=invitee.last_name.strip(), role=role,
                      user_handle=secrets.token_urlsafe(32))
    db.add(account)
    db.flush()
    return account


def _new_professional(db: Session, invitee: Invitee, profession: Profession, structure: str,
                      phone: str) -> tuple[Account, Professional]:
    account = _new_account(db, invitee, Role.PROFESSIONAL)
    professional = Professional(account_id=account.id, profession=profession,
                                structure=structure, phone=phone)
    db.add(professional)
    db.flush()
    return account, professional


def _join_team(db: Session, patient: Patient, professional: Professional, by: Account,
               team_role: TeamRole = TeamRole.MEMBER) -> None:
    """``professional`` in the patient's care team, unless they already are."""
    if not db.exec(select(CareTeamMember).where(
            CareTeamMember.patient_id == patient.id,
            CareTeamMember.professional_id == professional.id)).first():
        db.add(CareTeamMember(patient_id=patient.id, professional_id=professional.id,
                              added_by_id=by.id, team_role=team_role))


def invite_patient(db: Session, invitee: Invitee, by: Account, professional: Professional,
                   birth_date: date | None, phone: str, conditions: Iterable[str] = ()) -> Invited:
    """Open a carnet for a new patient, with ``professional`` (``by``) in its care team: its
    referent if they coordinate care; ``conditions`` choose the questionnaires offered."""
    _existing(db, invitee)
    account = _new_account(db, invitee, Role.PATIENT)
    patient = Patient(account_id=account.id, birth_date=birth_date, phone=phone,
                      conditions=list(dict.fromkeys(conditions)))
    db.add(patient)
    db.flush()
    _join_team(db, patient, professional, by, TeamRole.REFERENT
               if professional.profession == Profession.COORDINATOR else TeamRole.MEMBER)
    return Invited(account, *create_invitation(db, account, InvitationKind.PATIENT, by,
                                               patient))


def invite_professional(db: Session, invitee: Invitee, by: Account | None,
                        profession: Profession, structure: str, phone: str) -> Invited:
    """A new professional of the territory (``by`` None: the first ones, from the command
    line)."""
    _existing(db, invitee)
    account, _professional = _new_professional(db, invitee, profession, structure, phone)
    return Invited(account, *create_invitation(db, account, InvitationKind.PROFESSIONAL, by))


def new_editor(db: Session, invitee: Invitee) -> Invited:
    """A new patient-association editor (from the command line: no one invites them in the
    app)."""
    _existing(db, invitee)
    account = _new_account(db, invitee, Role.EDITOR)
    return Invited(account, *create_invitation(db, account, InvitationKind.PROFESSIONAL))


def add_team_member(db: Session, patient: Patient, invitee: Invitee, by: Account,
                    profession: Profession, structure: str, phone: str) -> Invited:
    """Bring a professional into the patient's care team, inviting them if they are new."""
    existing = _existing(db, invitee, Role.PROFESSIONAL)
    if existing is None:
        account, professional = _new_professional(db, invitee, profession, structure, phone)
    else:
        account, professional = existing, db.exec(select(Professional).where(
            Professional.account_id == existing.id)).first()
        if professional is None:
            raise EmailTaken(invitee.email)
    _join_team(db, patient, professional, by)
    if existing is not None:
        return Invited(existing)
    return Invited(account, *create_invitation(db, account, InvitationKind.TEAM_MEMBER, by,
                                               patient))


def invite_caregiver(db: Session, patient: Patient, invitee: Invitee, by: Account,
                     relationship: str, scopes: Iterable[str], until: date | None) -> Invited:
    """Link a caregiver to the patient (inviting them if they are new) and let them see and
    do ``scopes``, until the end of ``until``."""
    existing = _existing(db, invitee, Role.CAREGIVER)
    account = existing or _new_account(db, invitee, Role.CAREGIVER)
    if not db.exec(select(CaregiverLink).where(
            CaregiverLink.patient_id == patient.id,
            CaregiverLink.caregiver_account_id == account.id)).first():
        db.add(CaregiverLink(patient_id=patient.id, caregiver_account_id=account.id,
                             relationship=relationship))
    event = ledger.grant(db, patient, by, account, scopes, until)
    if existing is not None:
        return Invited(existing)
    return Invited(account, *create_invitation(db, account, InvitationKind.CAREGIVER, by,
                                               patient, details={"scopes": event.scopes}))
