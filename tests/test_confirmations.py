"""What cannot be undone in one tap asks first: removing a plan item (and what hangs under
it), cancelling an appointment, stopping all sharing with a close one.

The question is a page of its own (GET, so it works without JavaScript and changes
nothing); the change is a POST that carries ``confirm``, which only the red button of that
page sends. A POST without it changes nothing and goes to the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlmodel import select

from app.models import Appointment, AppointmentStatus, ConsentEvent, PlanItem

from .carnet_actions import Browser, field_error, stored
from .conftest import persona
from .test_appointments import WITH_AMINA, _upcoming

# Tables none of the questions may change.
CHANGED_BY_THE_ANSWER = ("plan_item", "plan_revision", "appointment", "appointment_revision",
                         "consent_event", "notification")
GOAL = "Éviter une nouvelle hospitalisation"  # a goal of Jeanne's, with five actions under it


def _in_french(browser: Browser) -> Browser:
    browser.actions.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return browser


def _goal(db) -> PlanItem:
    db.expire_all()
    return db.exec(select(PlanItem).where(PlanItem.title == GOAL)).one()


@dataclass
class Question:
    """A destructive action: who asks, where, the form of its POST, and the question."""

    who: str
    path: str  # the action's address; its GET asks the question
    query: str  # what the GET needs besides (the person, for "stop sharing")
    form: dict
    question: str  # the French question, as the page's h1 says it


@pytest.fixture
def questions(db, jeanne_id) -> dict[str, Question]:
    goal = _goal(db)
    appointment = _upcoming(db, WITH_AMINA)
    claire = persona(db, "claire")
    return {
        "remove a goal": Question(
            "lefevre", f"/carnet/{jeanne_id}/plan/{goal.id}/delete", "",
            {"version": str(goal.version)},
            f"Retirer « {GOAL} » du plan de soins ?"),
        "cancel an appointment": Question(
            "lefevre", f"/carnet/{jeanne_id}/appointments/{appointment.id}/cancel", "",
            {"version": str(appointment.version), "reason": "Amina est malade."},
            "Annuler ce rendez-vous ?"),
        "stop sharing with Claire": Question(
            "jeanne", f"/carnet/{jeanne_id}/consent/stop", f"?grantee={claire.id}",
            {"grantee": str(claire.id)},
            "Ne plus rien partager avec Claire Martin ?"),
    }


ACTIONS = ["remove a goal", "cancel an appointment", "stop sharing with Claire"]


@pytest.mark.parametrize("action", ACTIONS)
def test_the_question_is_asked_in_french_and_changes_nothing(signed_in, db, questions, action):
    asked = questions[action]
    browser = _in_french(signed_in(asked.who))
    before = stored(db, CHANGED_BY_THE_ANSWER)

    response = browser.get(asked.path + asked.query)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'<h1 class="page-title">([^<]*)</h1>', page).group(1) == asked.question
    # The red button is the only way to send "confirm"; the way back is a plain link.
    assert re.search(rf'<form [^>]*method="post" action="{re.escape(asked.path)}"', page)
    assert '<button class="button button--danger" type="submit" name="confirm" value="1">' in page
    assert '<a class="button button--link" href="' in page
    assert stored(db, CHANGED_BY_THE_ANSWER) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_a_post_without_confirm_changes_nothing_and_asks(signed_in, db, questions, action):
    asked = questions[action]
    before = stored(db, CHANGED_BY_THE_ANSWER)

    response = signed_in(asked.who).post(asked.path, **asked.form)

    assert response.status_code == 303
    assert response.location == asked.path + asked.query
    assert stored(db, CHANGED_BY_THE_ANSWER) == before


def test_the_confirmed_removal_takes_the_goal_and_its_actions_out_of_the_plan(
    signed_in, db, questions, jeanne_id
):
    asked = questions["remove a goal"]
    children = db.exec(select(PlanItem.title).where(PlanItem.parent_id == _goal(db).id)).all()
    lefevre = _in_french(signed_in("lefevre"))
    page = lefevre.get(asked.path).get_data(as_text=True)
    assert "Ce qui est rangé dessous quitte aussi le plan :" in page
    assert all(title in page for title in children)  # what goes with it is named

    response = lefevre.post(asked.path, **asked.form, confirm="1")

    assert response.status_code == 302
    assert response.location == f"/carnet/{jeanne_id}/plan"
    assert _goal(db).archived_at is not None
    plan = lefevre.get(f"/carnet/{jeanne_id}/plan").get_data(as_text=True)
    assert not [title for title in children if title in plan]


def test_a_removal_confirmed_after_someone_changed_the_goal_asks_again(
    signed_in, db, questions, jeanne_id
):
    asked = questions["remove a goal"]
    goal = _goal(db)
    amina = signed_in("amina")
    amina.post(f"/carnet/{jeanne_id}/plan/{goal.id}", title=GOAL + " cet hiver", details="",
               version=str(goal.version))
    before = stored(db, CHANGED_BY_THE_ANSWER)

    response = _in_french(signed_in("lefevre")).post(asked.path, **asked.form, confirm="1")

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Amina Benali a modifié ceci entre-temps." in page
    assert f"Retirer « {GOAL} cet hiver » du plan de soins ?" in page
    assert f'name="version" value="{goal.version + 1}"' in page  # to confirm what is shown
    assert stored(db, CHANGED_BY_THE_ANSWER) == before


def test_the_confirmed_cancellation_cancels_with_its_reason(signed_in, db, questions):
    asked = questions["cancel an appointment"]

    response = signed_in("lefevre").post(asked.path, **asked.form, confirm="1")

    assert response.status_code == 302
    appointment = db.get(Appointment, _appointment_id(asked))
    db.refresh(appointment)
    assert appointment.status == AppointmentStatus.CANCELLED


def test_a_cancellation_with_too_long_a_reason_shows_the_question_again(
    signed_in, db, questions
):
    asked = questions["cancel an appointment"]
    before = stored(db, CHANGED_BY_THE_ANSWER)

    response = _in_french(signed_in("lefevre")).post(
        asked.path, **{**asked.form, "reason": "x" * 501}, confirm="1")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Annuler ce rendez-vous ?" in page
    assert field_error(page, "reason-error")
    assert stored(db, CHANGED_BY_THE_ANSWER) == before


def test_the_confirmed_stop_shares_nothing_more_with_claire(signed_in, db, questions,
                                                            jeanne_id):
    asked = questions["stop sharing with Claire"]

    response = signed_in("jeanne").post(asked.path, **asked.form, confirm="1")

    assert response.status_code == 302
    assert signed_in("claire").get(f"/carnet/{jeanne_id}/plan").status_code == 404
    latest = db.exec(select(ConsentEvent).order_by(ConsentEvent.id.desc())).first()
    assert latest.grantee_account_id == persona(db, "claire").id


def test_stop_sharing_without_a_person_goes_back_to_the_list(signed_in, jeanne_id):
    response = signed_in("jeanne").get(f"/carnet/{jeanne_id}/consent/stop")
    assert response.status_code == 302
    assert response.location == f"/carnet/{jeanne_id}/consent"


@pytest.mark.parametrize("who", ["lefevre", "claire", "karim"])
def test_only_jeanne_is_asked_whether_to_stop_sharing(signed_in, questions, who):
    asked = questions["stop sharing with Claire"]
    assert signed_in(who).get(asked.path + asked.query).status_code == 404


def test_the_care_team_is_not_stopped_in_one_go(signed_in, db, jeanne_id):
    lefevre = persona(db, "lefevre")
    response = signed_in("jeanne").get(f"/carnet/{jeanne_id}/consent/stop?grantee={lefevre.id}")
    assert response.status_code == 404


@pytest.mark.parametrize(("who", "page", "action"), [
    ("lefevre", "/plan/{goal}/edit", "remove a goal"),
    ("lefevre", "/appointments/{appointment}", "cancel an appointment"),
    ("jeanne", "/consent", "stop sharing with Claire"),
])
def test_the_pages_lead_to_the_question_not_to_the_change(
    signed_in, db, questions, jeanne_id, who, page, action
):
    asked = questions[action]
    path = page.format(goal=_goal(db).id, appointment=_appointment_id(asked))
    shown = signed_in(who).get(f"/carnet/{jeanne_id}{path}").get_data(as_text=True)
    link = (asked.path + asked.query).replace("&", "&amp;")
    assert f'<a class="button" href="{link}">' in shown
    assert not re.search(rf'<form [^>]*action="{re.escape(asked.path)}"', shown)
    assert 'name="confirm"' not in shown


def _appointment_id(asked: Question) -> int:
    found = re.search(r"/appointments/(\d+)/", asked.path)
    return int(found.group(1)) if found else 0
