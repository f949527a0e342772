"""The carnet as an HL7 FHIR Bundle: Jeanne's whole carnet for her, what the policy lets
through for Dr Lefèvre (audited as an export), every resource valid for the FHIR models
(fhir.resources, R4B), every reference inside the Bundle, the measures with their LOINC
codes and UCUM units (a golden file)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import select

from app.models import (
    Account,
    AuditAction,
    AuditEvent,
    ConsentKind,
    Patient,
    Role,
    SymptomReport,
)
from app.types import utcnow

from .symptom_actions import decide, questionnaire

GOLDEN = Path(__file__).parent / "golden" / "fhir_observations.json"


def _export(client, patient_id: int) -> dict:
    answer = client.get(f"/carnet/{patient_id}/export.fhir.json")
    assert answer.status_code == 200, answer.status_code
    assert answer.mimetype == "application/fhir+json"
    assert re.fullmatch(r'attachment; filename="carnet-\d{4}-\d\d-\d\d\.fhir\.json"',
                        answer.headers["Content-Disposition"])
    return json.loads(answer.get_data(as_text=True))


def _references(value) -> list[str]:
    """Every reference the resource makes, however deep."""
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for inner in value.values() for ref in _references(inner)]
    if isinstance(value, list):
        return [ref for inner in value for ref in _references(inner)]
    return []


def _valid(bundle: dict) -> Counter:
    """Checked by the FHIR models, each resource and the Bundle; every reference resolves
    inside the Bundle. The count of each resource type."""
    Bundle.model_validate(bundle)
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    assert len(urls) == len(bundle["entry"])
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        assert set(_references(resource)) <= urls, resource["resourceType"]
    canonicals = {f"{e['resource']['url']}|{e['resource']['version']}"
                  for e in bundle["entry"] if e["resource"]["resourceType"] == "Questionnaire"}
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "QuestionnaireResponse":
            assert entry["resource"]["questionnaire"] in canonicals
    return Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])


def test_jeannes_export_holds_her_whole_carnet_valid_and_self_contained(signed_in, db,
                                                                       jeanne_id):
    signed_in("marc").get(f"/carnet/{jeanne_id}/plan")  # a read "Who saw my carnet" shows
    jeanne = signed_in("jeanne")
    bundle = _export(jeanne, jeanne_id)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    kinds = _valid(bundle)
    for kind in ("Patient", "CareTeam", "CarePlan", "Goal", "Appointment", "Questionnaire",
                 "QuestionnaireResponse", "Observation", "Communication", "Consent",
                 "AuditEvent", "Practitioner"):
        assert kinds[kind] >= 1, kind
    reports = db.exec(select(SymptomReport).where(SymptomReport.patient_id == jeanne_id)).all()
    assert kinds["QuestionnaireResponse"] == len(reports)
    team = next(e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "CareTeam")
    assert any(role.get("text") == "attending" for member in team["participant"]
               for role in member["role"])  # the médecin traitant is marked
    # The same rows give the same ids in every export.
    again = _export(jeanne, jeanne_id)
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in bundle["entry"]]
    # Her own download is not a line of "Who saw my carnet".
    assert db.exec(select(AuditEvent).where(AuditEvent.patient_id == jeanne_id,
                                            AuditEvent.action == AuditAction.EXPORT)).all() == []


def test_dr_lefevre_exports_only_what_jeanne_shares_and_it_is_written(signed_in, db,
                                                                     jeanne_id):
    decide(db, "jeanne", "lefevre", ConsentKind.OPPOSE, "symptoms")
    bundle = _export(signed_in("lefevre"), jeanne_id)
    kinds = _valid(bundle)
    assert kinds["CarePlan"] == 1 and kinds["Communication"] >= 1
    for kind in ("QuestionnaireResponse", "Observation", "Questionnaire", "Consent",
                 "AuditEvent"):
        assert kinds[kind] == 0, kind
    lefevre = db.exec(select(Account).where(Account.role == Role.PROFESSIONAL,
                                            Account.last_name == "Lefèvre")).one()
    exported = {(event.section, event.object_type) for event in db.exec(
        select(AuditEvent).where(AuditEvent.patient_id == jeanne_id,
                                 AuditEvent.actor_account_id == lefevre.id,
                                 AuditEvent.action == AuditAction.EXPORT))}
    assert exported == {("team", "fhir"), ("plan", "fhir"), ("appointments", "fhir"),
                        ("notes", "fhir")}


def test_someone_outside_the_carnet_gets_nothing(signed_in, jeanne_id):
    assert signed_in("karim").get(f"/carnet/{jeanne_id}/export.fhir.json").status_code == 404
    assert signed_in("jeanne").get("/carnet/2147483648/export.fhir.json").status_code == 404


def _placeholders(text: str) -> str:
    """Ids made from row ids differ from one database to the next: numbered in order."""
    seen: dict[str, str] = {}
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                  lambda found: seen.setdefault(found.group(0), f"<id {len(seen) + 1}>"), text)


def test_the_measures_carry_loinc_codes_and_ucum_units(app, db, jeanne_id):
    """A small carnet with one report of each questionnaire that measures something: its
    Observations as the golden file has them (set CARNET_GOLDEN=write to write it again)."""
    import os

    from app.fhir.bundle import build

    account = Account(email="golden@example.org", first_name="Lise", last_name="Or",
                      role=Role.PATIENT, user_handle="golden")
    db.add(account)
    db.flush()
    patient = Patient(account_id=account.id)
    db.add(patient)
    db.flush()
    at = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    for code, answers in (("heart_failure", {"weight": 72.6, "breathlessness": 3}),
                          ("copd", {"spo2": 93, "temperature": 38.6}),
                          ("diabetes_t2", {"glycaemia": 1.32, "hypoglycaemia": 0}),
                          ("cancer_follow_up", {"temperature": 37.2})):
        db.add(SymptomReport(patient_id=patient.id, questionnaire_id=questionnaire(
            db, code, "fr").id, client_id=f"golden-{code}", content_hash="x",
            answers=answers, reported_by_account_id=account.id, reported_at=at))
    db.flush()  # seen by build in this session; rolled back below, so no other test meets
    # a patient with reports nobody has seen
    with app.test_request_context("http://carnet.example.org/"):
        bundle = build(db, patient, lambda section: True, owner=False,
                       namespace="http://carnet.example.org/", now=utcnow())
    observations = [entry["resource"] for entry in bundle["entry"]
                    if entry["resource"]["resourceType"] == "Observation"]
    text = _placeholders(json.dumps(observations, ensure_ascii=False, indent=1))
    if os.environ.get("CARNET_GOLDEN") == "write":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text + "\n")
    db.rollback()
    assert text + "\n" == GOLDEN.read_text()
    _valid(bundle)


def test_the_download_is_offered_on_me_and_on_the_carnet(signed_in, jeanne_id):
    href = f'href="/carnet/{jeanne_id}/export.fhir.json" download'
    assert href in signed_in("jeanne").get("/me/").get_data(as_text=True)
    assert href in signed_in("lefevre").get(f"/carnet/{jeanne_id}/").get_data(as_text=True)
