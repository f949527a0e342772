"""The first carnet pages, seen by the patient, her caregiver and her team."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.models import AuditEvent, Patient

from .carnet_actions import carnet_id
from .conftest import persona

PAGES = ["/carnet/{id}/", "/carnet/{id}/team", "/carnet/{id}/plan", "/carnet/{id}/appointments"]


def _carnet_id(db, name: str) -> int:
    return db.exec(select(Patient.id).where(Patient.account_id == persona(db, name).id)).one()


@pytest.mark.parametrize("page", PAGES)
def test_jeanne_opens_each_page_of_her_carnet(demo_actions, db, page):
    demo_actions.sign_in("jeanne")
    response = demo_actions.client.get(page.format(id=_carnet_id(db, "jeanne")))
    assert response.status_code == 200


def test_jeannes_own_reads_are_not_audited(demo_actions, db):
    demo_actions.sign_in("jeanne")
    for page in PAGES:
        demo_actions.client.get(page.format(id=_carnet_id(db, "jeanne")))
    assert db.exec(select(AuditEvent)).all() == []


def test_dr_lefevre_reads_jeannes_plan_and_it_is_audited(demo_actions, db):
    demo_actions.sign_in("lefevre")
    response = demo_actions.client.get(f"/carnet/{_carnet_id(db, 'jeanne')}/plan")
    assert response.status_code == 200
    events = db.exec(select(AuditEvent)).all()
    assert [(e.section, e.action, e.allowed) for e in events] == [("plan", "read", True)]
    assert events[0].actor_account_id == persona(db, "lefevre").id


@pytest.mark.parametrize("page", PAGES)
def test_claire_cannot_open_karims_carnet(demo_actions, db, page):
    demo_actions.sign_in("claire")
    response = demo_actions.client.get(page.format(id=_carnet_id(db, "karim")))
    assert response.status_code == 404


def test_claire_sees_jeannes_plan_with_a_caregiver_banner(demo_actions, db):
    demo_actions.sign_in("claire")
    page = demo_actions.client.get(
        f"/carnet/{_carnet_id(db, 'jeanne')}/plan", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "as their caregiver" in page


@pytest.mark.parametrize("name", ["lucas", "francoise"])
def test_outsiders_get_404_on_jeannes_carnet_and_the_refusal_is_audited(demo_actions, db, name):
    demo_actions.sign_in(name)
    response = demo_actions.client.get(f"/carnet/{_carnet_id(db, 'jeanne')}/")
    assert response.status_code == 404
    refused = db.exec(select(AuditEvent).where(AuditEvent.allowed == False)).all()  # noqa: E712
    assert [e.actor_account_id for e in refused] == [persona(db, name).id]


def test_a_visitor_is_sent_to_sign_in(client, demo, db):
    response = client.get(f"/carnet/{_carnet_id(db, 'jeanne')}/plan")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/sign-in")


@pytest.mark.db_engine
def test_the_number_of_queries_of_the_home_does_not_grow_with_the_data(demo_actions, db, engine):
    """Rule 7: SQL queries per page do not grow with the data."""
    import sqlalchemy as sa

    from app.models import PlanItem, PlanItemKind, PlanRevision

    demo_actions.sign_in("jeanne")
    carnet_id = _carnet_id(db, "jeanne")

    def count_queries(path: str) -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert demo_actions.client.get(path).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    pages = [p.format(id=carnet_id) for p in PAGES]
    for page in pages:  # the first view of the home writes her visit, the next ones do not
        count_queries(page)
    before = [count_queries(p) for p in pages]
    for n in range(200):
        item = PlanItem(patient_id=carnet_id, kind=PlanItemKind.ACTION, title=f"Action {n}")
        db.add(item)
        db.flush()
        db.add(PlanRevision(plan_item_id=item.id, patient_id=carnet_id, change="created"))
    db.commit()
    assert [count_queries(p) for p in pages] == before


def test_dr_lefevre_lists_his_patients(demo_actions):
    demo_actions.sign_in("lefevre")
    page = demo_actions.client.get("/patients", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "Jeanne Martin" in page and "Karim Belkacem" in page
    assert "Louise Bernard" not in page
    assert "to read" in page  # reports not yet acknowledged by anyone in the team


def _jeanne_in_the_list(lefevre) -> str:
    """Jeanne's line in Dr Lefèvre's list of patients, with its counts of what is new."""
    page = lefevre.get("/patients").get_data(as_text=True)
    return next(line for line in page.split("<li>") if "Jeanne Martin" in line)


@pytest.mark.db_engine
def test_dr_lefevres_counts_drop_what_jeanne_opposed_at_once(signed_in, db, jeanne_id):
    lefevre, amina, jeanne = signed_in("lefevre"), signed_in("amina"), signed_in("jeanne")
    lefevre.get(f"/carnet/{jeanne_id}/")  # his visit: nothing is new since
    assert "change" not in _jeanne_in_the_list(lefevre)
    day = (date.today() + timedelta(days=7)).isoformat()
    assert amina.post(f"/carnet/{jeanne_id}/appointments/new", title="Prise de sang",
                      kind="home_visit", day=day, start="08:00", end="08:15").status_code == 302
    assert ">1 change<" in _jeanne_in_the_list(lefevre)

    jeanne.post(f"/carnet/{jeanne_id}/consent", grantee=persona(db, "lefevre").id,
                section="appointments", visible="no")
    last = db.exec(select(sa.func.max(AuditEvent.id))).one()
    assert "change" not in _jeanne_in_the_list(lefevre)
    # Each count is a read of its section, and there is none of her appointments now.
    counted = db.exec(select(AuditEvent.section).where(
        AuditEvent.id > last, AuditEvent.patient_id == jeanne_id,
        AuditEvent.object_type == "count")).all()
    assert sorted(counted) == ["notes", "plan", "symptoms"]

    assert amina.post(f"/carnet/{jeanne_id}/plan/new", kind="problem",
                      title="Sommeil").status_code == 302
    assert ">1 change<" in _jeanne_in_the_list(lefevre)  # the plan's, which he still sees


def test_claire_chooses_among_the_carnets_she_helps_with(demo_actions):
    demo_actions.sign_in("claire")
    page = demo_actions.client.get("/carnets").get_data(as_text=True)
    assert "Jeanne Martin" in page and "Karim Belkacem" not in page


@pytest.mark.parametrize(("name", "path"), [("jeanne", "/patients"), ("lefevre", "/carnets")])
def test_the_lists_of_other_roles_are_404(demo_actions, name, path):
    demo_actions.sign_in(name)
    assert demo_actions.client.get(path).status_code == 404


def test_karims_home_tells_of_his_cancelled_appointment(signed_in, db):
    # An appointment's history carries its own statuses ("cancelled"), not an action's.
    page = signed_in("karim").get(f"/carnet/{carnet_id(db, 'karim')}/")
    assert page.status_code == 200
    assert "Scheduled → Cancelled" in page.get_data(as_text=True)


def test_a_plan_item_without_a_title_is_explained(signed_in, db, jeanne_id):
    response = signed_in("lefevre").post(f"/carnet/{jeanne_id}/plan/new", kind="problem")
    assert response.status_code == 400
    assert "Please write something here." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["notes", "changes", "who-saw", "consent/timeline",
                                  "symptoms"])
@pytest.mark.parametrize("page", ["²", "-1", "0", "99999999", "x"])
def test_an_odd_page_number_shows_the_first_page(signed_in, jeanne_id, path, page):
    # "²".isdigit() is true in Python, but int("²") fails: it used to answer 500.
    response = signed_in("jeanne").get(f"/carnet/{jeanne_id}/{path}?page={page}")
    assert response.status_code == 200
