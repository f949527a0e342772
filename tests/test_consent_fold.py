"""The access policy against a reference fold of the consent ledger, on random histories.

The reference below is the rule of the law as plainly as it can be written (Code de la
santé publique, L1110-4): for each part of the carnet, the patient's *last word* on it
decides. Inside the care team sharing is presumed unless the last word on a section is
an opposition; outside it, a section is seen only while the last word on it is a grant
whose end date has not passed, and "<section>:write" grants writing the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from app import policy
from app.models import (
    SECTIONS,
    Account,
    CaregiverLink,
    CareTeamMember,
    ConsentEvent,
    ConsentKind,
    Patient,
    Professional,
    Role,
)
from app.types import utcnow

from .conftest import EMAILS, persona

SCOPES = (*SECTIONS, "notes:write", "symptoms:write")
EVERYTHING = {"read", "write", "manage"}
GRANTS = (ConsentKind.GRANT, ConsentKind.REVOKE)
OPPOSITIONS = (ConsentKind.OPPOSE, ConsentKind.LIFT_OPPOSITION)


# --- The reference: obviously right, and written without app.policy ---------------------


def last_word(events: list[ConsentEvent], scope: str, kinds) -> ConsentEvent | None:
    """The patient's latest decision of one of ``kinds`` that names ``scope``."""
    for event in reversed(events):
        if event.kind in kinds and scope in event.scopes:
            return event
    return None


def running_grant(events: list[ConsentEvent], scope: str, now: datetime) -> bool:
    word = last_word(events, scope, GRANTS)
    return (word is not None and word.kind == ConsentKind.GRANT
            and (word.ends_at is None or now < word.ends_at))


def reference(events: list[ConsentEvent], in_team: bool, linked: bool,
              now: datetime) -> dict[str, set[str]]:
    """What a professional (``linked`` always) or a caregiver may do, section by section."""
    if not linked:
        return {}
    allowed = {}
    for section in SECTIONS:
        if in_team:
            # Oppositions are about sections: an opposition to a write scope means nothing,
            # and a grant (made, say, before joining the team) never outweighs one.
            word = last_word(events, section, OPPOSITIONS)
            if word is None or word.kind == ConsentKind.LIFT_OPPOSITION:
                allowed[section] = set(EVERYTHING)
            continue
        actions = {action for action, scope in (("read", section), ("write", f"{section}:write"))
                   if running_grant(events, scope, now)}
        if actions:
            allowed[section] = actions
    return allowed


# --- Random consent histories ----------------------------------------------------------

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
# End dates are a whole number of hours before or after "now", never "now" itself: a test
# that takes a few seconds must not see a grant end under it.
offsets = st.integers(min_value=-2000, max_value=2000).filter(bool).map(
    lambda hours: timedelta(hours=hours))


@dataclass
class Decision:
    kind: ConsentKind
    scopes: list[str]
    ends_in: timedelta | None

    def event(self, now: datetime, **ids) -> ConsentEvent:
        return ConsentEvent(kind=self.kind, scopes=self.scopes,
                            ends_at=now + self.ends_in if self.ends_in is not None else None,
                            **ids)


decisions = st.builds(
    Decision,
    kind=st.sampled_from(list(ConsentKind)),
    scopes=st.lists(st.sampled_from(SCOPES), min_size=1, max_size=3, unique=True),
    ends_in=st.none() | offsets,
)
histories = st.lists(decisions, max_size=12)


# Who the decisions are about: (in the care team, linked to the carnet).
SITUATIONS = {
    "a team professional": (True, True),
    "a professional outside the team": (False, True),
    "a caregiver": (False, True),
    "a caregiver whose link has ended": (False, False),
}


@settings(max_examples=500)
@given(who=st.sampled_from(sorted(SITUATIONS)), history=histories)
def test_the_policy_decides_like_the_reference_fold(who, history):
    in_team, linked = SITUATIONS[who]
    events = [decision.event(NOW) for decision in history]
    assert policy.decide(events, in_team, linked, NOW) == reference(events, in_team, linked, NOW)


def test_a_grant_does_not_outweigh_an_opposition_inside_the_team():
    """Lucas was granted notes while outside the team; once in it, Jeanne opposes notes."""
    events = [Decision(ConsentKind.GRANT, ["notes", "notes:write"], None).event(NOW),
              Decision(ConsentKind.OPPOSE, ["notes"], None).event(NOW)]
    assert "notes" not in policy.decide(events, True, True, NOW)
    assert policy.decide(events, False, True, NOW)["notes"] == {"read", "write"}


def test_a_grant_ends_at_its_end_date():
    events = [Decision(ConsentKind.GRANT, ["plan"], timedelta(hours=1)).event(NOW)]
    assert policy.decide(events, False, True, NOW) == {"plan": {"read"}}
    assert policy.decide(events, False, True, NOW + timedelta(hours=1)) == {}


# --- The same, through the database: the ledger's rows, the care team, the caregiver link -

# Who the decisions are about, as the database knows them.
GRANTEES = {
    "the patient": EMAILS["jeanne"],
    "another patient": EMAILS["karim"],
    "an editor": EMAILS["francoise"],
    "an admin": "admin@example.org",
    "a team professional": EMAILS["lefevre"],
    "a former team professional": EMAILS["amina"],
    "a professional outside the team": EMAILS["lucas"],
    "a caregiver": EMAILS["claire"],
}


def expected(who: str, events: list[ConsentEvent], link_ends: datetime | None,
             now: datetime) -> dict[str, set[str]]:
    if who == "the patient":
        # The patient reads and writes everything; keeping the plan and the appointments up
        # to date is the care team's.
        return {section: {"read", "write"} for section in SECTIONS}
    if who in ("another patient", "an editor", "an admin"):
        return {}
    linked = who != "a caregiver" or link_ends is None or now < link_ends
    return reference(events, who == "a team professional", linked, now)


@pytest.fixture
def jeanne_carnet(db, demo):
    """Jeanne's carnet, with Amina's place in her care team ended, and an administrator."""
    patient = db.exec(select(Patient).where(Patient.account_id == persona(db, "jeanne").id)).one()
    amina = db.exec(select(CareTeamMember).join(Professional).where(
        CareTeamMember.patient_id == patient.id,
        Professional.account_id == persona(db, "amina").id)).one()
    amina.ended_at = utcnow() - timedelta(days=3)
    db.add(Account(email=GRANTEES["an admin"], first_name="Alex", last_name="Admin",
                   role=Role.ADMIN, user_handle="admin"))
    db.commit()
    return patient


@pytest.mark.db_engine
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(who=st.sampled_from(sorted(GRANTEES)), history=histories,
       link_ends_in=st.none() | offsets)
# The cases the database decides on, beside the ledger, always tried:
@example(who="a caregiver", history=[Decision(ConsentKind.GRANT, ["plan"], None)],
         link_ends_in=timedelta(hours=-1))
@example(who="a former team professional", history=[], link_ends_in=None)
@example(who="an admin", history=[Decision(ConsentKind.GRANT, list(SCOPES), None)],
         link_ends_in=None)
@example(who="a team professional", history=[Decision(ConsentKind.GRANT, ["team"], None),
                                             Decision(ConsentKind.OPPOSE, ["team"], None)],
         link_ends_in=None)
def test_the_stored_ledger_gives_the_reference_permissions(
    app, engine, db, jeanne_carnet, who, history, link_ends_in
):
    patient = jeanne_carnet
    grantee = db.exec(select(Account).where(Account.email == GRANTEES[who])).one()
    now = utcnow()
    link_ends = now + link_ends_in if link_ends_in is not None else None
    db.exec(sa.delete(ConsentEvent).where(ConsentEvent.patient_id == patient.id))
    link = db.exec(select(CaregiverLink).where(CaregiverLink.patient_id == patient.id)).one()
    link.ends_at = link_ends
    events = [decision.event(now, patient_id=patient.id, grantee_account_id=grantee.id,
                             decided_by_id=patient.account_id) for decision in history]
    db.add_all(events)
    db.commit()
    with app.test_request_context(), Session(engine) as session:  # a fresh policy cache
        actor = session.get(Account, grantee.id)
        allowed = policy.permissions(session, actor, session.get(Patient, patient.id))
    assert allowed == expected(who, events, link_ends, now)
