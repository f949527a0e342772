"""The weekly summary: Dr Lefèvre chose it, so each Monday from 07:00 (Paris) he is told
once that his week is ready; its page says, per patient, what others did in the last seven
days and what is due in the next seven — never a section his patient opposed, each one it
shows read in the audit trail, in as many queries for 1,000 patients as for 10.

The clock is passed in (the job, the page's domain function); the page over HTTP is at the
real time, so its tests look for the lines they made, not for exact counts.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from app.carnet import my_day, my_week
from app.carnet.appointments import PARIS
from app.models import (
    ActionStatus,
    AppointmentRevision,
    AuditAction,
    AuditEvent,
    ChangeKind,
    ConsentKind,
    Notification,
    NotificationKind,
    NotificationPreference,
    PlanItem,
    PlanRevision,
    Role,
)
from app.push import preferences
from app.push.preferences import Route, route
from app.push.scheduled import WEEKLY_URL, send_weekly_summaries
from app.push.worker import Relay
from app.types import utcnow

from .carnet_actions import carnet_id, patient_in_care_of
from .conftest import persona
from .push_actions import subscribe
from .push_service import PushService
from .symptom_actions import decide
from .test_my_day import (
    _action,
    _appointment,
    _note,
    _professional,
    _report,
    with_10_then_1000_patients,
)

PATIENT_BLOCK = re.compile(r'<li id="week-patient-(\d+)"')


def _block(page: str, carnet: int) -> str:
    """The part of the page about one carnet."""
    start = page.index(f'<li id="week-patient-{carnet}"')
    after = PATIENT_BLOCK.search(page, start + 1)
    return page[start:after.start() if after else page.index("</ol>", start)]


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def choose(db, name: str, **values) -> None:
    db.add(NotificationPreference(account_id=persona(db, name).id, **values))
    db.commit()


def summaries(db) -> list[Notification]:
    """The weekly summaries written, oldest first."""
    db.expire_all()
    return list(db.exec(select(Notification).where(
        Notification.kind == NotificationKind.WEEKLY_SUMMARY).order_by(col(Notification.id))))


def _pass(app, db, now: datetime) -> int:
    """One pass of the job at ``now``, Jeanne having reported an hour before: Dr Lefèvre has
    something to be told of."""
    _report(db, carnet_id(db, "jeanne"), now - timedelta(hours=1))
    with app.app_context():
        return send_weekly_summaries(db, now)


# -- when: Monday from 07:00, Paris, once a week ------------------------------------------

@pytest.mark.parametrize(("now", "last"), [
    (paris(2027, 1, 4, 7), paris(2027, 1, 4, 7)),  # Monday 07:00
    (paris(2027, 1, 4, 6, 59), paris(2026, 12, 28, 7)),  # …a minute before: last week's
    (paris(2027, 1, 10, 23, 59), paris(2027, 1, 4, 7)),  # Sunday night
    (paris(2027, 3, 29, 7), paris(2027, 3, 29, 7)),  # the Monday after the spring change
    (paris(2027, 3, 29, 6, 59), paris(2027, 3, 22, 7)),
    (paris(2027, 11, 1, 6), paris(2027, 10, 25, 7)),  # after the autumn change: 07:00 still
])
def test_the_weekly_time_is_monday_0700_on_the_paris_wall_clock(now, last):
    assert preferences.last_weekly_time(now) == last
    assert preferences.next_weekly_time(now) == datetime.combine(
        last.astimezone(PARIS).date() + timedelta(days=7), time(7), PARIS)


@pytest.mark.db_engine  # times compared in SQL, the compare-and-set
def test_lefevre_is_told_once_a_week_from_monday_0700(app, db, demo):
    choose(db, "lefevre", weekly_summary=True, last_weekly_at=paris(2027, 1, 2, 10))  # Saturday

    assert _pass(app, db, paris(2027, 1, 4, 6, 59)) == 0
    assert _pass(app, db, paris(2027, 1, 4, 7)) == 1
    assert _pass(app, db, paris(2027, 1, 4, 7)) == 0  # a second pass, or a second worker
    assert _pass(app, db, paris(2027, 1, 10, 23)) == 0  # the rest of the week
    assert _pass(app, db, paris(2027, 1, 11, 6, 59)) == 0
    assert _pass(app, db, paris(2027, 1, 11, 7)) == 1  # the next Monday

    [first, second] = summaries(db)
    assert first.account_id == persona(db, "lefevre").id
    assert (first.patient_id, first.section, first.urgent, first.url) == (
        None, "", False, WEEKLY_URL)
    assert first.expires_at == second.created_at == paris(2027, 1, 11, 7)


@pytest.mark.db_engine
@pytest.mark.parametrize(("monday", "next_monday"), [
    ((2027, 3, 22), (2027, 3, 29)),  # summer time begins on Sunday 28 March
    ((2027, 10, 25), (2027, 11, 1)),  # and ends on Sunday 31 October
])
def test_across_a_change_of_the_clocks_it_is_still_0700_in_paris(app, db, demo, monday,
                                                                 next_monday):
    choose(db, "lefevre", weekly_summary=True,
           last_weekly_at=paris(*monday, 7) - timedelta(days=2))
    assert _pass(app, db, paris(*monday, 6, 59)) == 0
    assert _pass(app, db, paris(*monday, 7)) == 1
    # Seven times 24 hours after the last one would be 08:00 in spring, 06:00 in autumn.
    assert _pass(app, db, paris(*next_monday, 6)) == 0
    assert _pass(app, db, paris(*next_monday, 6, 59)) == 0
    assert _pass(app, db, paris(*next_monday, 7)) == 1


# -- who: professionals who chose it, with something to say ------------------------------

def test_only_professionals_who_chose_it_and_have_news_are_told(app, db, demo):
    choose(db, "lefevre", weekly_summary=True)
    choose(db, "amina", daily_digest=True)  # not the weekly summary
    choose(db, "lucas", weekly_summary=True)  # none of his patients has anything to say
    choose(db, "jeanne", weekly_summary=True)  # not offered to her: never made
    choose(db, "claire", weekly_summary=True)

    assert _pass(app, db, paris(2027, 1, 4, 8)) == 1

    assert [row.account_id for row in summaries(db)] == [persona(db, "lefevre").id]
    db.expire_all()
    lucas = db.exec(select(NotificationPreference).where(
        NotificationPreference.account_id == persona(db, "lucas").id)).one()
    assert lucas.last_weekly_at == paris(2027, 1, 4, 8)  # looked at once this week


def test_the_worker_makes_it_in_its_pass_and_counts_it(app, db, demo):
    choose(db, "lefevre", weekly_summary=True)
    monday = paris(2027, 1, 4, 7)
    _report(db, carnet_id(db, "jeanne"), monday - timedelta(hours=1))

    first = Relay.for_app(app).run_once(monday)
    second = Relay.for_app(app).run_once(monday)

    assert (first.weekly, second.weekly) == (1, 0)
    assert len(summaries(db)) == 1


def test_the_digest_neither_holds_nor_folds_the_weekly_summary():
    weekly = Notification(account_id=1, kind=NotificationKind.WEEKLY_SUMMARY)
    digest = NotificationPreference(account_id=1, daily_digest=True,
                                    muted_kinds=["weekly_summary"])
    assert route(digest, Role.PROFESSIONAL, weekly, paris(2027, 1, 4, 7)) == Route()
    assert NotificationKind.WEEKLY_SUMMARY in preferences.SUMMARIES


def test_lefevre_chooses_it_and_it_starts_next_monday(signed_in, db):
    lefevre = signed_in("lefevre")
    page = lefevre.get("/me/notifications").get_data(as_text=True)
    assert 'name="weekly_summary"' in page
    assert "Every Monday at 07:00, a summary of my patients" in page

    before = utcnow()
    assert lefevre.post("/me/notifications/preferences", kinds=["symptom_report"],
                        weekly_summary="1").status_code == 302

    db.expire_all()
    saved = db.exec(select(NotificationPreference).where(
        NotificationPreference.account_id == persona(db, "lefevre").id)).one()
    assert saved.weekly_summary and saved.last_weekly_at >= before
    assert 'name="weekly_summary" value="1" checked' in lefevre.get(
        "/me/notifications").get_data(as_text=True)


@pytest.mark.parametrize("name", ["jeanne", "claire"])
def test_patients_and_caregivers_are_not_offered_it(signed_in, db, name):
    someone = signed_in(name)
    assert 'name="weekly_summary"' not in someone.get("/me/notifications").get_data(
        as_text=True)

    someone.post("/me/notifications/preferences", weekly_summary="1")

    db.expire_all()
    saved = db.exec(select(NotificationPreference).where(
        NotificationPreference.account_id == persona(db, name).id)).first()
    assert saved is None or not saved.weekly_summary


# -- what the push says: no name, no health ------------------------------------------------

@pytest.mark.parametrize(("locale", "title", "body"), [
    ("en", "Your weekly summary is ready",
     "What changed this week for your patients. Open Carnet to see it."),
    ("fr", "Votre résumé de la semaine est prêt",
     "Ce qui a changé cette semaine pour vos patients. Ouvrez Carnet pour le voir."),
])
def test_the_push_says_the_summary_is_ready_and_nothing_else(app, db, demo, locale, title,
                                                             body):
    persona(db, "lefevre").locale = locale
    db.commit()
    choose(db, "lefevre", weekly_summary=True)
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    with app.app_context():
        device, _row = subscribe(db, service, "lefevre")
    # He never had one: this week's is due at once (the real time: the push service checks
    # that the VAPID token expires soon after it).
    now = utcnow()
    _report(db, carnet_id(db, "jeanne"), now - timedelta(hours=1))

    try:
        counts = Relay.for_app(app, rng=random.Random(3)).drain(now)
    finally:
        service.stop()

    assert service.problems == [] and counts.weekly == 1 and counts.sent == 1
    [message] = service.payloads(device)
    shown = message["notification"]
    assert (shown["title"], shown["body"], shown["data"]["url"]) == (title, body, WEEKLY_URL)
    words = repr(message).lower()
    for said in ("jeanne", "martin", "symptom", "urgent", "report", "weight", "signalement"):
        assert said not in words


# -- the page: what it says, in which order ------------------------------------------------

def _revision(db, model, row, who: str, change: ChangeKind, at: datetime) -> None:
    target = {PlanRevision: "plan_item_id", AppointmentRevision: "appointment_id"}[model]
    db.add(model(patient_id=row.patient_id, account_id=persona(db, who).id, change=change,
                 created_at=at, **{target: row.id}))
    db.commit()


def _noted(db, patient_id: int, who: str, at: datetime) -> None:
    _note(db, patient_id, who, "Passage fait.").created_at = at
    db.commit()


def _shown(week: my_week.Week) -> dict[int, dict[str, int]]:
    return {patient.patient_id: {name: getattr(patient, name) for name in patient.read_from
                                 if getattr(patient, name)} for patient in week.patients}


@pytest.mark.db_engine  # Paris days and the window's edges, compared in SQL
def test_each_patient_says_what_others_did_this_week_and_what_is_due(app, db, demo):
    # A Monday long after the demo's dates: only what this test writes is in its window.
    today = my_day.paris_day(utcnow()) + timedelta(days=100)
    now = datetime.combine(today, time(12), PARIS).astimezone(UTC)
    since = datetime.combine(today - timedelta(days=7), time(), PARIS)
    lefevre = persona(db, "lefevre")
    db.exec(sa.update(PlanItem).where(PlanItem.responsible_account_id == lefevre.id)
            .values(status=ActionStatus.DONE))  # the demo's actions, long overdue by then
    db.commit()
    professional = _professional(db, "lefevre")
    jeanne, karim = carnet_id(db, "jeanne"), carnet_id(db, "karim")
    abadie = patient_in_care_of(db, professional, "Albert", "Abadie").id
    zola = patient_in_care_of(db, professional, "Zoé", "Zola").id
    # Karim: an urgent report two days ago, a calm one the day before.
    _report(db, karim, now - timedelta(days=2))
    _report(db, karim, now - timedelta(days=3), urgent=False)
    # Jeanne: a report at midnight seven days ago is in; one the second before is not.
    _report(db, jeanne, since, urgent=False)
    _report(db, jeanne, since - timedelta(seconds=1))
    overdue = _action(db, jeanne, "lefevre", today - timedelta(days=1))
    in_7 = _action(db, jeanne, "lefevre", today + timedelta(days=7))
    _action(db, jeanne, "lefevre", today + timedelta(days=8))
    _action(db, jeanne, "amina", today)
    _revision(db, PlanRevision, in_7, "amina", ChangeKind.UPDATED, now - timedelta(days=1))
    _revision(db, PlanRevision, in_7, "lefevre", ChangeKind.UPDATED, now - timedelta(days=1))
    _noted(db, jeanne, "amina", now - timedelta(days=1))
    _noted(db, jeanne, "lefevre", now - timedelta(days=1))  # his own
    _noted(db, jeanne, "amina", since - timedelta(minutes=1))
    tomorrow = _appointment(db, jeanne, "amina", now + timedelta(days=1))
    last_day = _appointment(db, jeanne, "lefevre", datetime.combine(
        today + timedelta(days=7), time(23), PARIS))
    _appointment(db, jeanne, "lefevre", datetime.combine(today + timedelta(days=8), time(9),
                                                         PARIS))
    _appointment(db, jeanne, "lefevre", now - timedelta(hours=1))  # this morning: past
    for change in (ChangeKind.CREATED, ChangeKind.MOVED, ChangeKind.CANCELLED):
        _revision(db, AppointmentRevision, tomorrow, "amina", change, now - timedelta(hours=2))
    _noted(db, abadie, "amina", now - timedelta(days=3))
    _appointment(db, zola, "lefevre", now + timedelta(days=2))

    with app.app_context():
        week = my_week.build(db, lefevre, professional, now)

    assert [patient.patient_id for patient in week.patients] == [
        karim,  # an urgent report
        jeanne,  # an overdue action of his
        abadie, zola]  # then by name
    assert _shown(week) == {
        karim: {"reports": 2, "urgent": 1},
        jeanne: {"reports": 1, "plan_changes": 1, "notes": 1, "added": 1, "changed": 1,
                 "cancelled": 1, "due": 2, "overdue": 1, "upcoming": 2},
        abadie: {"notes": 1}, zola: {"upcoming": 1}}
    [_karim, hers, *_rest] = week.patients
    assert [item.id for item in hers.actions] == [overdue.id, in_7.id]
    assert [row.appointment.id for row in hers.appointments] == [tomorrow.id, last_day.id]
    assert hers.appointments[0].account.id == persona(db, "amina").id
    assert my_week.reads(week) == sorted(
        [(karim, "symptoms"), (abadie, "notes"), (zola, "appointments")]
        + [(jeanne, section) for section in ("appointments", "notes", "plan", "symptoms")])


def test_an_opposed_section_never_shows_up(app, db, demo):
    now = utcnow()
    jeanne = carnet_id(db, "jeanne")
    _report(db, jeanne, now - timedelta(hours=1))
    _note(db, jeanne, "amina", "Pansement refait.")
    lefevre, professional = persona(db, "lefevre"), _professional(db, "lefevre")

    decide(db, "jeanne", "lefevre", ConsentKind.OPPOSE, "symptoms", "notes")
    with app.app_context():
        [hers] = [p for p in my_week.build(db, lefevre, professional, now).patients
                  if p.patient_id == jeanne]
    assert (hers.reports, hers.urgent, hers.notes) == (0, 0, 0)
    assert hers.sections() == {"plan", "appointments"}  # the demo's week, as before

    decide(db, "jeanne", "lefevre", ConsentKind.OPPOSE, "plan", "appointments")
    with app.app_context():
        week = my_week.build(db, lefevre, professional, now)
    assert jeanne not in {patient.patient_id for patient in week.patients}


# -- the page over HTTP --------------------------------------------------------------------

def _reads(db, after: int) -> set[tuple[int, str]]:
    return set(db.exec(select(AuditEvent.patient_id, AuditEvent.section).where(
        AuditEvent.id > after, AuditEvent.action == AuditAction.READ,
        AuditEvent.actor_account_id == persona(db, "lefevre").id)).all())


def _last_audit(db) -> int:
    return db.exec(select(sa.func.max(AuditEvent.id))).one() or 0


def test_the_page_links_each_line_to_its_page_and_reads_what_it_shows(app, signed_in, db,
                                                                     jeanne_id):
    lefevre = signed_in("lefevre")
    now = utcnow()
    report = _report(db, jeanne_id, now - timedelta(hours=1))
    action = _action(db, jeanne_id, "lefevre", my_day.paris_day(now) - timedelta(days=1),
                     "Revoir le traitement")
    assert 'href="/day/week"' in lefevre.get("/day").get_data(as_text=True)
    last = _last_audit(db)

    answer = lefevre.get("/day/week")

    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "<title>Weekly summary" in page and "Jeanne Martin" in page
    block = _block(page, jeanne_id)
    for link in (f"/carnet/{jeanne_id}/", f"/carnet/{jeanne_id}/symptoms",
                 f"/carnet/{jeanne_id}/plan/{action.id}", f"/carnet/{jeanne_id}/notes",
                 f"/carnet/{jeanne_id}/changes"):
        assert f'href="{link}"' in block, link
    assert "symptom reports" in block and "urgent" in block and "Overdue" in block
    assert f"report-{report.id}" not in block  # counts, not the reports themselves
    with app.app_context():
        week = my_week.build(db, persona(db, "lefevre"), _professional(db, "lefevre"), now)
    assert _reads(db, last) == set(my_week.reads(week))
    assert {section for carnet, section in _reads(db, last) if carnet == jeanne_id} == {
        "symptoms", "plan", "notes", "appointments"}


def test_a_carnet_whose_sections_are_all_opposed_is_neither_shown_nor_read(signed_in, db,
                                                                             jeanne_id):
    lefevre = signed_in("lefevre")
    decide(db, "jeanne", "lefevre", ConsentKind.OPPOSE, "plan", "symptoms", "appointments",
           "notes")
    last = _last_audit(db)

    page = lefevre.get("/day/week").get_data(as_text=True)

    assert f'id="week-patient-{jeanne_id}"' not in page and "Jeanne" not in page
    assert f'id="week-patient-{carnet_id(db, "karim")}"' in page
    assert jeanne_id not in {carnet for carnet, _section in _reads(db, last)}


@pytest.mark.parametrize("name", ["jeanne", "claire", "francoise"])
def test_it_is_a_page_for_professionals_only(signed_in, name):
    assert signed_in(name).get("/day/week").status_code == 404


def test_the_page_in_french(signed_in, db, jeanne_id):
    lefevre = signed_in("lefevre")
    persona(db, "lefevre").locale = "fr"
    db.commit()
    _report(db, jeanne_id, utcnow() - timedelta(hours=1))

    page = lefevre.get("/day/week").get_data(as_text=True)

    assert "<title>Résumé de la semaine" in page
    assert "Cette semaine" in page and "signalements" in page
    assert re.search(r"\d+ urgents?<", page)
    assert "Dans les 7 prochains jours" in page


@pytest.mark.db_engine
def test_the_page_makes_as_many_queries_with_1000_patients_as_with_10(signed_in, engine, db):
    page, with_10, with_1000 = with_10_then_1000_patients(signed_in, engine, db, utcnow(),
                                                          "/day/week")

    assert len(PATIENT_BLOCK.findall(page)) == my_week.PER_PAGE  # a page of them
    assert 'rel="next"' in page
    assert with_1000 == with_10


def test_a_week_is_seven_paris_days_back_and_seven_ahead():
    window = my_week.Window.at(paris(2027, 3, 29, 7))  # the Monday after the spring change
    assert window.today == date(2027, 3, 29)
    assert window.since == paris(2027, 3, 22, 0)  # in winter time
    assert window.until == paris(2027, 4, 6, 0)
