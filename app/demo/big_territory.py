"""Grow the demo into a territory of realistic size, for benchmarks only.

Carnet is planned for a territory of 10,000 patients and 500 professionals, with a GP who
follows 300 of them and years of reports; whether a page stays fast can only be measured
on data of that size. This module adds it around the demo, which stays as it is (its
people keep their demo sign-in; Dr Lefèvre becomes the busiest GP). Rows are written with
bulk inserts in chunks, from a seeded ``random.Random``: the same seed and size give the
same territory (its times are relative to now, like the demo's). Generated people have
``example.net`` addresses, so the demo's sign-in page still lists only the demo's people.

Never for a real territory: every name, address and answer here is made up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.models import (
    Account,
    AuditEvent,
    CaregiverLink,
    CareTeamMember,
    ConsentEvent,
    ConsentKind,
    ContentStatus,
    DeliveryStatus,
    Notification,
    NotificationKind,
    Patient,
    Profession,
    Professional,
    Questionnaire,
    Role,
    SymptomReport,
    TeamRole,
)
from app.types import utcnow

from . import big_content as content
from .big_carnets import add_carnets
from .big_reports import Acknowledger, new_reporter, report_row, report_times
from .big_writer import Writer, count_rows, email, user_handle
from .territory import _email
from .territory_content import PEOPLE

JEANNE_SHARE = 0.4  # of the audit events: "Who saw my carnet" at its worst, on Jeanne's
NOTIFIED_FOR = timedelta(days=30)  # pushes of older reports are left out: the outbox stays small


@dataclass(frozen=True)
class Size:
    """How big a territory to make; ``for_patients`` scales the rest with the patients."""

    patients: int = 10_000
    professionals: int = 500
    gp_patients: int = 300  # Dr Lefèvre's patients, the busiest GP's
    reports: int = 200_000
    audit_events: int = 100_000

    @classmethod
    def for_patients(cls, patients: int) -> Size:
        """10,000 patients give the benchmark's sizes; a small territory gets smaller ones."""
        return cls(patients, max(30, patients // 20), min(300, max(3, patients // 3)),
                   20 * patients, 10 * patients)


@dataclass
class Pro:
    """A professional of the territory, and where they practise."""

    id: int
    account_id: int
    profession: Profession
    town: str
    joined: datetime


@dataclass
class Person:
    """A generated patient, with the people around their carnet."""

    id: int
    account_id: int
    created_at: datetime
    town: str
    conditions: tuple[str, ...]
    last_name: str
    address: str
    team: list[Pro] = field(default_factory=list)
    caregiver_id: int | None = None
    caregiver_reports: bool = False  # the patient lets the caregiver report for them


@dataclass
class Territory:
    """The generator's working state."""

    db: Session
    rng: random.Random
    now: datetime
    size: Size
    out: Writer
    pros: list[Pro] = field(default_factory=list)
    by_profession: dict[Profession, list[Pro]] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    serial: int = 0  # makes every generated e-mail address unique

    def pick(self, profession: Profession, town: str) -> Pro | None:
        """A professional of ``profession``, from ``town`` when there is one there."""
        local = [p for p in self.by_profession.get(profession, ()) if p.town == town]
        anyone = self.by_profession.get(profession, [])
        return self.rng.choice(local or anyone) if anyone else None

    def days_ago(self, low: float, high: float) -> datetime:
        """A moment between ``high`` and ``low`` days ago."""
        return self.now - timedelta(days=self.rng.uniform(low, high))

    def account(self, first: str, last: str, role: Role, joined: datetime,
                title: str = "") -> dict:
        """An account row, with an e-mail address of its own."""
        self.serial += 1
        return {"email": email(first, last, self.serial), "first_name": first,
                "last_name": last, "title": title, "role": role,
                "user_handle": user_handle(self.rng), "created_at": joined}


def grow_territory(db: Session, size: Size, seed: int = 16,
                   now: datetime | None = None) -> dict[str, int]:
    """Add a territory of ``size`` around the loaded demo, commit, and count the rows."""
    t = Territory(db, random.Random(seed), now or utcnow(), size, Writer(db))
    lefevre = _demo_account(db, "lefevre")
    _professionals(t)
    _patients(t, lefevre)
    _caregivers_and_consent(t)
    add_carnets(t)
    _reports(t)
    _audit(t)
    t.out.flush()
    db.commit()
    return count_rows(db)


def _demo_account(db: Session, key: str) -> Account:
    person = PEOPLE[key]
    return db.exec(select(Account).where(
        Account.email == _email(person.first_name, person.last_name))).one()


def _professionals(t: Territory) -> None:
    """The demo's professionals, and new ones up to the size, spread over the villages."""
    demo = t.db.exec(select(Professional.id, Professional.account_id, Professional.profession,
                            Professional.created_at)).all()
    t.pros = [Pro(*row[:3], content.TOWNS[0], row[3]) for row in demo]
    professions, weights = zip(*content.PROFESSIONS.items(), strict=True)
    rows = []
    for _ in range(max(0, t.size.professionals - len(t.pros))):
        profession = t.rng.choices(professions, weights)[0]
        town = t.rng.choice(content.TOWNS)
        joined = t.days_ago(400, 900)
        title = "Dr" if profession in content.DOCTORS else ""
        account = t.account(t.rng.choice(content.YOUNGER_FIRST_NAMES),
                            t.rng.choice(content.LAST_NAMES), Role.PROFESSIONAL, joined, title)
        rows.append((account, profession, town))
    account_ids = t.out.insert_ids(Account, [account for account, _p, _t in rows])
    pro_rows = [
        {"account_id": account_id, "profession": profession,
         "rpps": "" if profession in (Profession.SOCIAL_WORKER, Profession.COORDINATOR)
         else f"1{t.rng.randrange(10**10):010d}",
         "structure": content.STRUCTURES[profession].format(town=town),
         "phone": f"04 65 71 {t.rng.randrange(100):02d} {t.rng.randrange(100):02d}",
         "created_at": account["created_at"]}
        for account_id, (account, profession, town) in zip(account_ids, rows, strict=True)]
    pro_ids = t.out.insert_ids(Professional, pro_rows)
    t.pros += [Pro(pid, row["account_id"], row["profession"], town, row["created_at"])
               for pid, row, (_a, _p, town) in zip(pro_ids, pro_rows, rows, strict=True)]
    for pro in t.pros:
        t.by_profession.setdefault(pro.profession, []).append(pro)


def _gps(t: Territory, lefevre: Account, count: int) -> list[Pro]:
    """The médecin traitant of each new patient: Dr Lefèvre first, up to his share, then
    the other GPs, none of whom gets as many."""
    his = next(p for p in t.pros if p.account_id == lefevre.id)
    already = t.db.exec(select(sa.func.count()).select_from(CareTeamMember).where(
        CareTeamMember.professional_id == his.id)).one()
    others = [p for p in t.by_profession[Profession.GP] if p is not his]
    load = dict.fromkeys((p.id for p in others), 0)
    weights = [t.rng.uniform(0.5, 1.5) for _ in others]
    chosen = []
    for n in range(count):
        if n < t.size.gp_patients - already:
            chosen.append(his)
            continue
        gp = t.rng.choices(others, weights)[0]
        if load[gp.id] >= t.size.gp_patients - 1:
            free = [p for p in others if load[p.id] < t.size.gp_patients - 1]
            gp = t.rng.choice(free) if free else gp  # a territory too small to spread
        load[gp.id] += 1
        chosen.append(gp)
    return chosen


def _patients(t: Territory, lefevre: Account) -> None:
    """New patients up to the size, each with a care team around their GP."""
    existing = t.db.exec(select(sa.func.count()).select_from(Patient)).one()
    count = max(0, t.size.patients - existing)
    gps = _gps(t, lefevre, count)
    accounts, files = [], []
    for gp in gps:
        # A patient came to Carnet after their GP did.
        joined = t.days_ago(20, min(540, (t.now - gp.joined).days - 1))
        accounts.append(t.account(t.rng.choice(content.FIRST_NAMES),
                                  t.rng.choice(content.LAST_NAMES), Role.PATIENT, joined))
        conditions = t.rng.choices(content.CONDITIONS, content.CONDITION_WEIGHTS)[0]
        age = t.rng.randint(45, 92)
        files.append({
            "birth_date": (t.now - timedelta(days=age * 365.25 + t.rng.randint(0, 364))).date(),
            "town": gp.town, "conditions": list(conditions), "created_at": joined,
            "address": f"{t.rng.randint(1, 40)} {t.rng.choice(content.STREETS)}, "
                       f"26470 {gp.town}",
            "phone": f"06 39 98 {t.rng.randrange(100):02d} {t.rng.randrange(100):02d}"})
    account_ids = t.out.insert_ids(Account, accounts)
    for row, account_id in zip(files, account_ids, strict=True):
        row["account_id"] = account_id
    patient_ids = t.out.insert_ids(Patient, files)
    for gp, row, account, patient_id in zip(gps, files, accounts, patient_ids, strict=True):
        person = Person(patient_id, row["account_id"], row["created_at"], row["town"],
                        tuple(row["conditions"]), account["last_name"], row["address"])
        _team(t, person, gp)
        t.people.append(person)


def _team(t: Territory, person: Person, gp: Pro) -> None:
    """The GP, a nurse and a pharmacist; the specialists of the conditions; sometimes the
    DAC's coordinator as référent."""
    wanted = [Profession.NURSE, Profession.PHARMACIST]
    for condition in person.conditions:
        wanted += [p for p in content.SPECIALISTS[condition] if t.rng.random() < 0.7]
    if t.rng.random() < 0.15:
        wanted.append(Profession.COORDINATOR)
    person.team = [gp]
    for profession in wanted:
        pro = t.pick(profession, person.town)
        if pro is not None and pro not in person.team:
            person.team.append(pro)
    for position, pro in enumerate(person.team):
        role = (TeamRole.ATTENDING if position == 0 else TeamRole.REFERENT
                if pro.profession == Profession.COORDINATOR else TeamRole.MEMBER)
        t.out.add(CareTeamMember, {
            "patient_id": person.id, "professional_id": pro.id, "team_role": role,
            "contact_for": content.CONTACT_FOR.get(pro.profession, ""), "position": position,
            "added_by_id": gp.account_id, "created_at": max(person.created_at, pro.joined)})


def _caregivers_and_consent(t: Territory) -> None:
    """A caregiver for a quarter of the patients, with the patient's grants; a few
    oppositions inside the team and grants to a social worker outside it."""
    caring = [p for p in t.people if t.rng.random() < 0.25]
    accounts, links = [], []
    for person in caring:
        since = person.created_at + timedelta(days=t.rng.uniform(1, 30))
        since = min(since, t.now - timedelta(hours=1))
        # A child or a spouse often bears the patient's name.
        last = person.last_name if t.rng.random() < 0.6 else t.rng.choice(content.LAST_NAMES)
        accounts.append(t.account(t.rng.choice(content.YOUNGER_FIRST_NAMES), last,
                                  Role.CAREGIVER, since))
        links.append((person, since))
    account_ids = t.out.insert_ids(Account, accounts)
    for (person, since), account_id in zip(links, account_ids, strict=True):
        person.caregiver_id = account_id
        t.out.add(CaregiverLink, {
            "patient_id": person.id, "caregiver_account_id": account_id,
            "relationship": t.rng.choice(content.RELATIONSHIPS),
            "phone": f"06 39 98 {t.rng.randrange(100):02d} {t.rng.randrange(100):02d}",
            "created_at": since})
        scopes = ["team", "plan", "appointments"]
        if t.rng.random() < 0.4:
            scopes += ["symptoms", "symptoms:write", "notes", "notes:write"]
            person.caregiver_reports = True
        _consent(t, person, ConsentKind.GRANT, account_id, scopes, since)
    social_workers = t.by_profession.get(Profession.SOCIAL_WORKER, [])
    for person in t.people:
        if t.rng.random() < 0.03 and len(person.team) > 1:
            member = t.rng.choice(person.team[1:])
            _consent(t, person, ConsentKind.OPPOSE, member.account_id, ["symptoms"],
                     person.created_at + timedelta(days=1))
        if social_workers and t.rng.random() < 0.04:
            _consent(t, person, ConsentKind.GRANT, t.rng.choice(social_workers).account_id,
                     ["team", "appointments"], person.created_at + timedelta(days=2))


def _consent(t: Territory, person: Person, kind: ConsentKind, grantee_id: int,
             scopes: list[str], when: datetime) -> None:
    t.out.add(ConsentEvent, {
        "patient_id": person.id, "kind": kind, "grantee_account_id": grantee_id,
        "scopes": scopes, "decided_by_id": person.account_id,
        "created_at": min(when, t.now - timedelta(minutes=30))})


def _reports(t: Territory) -> None:
    """The reports, shared unevenly: some patients report every day, most every week."""
    published = t.db.exec(select(Questionnaire).where(
        Questionnaire.language == "fr", Questionnaire.status == ContentStatus.PUBLISHED)).all()
    questionnaires = {q.code: (q.id, q.code, q.definition) for q in published}
    if not t.people:
        return
    weights = [t.rng.choice((1, 1, 1, 2, 3, 8)) for _ in t.people]
    total = sum(weights)
    counts = [t.size.reports * w // total for w in weights]
    for n in range(t.size.reports - sum(counts)):
        counts[n % len(counts)] += 1
    for person, count in zip(t.people, counts, strict=True):
        who = new_reporter(t.rng, person.id, person.account_id)
        readers = tuple(p.account_id for p in person.team
                        if p.profession in (Profession.GP, Profession.NURSE, Profession.IPA))
        ack = Acknowledger(readers or (person.team[0].account_id,))
        for reported_at in report_times(t.rng, count, person.created_at, t.now):
            code = t.rng.choice(person.conditions)
            by = (person.caregiver_id if person.caregiver_reports and t.rng.random() < 0.2
                  else person.account_id)
            row = report_row(t.rng, who, questionnaires[code], reported_at, t.now, by, ack)
            t.out.add(SymptomReport, row)
            if t.now - reported_at < NOTIFIED_FOR:
                _delivered(t, person, row)


def _delivered(t: Territory, person: Person, report: dict) -> None:
    """The push the GP (and the nurse, when urgent) got for a recent report, already sent."""
    told = person.team[:2] if report["urgent"] else person.team[:1]
    for pro in told:
        t.out.add(Notification, {
            "account_id": pro.account_id, "patient_id": person.id,
            "kind": NotificationKind.SYMPTOM_REPORT, "section": "symptoms",
            "urgent": report["urgent"], "topic": f"symptom_report-{person.id}",
            "url": f"/carnet/{person.id}/symptoms", "status": DeliveryStatus.SENT,
            "created_at": report["created_at"], "not_before": report["created_at"],
            "attempts": 1, "sent_at": report["created_at"] + timedelta(seconds=3)})


def _audit(t: Territory) -> None:
    """Who saw which carnet: many lines on Jeanne's, the rest spread over the territory."""
    jeanne = t.db.exec(select(Patient).where(
        Patient.account_id == _demo_account(t.db, "jeanne").id)).one()
    jeanne_readers = list(t.db.exec(
        select(Professional.account_id, Professional.profession)
        .join(CareTeamMember, CareTeamMember.professional_id == Professional.id)
        .where(CareTeamMember.patient_id == jeanne.id)).all())
    jeanne_readers.append((_demo_account(t.db, "claire").id, None))
    on_jeanne = int(t.size.audit_events * JEANNE_SHARE) if t.people else t.size.audit_events
    for _ in range(on_jeanne):
        account_id, profession = t.rng.choice(jeanne_readers)
        _audit_line(t, jeanne.id, account_id, profession, t.days_ago(0, 70))
    for _ in range(t.size.audit_events - on_jeanne):
        person = t.rng.choice(t.people)
        pro = t.rng.choice(person.team)
        age = (t.now - person.created_at).total_seconds() / 86400
        _audit_line(t, person.id, pro.account_id, pro.profession, t.days_ago(0, age))


def _audit_line(t: Territory, patient_id: int, account_id: int, profession: Profession | None,
                when: datetime) -> None:
    # What the caregiver (Claire, on Jeanne's carnet) was granted; a professional, all.
    sections = ("team", "plan", "appointments") + (("symptoms", "notes") if profession else ())
    changes = t.rng.random() < 0.1 and profession is not None
    t.out.add(AuditEvent, {
        "patient_id": patient_id, "actor_account_id": account_id,
        "actor_role": Role.PROFESSIONAL if profession else Role.CAREGIVER,
        "section": t.rng.choice(sections[1:] if changes else sections),
        "action": t.rng.choice(("create", "update")) if changes else "read",
        "allowed": True, "object_type": "" if changes or t.rng.random() < 0.7 else "count",
        "object_id": None, "created_at": when})

