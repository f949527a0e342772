"""My day: a professional's worklist across the carnets they may see — its order, its
boundaries (overdue by a day, due today, in 7 days but not in 8), its filters, the policy
(an opposed section never shows), acting on a line, and its cost with 10 or 1,000 patients."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.carnet import my_day
from app.carnet.appointments import PARIS
from app.models import (
    AccessRequest,
    ActionStatus,
    Appointment,
    CareTeamMember,
    ConsentKind,
    Delegation,
    Note,
    Patient,
    PlanItem,
    PlanItemKind,
    Professional,
    RequestStatus,
    Role,
    SymptomReport,
)
from app.models.accounts import Account
from app.symptoms.reports import content_hash, new_client_id
from app.types import utcnow

from .carnet_actions import carnet_id
from .conftest import persona
from .symptom_actions import decide, questionnaire
from .test_symptom_reading import _count_queries

LINE = re.compile(r'<li id="day-(report|action|appointment|note|request|access)-(\d+)"')


def _professional(db, name: str) -> Professional:
    return db.exec(select(Professional).where(
        Professional.account_id == persona(db, name).id)).one()


def _action(db, patient_id: int, who: str, due, title: str = "Peser chaque matin") -> PlanItem:
    item = PlanItem(patient_id=patient_id, kind=PlanItemKind.ACTION, title=title,
                    responsible_account_id=persona(db, who).id, due_date=due)
    db.add(item)
    db.commit()
    return item


def _report(db, patient_id: int, at: datetime, urgent: bool = True) -> SymptomReport:
    form = questionnaire(db, "heart_failure", "fr")
    answers = {"weight": 74, "breathlessness": 8, "ankles": True, "night_cough": True,
               "tiredness": 7}
    report = SymptomReport(patient_id=patient_id, questionnaire_id=form.id,
                           client_id=new_client_id(),
                           content_hash=content_hash(patient_id, form.id, answers, ""),
                           answers=answers, urgent=urgent, reported_at=at,
                           reported_by_account_id=persona(db, "jeanne").id)
    db.add(report)
    db.commit()
    return report


def _appointment(db, patient_id: int, who: str, at: datetime) -> Appointment:
    appointment = Appointment(patient_id=patient_id, professional_id=_professional(db, who).id,
                              title="Consultation", starts_at=at,
                              ends_at=at + timedelta(minutes=30), uid=secrets.token_hex(8))
    db.add(appointment)
    db.commit()
    return appointment


def _build(app, db, name: str, now: datetime, **filters) -> my_day.Day:
    with app.app_context():  # the policy keeps its decisions for one request
        return my_day.build(db, persona(db, name), _professional(db, name), now, **filters)


def _note(db, patient_id: int, author: str, body: str) -> Note:
    note = Note(patient_id=patient_id, author_account_id=persona(db, author).id,
                author_role="professional", body=body)
    db.add(note)
    db.commit()
    return note


def _day(app, db, name: str, now: datetime, **filters) -> list[tuple[str, int]]:
    return [(line.kind, line.what.id) for line in _build(app, db, name, now, **filters).lines]


@pytest.fixture
def now():
    return utcnow()


@pytest.mark.db_engine  # dates, Paris days and the carnets' array differ between engines
def test_the_day_is_in_the_order_a_gp_works_through_it(app, db, demo, jeanne_id, now):
    today = my_day.paris_day(now)
    newer = _report(db, jeanne_id, now - timedelta(hours=1))
    older = _report(db, jeanne_id, now - timedelta(days=2))
    _report(db, jeanne_id, now - timedelta(days=3), urgent=False)  # not urgent: the inbox's
    in_7 = _action(db, jeanne_id, "lefevre", today + timedelta(days=7))
    in_8 = _action(db, jeanne_id, "lefevre", today + timedelta(days=8))
    due_today = _action(db, jeanne_id, "lefevre", today)
    overdue = _action(db, jeanne_id, "lefevre", today - timedelta(days=1))
    amina_s = _action(db, jeanne_id, "amina", today)  # someone else's
    midnight = datetime.combine(today, time(), PARIS)
    tomorrow = _appointment(db, jeanne_id, "lefevre", midnight + timedelta(days=1, hours=9))
    this_morning = _appointment(db, jeanne_id, "lefevre", midnight + timedelta(hours=8))
    later = _appointment(db, jeanne_id, "lefevre", midnight + timedelta(days=2))

    lines = _day(app, db, "lefevre", now)

    mine = {("reports", newer.id), ("reports", older.id), ("actions", in_7.id),
            ("actions", due_today.id), ("actions", overdue.id),
            ("appointments", tomorrow.id), ("appointments", this_morning.id)}
    assert [line for line in lines if line in mine] == [
        ("reports", older.id), ("reports", newer.id),  # waiting longest first
        ("actions", overdue.id), ("actions", due_today.id), ("actions", in_7.id),
        ("appointments", this_morning.id), ("appointments", tomorrow.id)]
    shown = set(lines)
    assert ("actions", in_8.id) not in shown and ("actions", amina_s.id) not in shown
    assert ("appointments", later.id) not in shown
    kinds = [kind for kind, _id in lines]
    assert kinds == sorted(kinds, key=my_day.KINDS.index)  # reports, actions, appointments
    day = _build(app, db, "lefevre", now)
    flags = {line.what.id: (line.overdue, line.due_today) for line in day.lines
             if line.kind == "actions"}
    assert flags[overdue.id] == (True, False) and flags[due_today.id] == (False, True)
    assert flags[in_7.id] == (False, False)


def test_a_done_action_and_a_seen_report_are_not_on_the_list(app, db, demo, jeanne_id, now):
    report = _report(db, jeanne_id, now - timedelta(hours=2))
    report.acknowledged_at, report.acknowledged_by_id = now, persona(db, "amina").id
    done = _action(db, jeanne_id, "lefevre", my_day.paris_day(now))
    done.status = ActionStatus.DONE
    db.commit()

    shown = set(_day(app, db, "lefevre", now))

    assert ("reports", report.id) not in shown and ("actions", done.id) not in shown


def test_filters_by_kind_and_by_patient(app, db, demo, jeanne_id, now):
    karim_id = carnet_id(db, "karim")
    today = my_day.paris_day(now)
    jeanne_s = _action(db, jeanne_id, "lefevre", today)
    karim_s = _action(db, karim_id, "lefevre", today)
    report = _report(db, jeanne_id, now - timedelta(hours=1))

    only_actions = _day(app, db, "lefevre", now, kind="actions")
    only_karim = _day(app, db, "lefevre", now, patient_id=karim_id)

    assert {kind for kind, _id in only_actions} == {"actions"}
    assert ("actions", jeanne_s.id) in only_actions and ("actions", karim_s.id) in only_actions
    assert ("actions", karim_s.id) in only_karim
    assert ("actions", jeanne_s.id) not in only_karim and ("reports", report.id) not in only_karim
    day = _build(app, db, "lefevre", now, patient_id=karim_id)
    assert {patient.id for patient, _owner in day.patients} >= {jeanne_id, karim_id}


def _answered(db, patient_id: int, status: RequestStatus, days: float,
              who: str = "lucas", asked_by: str | None = None,
              scopes: tuple[str, ...] = ("team", "appointments")) -> AccessRequest:
    request = AccessRequest(patient_id=patient_id, requester_account_id=persona(db, who).id,
                            asked_by_id=persona(db, asked_by).id if asked_by else None,
                            scopes=list(scopes), status=status,
                            decided_at=utcnow() - timedelta(days=days) if days >= 0 else None)
    db.add(request)
    db.commit()
    return request


def test_the_answers_to_his_access_requests_of_the_last_7_days(signed_in, app, db, demo,
                                                               jeanne_id, now):
    given = _answered(db, jeanne_id, RequestStatus.ACCEPTED, 1)
    refused = _answered(db, carnet_id(db, "karim"), RequestStatus.REFUSED, 6.9)
    _answered(db, jeanne_id, RequestStatus.ACCEPTED, 8)  # answered 8 days ago
    _answered(db, jeanne_id, RequestStatus.PENDING, -1)  # not answered yet
    on_behalf = _answered(db, jeanne_id, RequestStatus.ACCEPTED, 2, who="lefevre",
                          asked_by="nadia")

    assert _day(app, db, "lucas", now) == [("access", given.id), ("access", refused.id)]
    assert _day(app, db, "nadia", now, kind="access") == [("access", on_behalf.id)]
    page = signed_in("lucas").get("/day").get_data(as_text=True)
    line = page.split(f'id="day-access-{given.id}"')[1].split("</li>")[0]
    assert "Access given" in line and f'href="/carnet/{jeanne_id}/"' in line
    assert "Care team and Appointments" in line
    line = page.split(f'id="day-access-{refused.id}"')[1].split("</li>")[0]
    assert "Access refused" in line and "href=" not in line
    page = signed_in("nadia").get("/day?kind=access").get_data(as_text=True)
    assert "For Dr Paul Lefèvre" in page


@pytest.mark.parametrize(("language", "sections"), [
    ("en", "Care team, Appointments, and Notebook"),
    ("fr", "Équipe de soins, Rendez-vous et Cahier de liaison"),
    ("ar", "فريق الرعاية والمواعيد ودفتر التواصل"),
])
def test_an_answers_sections_are_listed_in_the_carnets_order_and_the_readers_language(
        signed_in, db, demo, jeanne_id, language, sections):
    # Stored in the order Lucas ticked them, with an ability that is no section.
    given = _answered(db, jeanne_id, RequestStatus.ACCEPTED, 1,
                      scopes=("notes", "notes:write", "appointments", "team"))
    persona(db, "lucas").locale = language
    db.commit()
    page = signed_in("lucas").get("/day?kind=access").get_data(as_text=True)
    line = page.split(f'id="day-access-{given.id}"')[1].split("</li>")[0]
    assert f"{sections} · <time" in line


def test_the_coordinator_has_the_day_of_the_carnets_she_coordinates(app, db, demo, jeanne_id,
                                                                     now):
    """Nadia Haddad (DAC) is the referent of Jeanne's team, not of Karim's: her day has
    Jeanne's urgent report and the action put on her name, and nothing of Karim's."""
    report = _report(db, jeanne_id, now - timedelta(hours=1))
    hers = _action(db, jeanne_id, "nadia", my_day.paris_day(now))
    karims = _report(db, carnet_id(db, "karim"), now - timedelta(hours=2))
    day = _day(app, db, "nadia", now)
    assert ("reports", report.id) in day and ("actions", hers.id) in day
    assert ("reports", karims.id) not in day


def test_an_opposed_section_never_shows_up(app, db, demo, jeanne_id, now):
    today = my_day.paris_day(now)
    action = _action(db, jeanne_id, "lefevre", today)
    report = _report(db, jeanne_id, now - timedelta(hours=1))
    midnight = datetime.combine(today, time(), PARIS)
    appointment = _appointment(db, jeanne_id, "lefevre", midnight + timedelta(hours=20))
    note = _note(db, jeanne_id, "amina", "Dr Lefèvre, pouvez-vous revoir le diurétique ?")
    ours = {("actions", action.id), ("reports", report.id), ("appointments", appointment.id),
            ("notes", note.id)}
    assert ours <= set(_day(app, db, "lefevre", now))

    decide(db, "jeanne", "lefevre", ConsentKind.OPPOSE, "plan", "symptoms", "appointments",
           "notes")

    assert ours.isdisjoint(_day(app, db, "lefevre", now))


def test_notes_that_name_him_until_he_reads_them(signed_in, app, db, jeanne_id, now):
    lefevre = signed_in("lefevre")
    naming = _note(db, jeanne_id, "amina", "Poids en hausse, j'en parle au Dr LEFÈVRE.")
    ascii_case = _note(db, jeanne_id, "amina", "Voir avec lefèvre demain.")
    other = _note(db, jeanne_id, "amina", "Pansement refait ce matin.")
    his_own = _note(db, jeanne_id, "lefevre", "Lefèvre : traitement inchangé.")

    notes = [id_ for kind, id_ in _day(app, db, "lefevre", now) if kind == "notes"]

    assert naming.id in notes or db.get_bind().dialect.name == "sqlite"  # SQLite lowers ASCII
    assert ascii_case.id in notes
    assert other.id not in notes and his_own.id not in notes
    assert lefevre.get(f"/carnet/{jeanne_id}/notes").status_code == 200  # reading them
    assert [kind for kind, _id in _day(app, db, "lefevre", utcnow())].count("notes") == 0


def test_acting_on_a_line_removes_it_with_and_without_htmx(signed_in, db, jeanne_id, now):
    lefevre = signed_in("lefevre")
    today = my_day.paris_day(now)
    first = _action(db, jeanne_id, "lefevre", today, "Revoir le traitement")
    second = _action(db, jeanne_id, "lefevre", today, "Appeler la pharmacie")
    report = _report(db, jeanne_id, now - timedelta(hours=1))
    page = lefevre.get("/day?kind=actions").get_data(as_text=True)
    assert f'id="day-action-{first.id}"' in page and "<title>" in page

    # Without JavaScript: the carnet's own endpoint, then back to the list as filtered.
    answer = lefevre.post(f"/carnet/{jeanne_id}/plan/{first.id}/status?kind=actions",
                          status="done", version=first.version, back="day")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/day?kind=actions")
    db.expire_all()
    assert db.get(PlanItem, first.id).status == ActionStatus.DONE
    assert f'id="day-action-{first.id}"' not in lefevre.get("/day").get_data(as_text=True)

    # With htmx: the redirect is followed, and the list alone comes back (the same block).
    client = lefevre.actions.client
    htmx = {"HX-Request": "true", "X-CSRFToken": lefevre.token}
    answer = client.post(f"/carnet/{jeanne_id}/symptoms/{report.id}/acknowledge",
                         data={"back": "day"}, headers=htmx, follow_redirects=True)
    fragment = answer.get_data(as_text=True)
    assert answer.status_code == 200 and fragment.lstrip().startswith('<ol id="worklist"')
    assert f'id="day-report-{report.id}"' not in fragment
    assert f'id="day-action-{second.id}"' in fragment
    db.expire_all()
    assert db.get(SymptomReport, report.id).acknowledged_by_id == persona(db, "lefevre").id


def test_my_day_is_a_professionals_home_and_audits_what_it_shows(signed_in, db, jeanne_id, now):
    from app.models import AuditEvent

    lefevre = signed_in("lefevre")
    _report(db, jeanne_id, now - timedelta(hours=1))
    assert lefevre.actions.client.get("/").headers["Location"].endswith("/day")
    last = db.exec(select(sa.func.max(AuditEvent.id))).one() or 0

    page = lefevre.get("/day").get_data(as_text=True)

    assert "Jeanne Martin" in page
    read = db.exec(select(AuditEvent.section).where(AuditEvent.id > last,
                                                    AuditEvent.patient_id == jeanne_id)).all()
    assert "symptoms" in read
    assert signed_in("jeanne").actions.client.get("/day").status_code == 404  # as /inbox


def _grow(db, professional: Professional, count: int, now: datetime) -> None:
    """``count`` more patients in ``professional``'s care, each with an urgent report, an
    action of theirs due today, one asked of them, an appointment with them this evening
    and a note that names them."""
    form = questionnaire(db, "heart_failure", "fr")
    today = my_day.paris_day(now)
    evening = datetime.combine(today, time(21), PARIS)
    accounts = [Account(email=f"patient-{secrets.token_hex(6)}@example.org",
                        first_name="Patient", last_name=f"N{n:04d}", role=Role.PATIENT,
                        user_handle=secrets.token_hex(16)) for n in range(count)]
    db.add_all(accounts)
    db.flush()
    patients = [Patient(account_id=account.id) for account in accounts]
    db.add_all(patients)
    db.flush()
    for patient, account in zip(patients, accounts, strict=True):
        answers = {"weight": 80, "breathlessness": 9}
        db.add_all([
            CareTeamMember(patient_id=patient.id, professional_id=professional.id),
            SymptomReport(patient_id=patient.id, questionnaire_id=form.id,
                          client_id=new_client_id(),
                          content_hash=content_hash(patient.id, form.id, answers, ""),
                          answers=answers, urgent=True, reported_at=now - timedelta(days=1),
                          reported_by_account_id=account.id),
            PlanItem(patient_id=patient.id, kind=PlanItemKind.ACTION, title="Bilan",
                     responsible_account_id=professional.account_id, due_date=today),
            PlanItem(patient_id=patient.id, kind=PlanItemKind.ACTION, title="Pansement",
                     responsible_account_id=professional.account_id,
                     delegation=Delegation.ASKED, delegated_by_id=account.id),
            Appointment(patient_id=patient.id, professional_id=professional.id,
                        title="Visite", starts_at=evening,
                        ends_at=evening + timedelta(minutes=20), uid=secrets.token_hex(8)),
            Note(patient_id=patient.id, author_account_id=account.id, author_role="patient",
                 body="Question pour le Dr Lefèvre"),
            AccessRequest(patient_id=patient.id, requester_account_id=professional.account_id,
                          scopes=["plan"], status=RequestStatus.ACCEPTED,
                          decided_at=now - timedelta(hours=2)),
        ])
    db.commit()


def with_10_then_1000_patients(signed_in, engine, db, now: datetime,
                               path: str) -> tuple[str, int, int]:
    """Dr Lefèvre's ``path`` with 10 patients grown (``_grow``), then 1,000: the page then,
    and how many queries it made with 10 and with 1,000."""
    professional = _professional(db, "lefevre")
    client = signed_in("lefevre").actions.client
    _grow(db, professional, 10, now)
    _count_queries(engine, client, path)  # what is done once (caches) is done
    with_10 = _count_queries(engine, client, path)
    _grow(db, professional, 990, now)
    page = client.get(path).get_data(as_text=True)
    return page, with_10, _count_queries(engine, client, path)


@pytest.mark.db_engine
def test_the_day_makes_as_many_queries_with_1000_patients_as_with_10(signed_in, engine, db,
                                                                      now):
    page, with_10, with_1000 = with_10_then_1000_patients(signed_in, engine, db, now, "/day")

    assert len(LINE.findall(page)) == 6 * 50  # every kind full: 50 lines each
    assert with_1000 == with_10


def test_an_action_changed_meanwhile_is_shown_again_and_the_list_says_why(signed_in, db,
                                                                          jeanne_id, now):
    lefevre = signed_in("lefevre")
    item = _action(db, jeanne_id, "lefevre", my_day.paris_day(now), "Revoir le traitement")
    old_version = item.version
    amina = signed_in("amina")  # she changes its status first, from her phone
    assert amina.post(f"/carnet/{jeanne_id}/plan/{item.id}/status", status="in_progress",
                      version=old_version).status_code in (302, 303)

    answer = lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}/status", status="done",
                          version=old_version, back="day")

    assert answer.status_code == 303 and answer.headers["Location"].endswith("/day")
    db.expire_all()
    assert db.get(PlanItem, item.id).status == ActionStatus.IN_PROGRESS  # not overwritten
    page = lefevre.get("/day").get_data(as_text=True)
    assert "This was changed meanwhile by Amina Benali" in page
    assert f'id="day-action-{item.id}"' in page

    # With htmx, the message comes with the list that replaces the old one.
    client = lefevre.actions.client
    answer = client.post(f"/carnet/{jeanne_id}/plan/{item.id}/status",
                         data={"status": "done", "version": old_version, "back": "day"},
                         headers={"HX-Request": "true", "X-CSRFToken": lefevre.token},
                         follow_redirects=True)
    fragment = answer.get_data(as_text=True)
    assert fragment.lstrip().startswith('<ol id="worklist"')
    assert "This was changed meanwhile by Amina Benali" in answer.headers[
        "HX-Trigger-After-Settle"]  # said by the live region
    assert 'tabindex="-1" autofocus' in fragment  # the focus goes to the list
