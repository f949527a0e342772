"""Inviting people: each invitation creates the account it is for and is shown once."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.models import (
    Account,
    CaregiverLink,
    CareTeamMember,
    ConsentEvent,
    Invitation,
    Patient,
    Professional,
    Role,
)

from .conftest import persona
from .passkey_actions import PasskeyActions


def _post(demo_actions, path: str, **data):
    token = demo_actions.csrf_token(path)
    return demo_actions.client.post(path, data={"csrf_token": token, **data},
                                    headers={"Accept-Language": "en"})


def _shown_link(demo_actions, response) -> str:
    page = demo_actions.client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<svg role="img"' in page  # the QR code
    return re.search(r'value="(http://localhost:5000/invite/[^"]+)"', page).group(1)


def test_dr_lefevre_opens_a_carnet_for_a_new_patient(demo_actions, db):
    demo_actions.sign_in("lefevre")
    response = _post(demo_actions, "/patients/new", first_name="Odette", last_name="Roche",
                     email="Odette.Roche@example.net", birth_date="1948-05-02",
                     conditions=["heart_failure", "copd"])
    assert response.status_code == 302
    link = _shown_link(demo_actions, response)
    odette = db.exec(select(Account).where(Account.email == "odette.roche@example.net")).one()
    assert odette.role == Role.PATIENT
    patient = db.exec(select(Patient).where(Patient.account_id == odette.id)).one()
    team = db.exec(select(CareTeamMember).where(CareTeamMember.patient_id == patient.id)).all()
    assert len(team) == 1
    assert patient.conditions == ["heart_failure", "copd"]  # her questionnaires
    invitation = db.exec(select(Invitation).where(Invitation.account_id == odette.id)).one()
    token = link.rsplit("/", 1)[1]
    assert token not in invitation.token_hash  # stored hashed
    page = demo_actions.client.get(f"/invite/{token}").get_data(as_text=True)
    assert "Odette Roche" in page


def test_the_link_is_shown_only_once(demo_actions):
    demo_actions.sign_in("lefevre")
    response = _post(demo_actions, "/patients/new", first_name="Odette", last_name="Roche",
                     email="odette.roche@example.net")
    _shown_link(demo_actions, response)
    again = demo_actions.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "/invite/" not in again


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_name": "", "last_name": "Roche", "email": "o.r@example.net"},
         "Please give a name."),
        ({"first_name": "Odette", "last_name": "Roche", "email": "not-an-email"},
         "does not look right"),
        ({"first_name": "Odette", "last_name": "Roche", "email": "jeanne.martin@example.org"},
         "already uses this e-mail"),
        ({"first_name": "O" * 101, "last_name": "Roche", "email": "o.r@example.net"},
         "At most 100 characters"),
        ({"first_name": "Odette", "last_name": "Roche", "email": "o.r@example.net",
          "birth_date": "2999-01-01"}, "cannot be in the future"),
        ({"first_name": "Odette", "last_name": "Roche", "email": "o.r@example.net",
          "phone": "<script>"}, "digits only"),
        ({"first_name": "Odette", "last_name": "Roche", "email": "o.r@example.net",
          "conditions": ["copd", "scurvy"]}, "Tick conditions from the list."),
    ],
)
def test_bad_input_gets_a_message_and_stores_nothing(demo_actions, db, data, message):
    demo_actions.sign_in("lefevre")
    before = len(db.exec(select(Account)).all())
    response = _post(demo_actions, "/patients/new", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert len(db.exec(select(Account)).all()) == before


def test_jeanne_invites_a_caregiver_who_sees_team_plan_and_appointments(demo_actions, db):
    demo_actions.sign_in("jeanne")
    response = _post(demo_actions, "/me/caregivers/invite", first_name="Paul",
                     last_name="Martin", email="paul.martin@example.net", relationship="mon fils",
                     sections=["team", "plan", "appointments"])
    _shown_link(demo_actions, response)
    paul = db.exec(select(Account).where(Account.email == "paul.martin@example.net")).one()
    assert paul.role == Role.CAREGIVER
    assert db.exec(select(CaregiverLink).where(
        CaregiverLink.caregiver_account_id == paul.id)).one().relationship == "mon fils"
    grant = db.exec(select(ConsentEvent).where(ConsentEvent.grantee_account_id == paul.id)).one()
    assert grant.scopes == ["team", "plan", "appointments"]


def test_a_professional_of_the_team_adds_a_new_professional(demo_actions, db):
    jeanne = db.exec(select(Patient).where(
        Patient.account_id == persona(db, "jeanne").id)).one()
    demo_actions.sign_in("amina")
    response = _post(demo_actions, f"/carnet/{jeanne.id}/team/invite", first_name="Hugo",
                     last_name="Faure", email="hugo.faure@example.net", profession="dietitian")
    _shown_link(demo_actions, response)
    hugo = db.exec(select(Account).where(Account.email == "hugo.faure@example.net")).one()
    assert hugo.role == Role.PROFESSIONAL


def test_an_existing_professional_joins_the_team_without_an_invitation(demo_actions, db):
    jeanne = db.exec(select(Patient).where(
        Patient.account_id == persona(db, "jeanne").id)).one()
    demo_actions.sign_in("amina")
    response = _post(demo_actions, f"/carnet/{jeanne.id}/team/invite", first_name="Lucas",
                     last_name="Moreau", email="lucas.moreau@example.org",
                     profession="social_worker")
    assert response.headers["Location"].endswith("/team")
    assert db.exec(select(Invitation)).all() == []


@pytest.mark.parametrize(("name", "status"), [("lucas", 404), ("claire", 404), ("jeanne", 200)])
def test_only_the_team_and_the_patient_add_to_the_team(demo_actions, db, name, status):
    jeanne = db.exec(select(Patient).where(
        Patient.account_id == persona(db, "jeanne").id)).one()
    demo_actions.sign_in(name)
    assert demo_actions.client.get(f"/carnet/{jeanne.id}/team/invite").status_code == status


@pytest.mark.parametrize(("name", "status"), [("nadia", 200), ("lefevre", 404),
                                              ("jeanne", 404), ("francoise", 404)])
def test_the_coordinator_invites_professionals(demo_actions, name, status):
    demo_actions.sign_in(name)
    assert demo_actions.client.get("/professionals/new").status_code == status


def test_the_invite_command_prints_a_link_for_an_existing_account(app, demo):
    result = app.test_cli_runner().invoke(args=["invite", "jeanne.martin@example.org"])
    assert result.exit_code == 0, result.output
    assert re.match(r"http://localhost:5000/invite/\S+$", result.output.strip())
    unknown = app.test_cli_runner().invoke(args=["invite", "nobody@example.org"])
    assert unknown.exit_code != 0 and "No account" in unknown.output


def test_a_new_territory_opens_its_first_accounts_from_the_command_line(app, client, db):
    """No one is there to invite the first coordinator: ``invite --professional`` opens her
    account and prints her link; she registers a passkey with it and invites the others."""
    cli = app.test_cli_runner()
    result = cli.invoke(args=["invite", "Marie.Premiere@example.org", "--professional",
                              "coordinator", "--first-name", "Marie", "--last-name", "Première",
                              "--structure", "DAC du Val"])
    assert result.exit_code == 0, result.output
    token = re.fullmatch(r"http://localhost:5000/invite/(\S+)", result.output.strip()).group(1)
    marie = db.exec(select(Account).where(Account.email == "marie.premiere@example.org")).one()
    assert (marie.role, marie.full_name) == (Role.PROFESSIONAL, "Marie Première")
    assert db.exec(select(Professional).where(Professional.account_id == marie.id)).one() \
        .structure == "DAC du Val"

    browser = PasskeyActions(app, client)
    assert browser.register(token).status_code == 200
    assert browser.signed_in_account_id() == marie.id
    assert client.get("/professionals/new").status_code == 200

    editor = cli.invoke(args=["invite", "odette.premiere@example.org", "--editor",
                              "--first-name", "Odette", "--last-name", "Première"])
    assert editor.exit_code == 0, editor.output
    assert db.exec(select(Account).where(
        Account.email == "odette.premiere@example.org")).one().role == Role.EDITOR

    # Refused in words, and nothing opened twice or half-opened.
    again = cli.invoke(args=["invite", "marie.premiere@example.org", "--editor",
                             "--first-name", "M", "--last-name", "P"])
    nameless = cli.invoke(args=["invite", "x.premier@example.org", "--professional", "gp"])
    both = cli.invoke(args=["invite", "y.premier@example.org", "--professional", "gp", "--editor",
                            "--first-name", "Y", "--last-name", "Y"])
    assert "already uses" in again.output and "--first-name" in nameless.output
    assert "not both" in both.output
    assert 0 not in {again.exit_code, nameless.exit_code, both.exit_code}
    assert not db.exec(select(Account).where(
        Account.email.in_(["x.premier@example.org", "y.premier@example.org"]))).first()
