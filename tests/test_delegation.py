"""Delegation: an action put on another professional's name is a request. They accept it
(with a note: until when, under whose supervision) or decline it (saying why); the one who
asked is told; the patient sees who agreed to do what; the action's history keeps each step.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.carnet import my_day
from app.models import (
    ChangeKind,
    Delegation,
    Notification,
    NotificationKind,
    PlanItem,
    PlanRevision,
)
from app.types import utcnow

from .carnet_actions import stored
from .conftest import persona

JEANNES_ACTION = "Me peser chaque matin et noter mon poids"  # under a goal of Jeanne's plan
WEIGH = "Se peser chaque jour et appeler si +1 kg"
NOTE = "Jusqu'au 15 janvier, sous la supervision du Dr Lefèvre"
CARNET_TABLES = ("plan_item", "plan_revision", "notification")


def _goal_id(db) -> int:
    return db.exec(select(PlanItem.parent_id).where(PlanItem.title == JEANNES_ACTION)).one()


def _delegate(browser, db, jeanne_id: int, to: str, title: str = WEIGH, **extra) -> PlanItem:
    """Dr Lefèvre (``browser``) adds an action to Jeanne's plan on ``to``'s name."""
    today = my_day.paris_day(utcnow())
    answer = browser.post(f"/carnet/{jeanne_id}/plan/new", kind="action",
                          parent=str(_goal_id(db)), title=title,
                          responsible_account_id=str(persona(db, to).id),
                          due_date=today.isoformat(), **extra)
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:500]
    db.expire_all()
    return db.exec(select(PlanItem).where(PlanItem.title == title)).one()


def _told(db, name: str) -> list[Notification]:
    db.expire_all()
    return list(db.exec(select(Notification).where(
        Notification.account_id == persona(db, name).id,
        Notification.kind == NotificationKind.PLAN_CHANGED)))


def _answer(browser, jeanne_id: int, item: PlanItem, answer: str, note: str = "", **extra):
    return browser.post(f"/carnet/{jeanne_id}/plan/{item.id}/delegation", answer=answer,
                        note=note, version=str(item.version), **extra)


def test_amina_is_asked_accepts_with_a_note_and_everyone_sees_it(signed_in, db, jeanne_id):
    lefevre, amina = signed_in("lefevre"), signed_in("amina")
    item = _delegate(lefevre, db, jeanne_id, "amina",
                     supervisor_account_id=str(persona(db, "lefevre").id))

    assert (item.delegation, item.delegated_by_id) == (Delegation.ASKED,
                                                       persona(db, "lefevre").id)
    assert [n.url for n in _told(db, "amina")] == [f"/carnet/{jeanne_id}/plan/{item.id}"]
    day = amina.get("/day").get_data(as_text=True)
    assert f'id="day-request-{item.id}"' in day
    assert f'id="day-action-{item.id}"' not in day  # not hers until she accepts
    assert "Asked by Dr Paul Lefèvre" in day

    answer = _answer(amina, jeanne_id, item, "accept", NOTE, back="day")

    assert answer.status_code == 303 and answer.headers["Location"].endswith("/day")
    db.expire_all()
    item = db.get(PlanItem, item.id)
    assert (item.delegation, item.delegation_note) == (Delegation.ACCEPTED, NOTE)
    history = db.exec(select(PlanRevision).where(PlanRevision.plan_item_id == item.id)
                      .order_by(PlanRevision.id)).all()
    assert [(r.change, r.account_id) for r in history] == [
        (ChangeKind.CREATED, persona(db, "lefevre").id),
        (ChangeKind.DELEGATION, persona(db, "amina").id)]
    assert history[-1].comment == NOTE and history[-1].after == {"delegation": "accepted"}
    assert [n.url for n in _told(db, "lefevre")] == [f"/carnet/{jeanne_id}/plan/{item.id}"]
    day = amina.get("/day").get_data(as_text=True)
    assert "You accepted this action." in day
    assert f'id="day-action-{item.id}"' in day and f'id="day-request-{item.id}"' not in day

    plan = signed_in("jeanne").get(f"/carnet/{jeanne_id}/plan").get_data(as_text=True)
    assert "Who: Amina Benali — accepted" in plan
    assert "Under the supervision of Dr Paul Lefèvre" in plan
    assert NOTE.replace("'", "&#39;") in plan
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/plan/{item.id}").get_data(
        as_text=True)
    assert "asked to do it: accepted" in page  # the history, in plain words


def test_declining_needs_a_reason(signed_in, db, jeanne_id):
    lefevre, amina = signed_in("lefevre"), signed_in("amina")
    item = _delegate(lefevre, db, jeanne_id, "amina")
    before = stored(db, CARNET_TABLES)

    answer = _answer(amina, jeanne_id, item, "decline", "   ", back="day")

    assert answer.status_code == 303
    assert stored(db, CARNET_TABLES) == before
    assert "Please say why you decline." in amina.get("/day").get_data(as_text=True)

    _answer(amina, jeanne_id, item, "decline", "Pas de passage prévu cette semaine")

    db.expire_all()
    assert db.get(PlanItem, item.id).delegation == Delegation.DECLINED
    plan = signed_in("jeanne").get(f"/carnet/{jeanne_id}/plan").get_data(as_text=True)
    assert "Who: Amina Benali — declined" in plan
    assert f'id="day-request-{item.id}"' not in amina.get("/day").get_data(as_text=True)


@pytest.mark.parametrize("who", ["lefevre", "claire", "jeanne"])
def test_only_the_one_asked_answers(signed_in, db, jeanne_id, who):
    item = _delegate(signed_in("lefevre"), db, jeanne_id, "amina")
    before = stored(db, CARNET_TABLES)

    answer = _answer(signed_in(who), jeanne_id, item, "accept", "Oui")

    assert answer.status_code in (403, 404)
    assert stored(db, CARNET_TABLES) == before


def test_an_answer_is_given_once(signed_in, db, jeanne_id):
    amina = signed_in("amina")
    item = _delegate(signed_in("lefevre"), db, jeanne_id, "amina")
    _answer(amina, jeanne_id, item, "accept")
    db.expire_all()
    item = db.get(PlanItem, item.id)
    before = stored(db, CARNET_TABLES)

    assert _answer(amina, jeanne_id, item, "decline", "Finalement non").status_code in (403,
                                                                                       404)
    assert stored(db, CARNET_TABLES) == before


def test_a_forged_answer_is_refused(signed_in, db, jeanne_id):
    item = _delegate(signed_in("lefevre"), db, jeanne_id, "amina")
    before = stored(db, CARNET_TABLES)

    assert _answer(signed_in("amina"), jeanne_id, item, "maybe").status_code == 400
    assert stored(db, CARNET_TABLES) == before


@pytest.mark.parametrize("to", ["lefevre", "jeanne"])
def test_ones_own_action_or_the_patients_is_no_request(signed_in, db, jeanne_id, to):
    item = _delegate(signed_in("lefevre"), db, jeanne_id, to)

    assert item.delegation is None and item.delegated_by_id is None


def test_putting_it_on_someone_else_asks_them_afresh(signed_in, db, jeanne_id):
    lefevre, amina = signed_in("lefevre"), signed_in("amina")
    item = _delegate(lefevre, db, jeanne_id, "amina")
    _answer(amina, jeanne_id, item, "accept", NOTE)
    page = lefevre.get(f"/carnet/{jeanne_id}/plan/{item.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)

    lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}", title=WEIGH, kind="action",
                 responsible_account_id=str(persona(db, "marc").id), version=version,
                 status="todo", due_date="", details="")

    db.expire_all()
    item = db.get(PlanItem, item.id)
    assert (item.responsible_account_id, item.delegation, item.delegation_note) == (
        persona(db, "marc").id, Delegation.ASKED, "")
