"""Opening a carnet: every view of it starts here, and the access policy decides."""

from __future__ import annotations

from flask import abort, g

from .. import policy
from ..db import get_session
from ..models import Account, Patient


def open_carnet(patient_id: int, section: str | None = None, action: str = policy.READ) -> Patient:
    """The carnet ``patient_id``, set as the one being viewed, after the policy's check.

    Anyone with no access at all gets 404 (audited); with ``section``, the check is for
    that section and ``action``.
    """
    db = get_session()
    patient = db.get(Patient, patient_id)
    if patient is None:
        abort(404)
    if not policy.permissions(db, g.account, patient):
        policy.check(db, g.account, policy.READ, patient, section or "team")  # audited, 404
    if section is not None:
        policy.check(db, g.account, action, patient, section)
    g.carnet = patient
    g.carnet_owner = db.get(Account, patient.account_id)
    return patient


def may_read(patient: Patient, section: str) -> bool:
    """Whether ``section`` is shared with the viewer; a shared section's read is audited."""
    db = get_session()
    if not policy.can(db, g.account, policy.READ, patient, section):
        return False
    policy.check(db, g.account, policy.READ, patient, section)
    return True
