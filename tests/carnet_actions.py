"""Helpers shared by the tests of the carnet's pages (plan, appointments, notebook)."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from sqlmodel import select

from app.models import Account, CareTeamMember, Patient, Professional, Role, metadata

from .conftest import DemoActions, persona


class Browser:
    """A test client signed in as one persona, asking for English pages."""

    def __init__(self, app, engine, name: str):
        self.actions = DemoActions(app.test_client(), engine)
        self.actions.sign_in(name)
        self.actions.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.token = self.actions.csrf_token()

    def get(self, path: str):
        return self.actions.client.get(path)

    def post(self, path: str, **data):
        return self.actions.client.post(path, data={"csrf_token": self.token, **data})


def carnet_id(db, name: str) -> int:
    """The id of a persona's carnet ("jeanne")."""
    return db.exec(select(Patient.id).where(Patient.account_id == persona(db, name).id)).one()


def patient_in_care_of(db, professional: Professional, first_name: str,
                       last_name: str) -> Patient:
    """A new patient, with a carnet, in ``professional``'s care team (committed)."""
    account = Account(email=f"patient-{secrets.token_hex(6)}@example.org",
                      first_name=first_name, last_name=last_name, role=Role.PATIENT,
                      user_handle=secrets.token_hex(16))
    db.add(account)
    db.flush()
    patient = Patient(account_id=account.id)
    db.add(patient)
    db.flush()
    db.add(CareTeamMember(patient_id=patient.id, professional_id=professional.id))
    db.commit()
    return patient


def stored(db, tables: tuple[str, ...]) -> dict[str, list]:
    """Every row of ``tables``: what a refused change must leave as it was."""
    with db.get_bind().connect() as connection:
        return {name: connection.execute(sa.select(table).order_by(*table.primary_key)).all()
                for name, table in metadata.tables.items() if name in tables}


def field_error(page: str, error_id: str) -> str:
    """The message shown next to a field, which must point to it and be marked invalid."""
    assert f'aria-invalid="true" aria-describedby="{error_id}"' in page, error_id
    return re.search(rf'<p id="{error_id}" class="field-error">([^<]*)</p>', page).group(1)
