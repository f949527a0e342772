"""A carnet as an HL7 FHIR R4 ``Bundle`` (type ``collection``, JSON): what the GP's, the
nurse's or the hospital's software can read, and the patient's right to her data (GDPR
art. 20). Plain dictionaries, checked against the FHIR models (``fhir.resources``) by the
tests; the mapping of each resource is in docs/fhir.md.

Only the sections the reader may read are put in (the access policy decides, as for every
page); each is read with one query, whatever the carnet's length. Every resource has a
stable id — a UUID made from the row it comes from — and every reference is to a resource
of the same Bundle (``urn:uuid:…``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ..models import (
    Account,
    ActionStatus,
    Appointment,
    AppointmentStatus,
    AuditEvent,
    CaregiverLink,
    CareTeamMember,
    ConsentEvent,
    ConsentKind,
    Note,
    Patient,
    PlanItem,
    PlanItemKind,
    Professional,
    Questionnaire,
    Role,
    SymptomReport,
    TeamRole,
)

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
# The measures of the demo questionnaires that have a LOINC code and a UCUM unit, by
# (questionnaire, item). Any other number is an Observation with its words only.
MEASURES: dict[tuple[str, str], tuple[str, str, str, str]] = {
    # (LOINC code, its display, UCUM code, unit as written)
    ("heart_failure", "weight"): ("29463-7", "Body weight", "kg", "kg"),
    ("copd", "spo2"): ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry",
                       "%", "%"),
    ("copd", "temperature"): ("8310-5", "Body temperature", "Cel", "°C"),
    ("cancer_follow_up", "temperature"): ("8310-5", "Body temperature", "Cel", "°C"),
    ("diabetes_t2", "glycaemia"): ("2339-0", "Glucose [Mass/volume] in Blood", "g/L", "g/L"),
}
VITAL_SIGNS = {"29463-7", "59408-5", "8310-5"}
ITEM_TYPES = {"scale": "integer", "number": "decimal", "yes_no": "boolean",
              "choice": "choice", "text": "text"}
ACTIVITY_STATUS = {ActionStatus.TODO: "not-started", ActionStatus.IN_PROGRESS: "in-progress",
                   ActionStatus.DONE: "completed"}
AUDIT_ACTIONS = {"create": "C", "read": "R", "update": "U", "delete": "D", "export": "R"}


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _day(value: date) -> str:
    return value.isoformat()


class BundleMaker:
    """One export: its resources, each once, by the row it comes from."""

    def __init__(self, namespace: str) -> None:
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, namespace)
        self.entries: dict[str, dict] = {}

    def ref(self, kind: str, row_id: Any) -> str:
        return f"urn:uuid:{uuid.uuid5(self.namespace, f'{kind}/{row_id}')}"

    def add(self, kind: str, row_id: Any, resource: dict) -> str:
        url = self.ref(kind, row_id)
        if url not in self.entries:
            self.entries[url] = {"resourceType": kind, "id": url.removeprefix("urn:uuid:"),
                                 **resource}
        return url

    def bundle(self, now: datetime) -> dict:
        return {"resourceType": "Bundle", "type": "collection", "timestamp": _instant(now),
                "entry": [{"fullUrl": url, "resource": resource}
                          for url, resource in self.entries.items()]}

    # People -----------------------------------------------------------------------------

    def person(self, account: Account, professional: Professional | None = None,
               patient_url: str = "") -> str:
        """An account as the Bundle names it: a Practitioner (a professional, an editor…),
        a RelatedPerson (a caregiver) or the Patient herself."""
        name = [{"family": account.last_name, "given": [account.first_name],
                 **({"prefix": [account.title]} if account.title else {})}]
        if account.role == Role.PATIENT and patient_url:
            return patient_url
        if account.role == Role.CAREGIVER and patient_url:
            return self.add("RelatedPerson", account.id, {"patient": {"reference": patient_url},
                                                          "name": name})
        resource: dict[str, Any] = {"name": name}
        if professional is not None and professional.rpps:
            resource["identifier"] = [{"system": "urn:oid:1.2.250.1.71.4.2.1",
                                       "value": professional.rpps}]  # RPPS (ANS)
        if professional is not None:
            resource["qualification"] = [{"code": {"text": professional.profession.value}}]
        return self.add("Practitioner", account.id, resource)


def build(db: Session, patient: Patient, may_read: Callable[[str], bool], *, owner: bool,
          namespace: str, now: datetime) -> dict:
    """The carnet's Bundle with the sections ``may_read`` lets through; the consent ledger
    and "Who saw my carnet" for its owner only."""
    maker = BundleMaker(namespace)
    people = _people(db, patient, owner)
    account = people[patient.account_id][0]
    patient_url = maker.add("Patient", patient.id, {
        "identifier": [{"system": "urn:carnet:patient", "value": str(patient.id)}],
        "name": [{"family": account.last_name, "given": [account.first_name]}],
        **({"birthDate": _day(patient.birth_date)} if patient.birth_date else {}),
    })

    def who(account_id: int | None) -> dict | None:
        if account_id is None or account_id not in people:
            return None
        person, professional = people[account_id]
        return {"reference": maker.person(person, professional, patient_url),
                "display": person.full_name}

    if may_read("team"):
        _care_team(db, maker, patient, patient_url, who)
    if may_read("plan"):
        _care_plan(db, maker, patient, patient_url, who)
    if may_read("appointments"):
        _appointments(db, maker, patient, patient_url, who)
    if may_read("symptoms"):
        _reports(db, maker, patient, patient_url, who)
    if may_read("notes"):
        _notes(db, maker, patient, patient_url, who)
    if owner:
        _consents(db, maker, patient, patient_url, who)
        _audit(db, maker, patient, patient_url, who)
    return maker.bundle(now)


def _people(db: Session, patient: Patient, owner: bool
            ) -> dict[int, tuple[Account, Professional | None]]:
    """Every account the export names — the patient, her team, her caregivers, the
    professionals of her appointments, the authors of her notes, those responsible for her
    actions; for her alone, those her decisions and "Who saw my carnet" name — in one
    query."""
    of_carnet = patient.id
    named = [
        select(sa.literal(patient.account_id)),
        select(Professional.account_id).join(
            CareTeamMember, CareTeamMember.professional_id == Professional.id)
        .where(CareTeamMember.patient_id == of_carnet),
        select(Professional.account_id).join(
            Appointment, Appointment.professional_id == Professional.id)
        .where(Appointment.patient_id == of_carnet),
        select(CaregiverLink.caregiver_account_id).where(CaregiverLink.patient_id == of_carnet),
        select(Note.author_account_id).where(Note.patient_id == of_carnet),
        select(PlanItem.responsible_account_id).where(PlanItem.patient_id == of_carnet),
    ]
    if owner:
        named += [select(ConsentEvent.grantee_account_id)
                  .where(ConsentEvent.patient_id == of_carnet),
                  select(AuditEvent.actor_account_id).where(AuditEvent.patient_id == of_carnet)]
    rows = db.exec(select(Account, Professional)
                   .outerjoin(Professional, Professional.account_id == Account.id)
                   .where(col(Account.id).in_(sa.union(*named)))).all()
    return {account.id: (account, professional) for account, professional in rows}


def _care_team(db, maker: BundleMaker, patient, patient_url, who) -> None:
    rows = db.exec(select(CareTeamMember, Professional)
                   .join(Professional, Professional.id == CareTeamMember.professional_id)
                   .where(CareTeamMember.patient_id == patient.id,
                          col(CareTeamMember.ended_at).is_(None))
                   .order_by(CareTeamMember.position, CareTeamMember.id)).all()
    participants = []
    for member, professional in rows:
        roles = [{"text": professional.profession.value}]
        if member.team_role == TeamRole.ATTENDING:  # médecin traitant
            roles.append({"coding": [{"system": "http://snomed.info/sct", "code": "62247001",
                                      "display": "General practitioner"}],
                          "text": "attending"})
        elif member.team_role == TeamRole.REFERENT:  # the coordinator of the care pathway
            roles.append({"text": "referent"})
        participants.append({"role": roles, "member": who(professional.account_id)})
    maker.add("CareTeam", patient.id, {"status": "active", "subject": {"reference": patient_url},
                                       "name": "Care team", "participant": participants})


def _care_plan(db, maker: BundleMaker, patient, patient_url, who) -> None:
    items = db.exec(select(PlanItem).where(PlanItem.patient_id == patient.id,
                                           col(PlanItem.archived_at).is_(None))
                    .order_by(PlanItem.position, PlanItem.id)).all()
    addresses, goals, activities = [], [], []
    for item in items:
        if item.kind == PlanItemKind.PROBLEM:
            addresses.append({"reference": maker.add("Condition", item.id, {
                "clinicalStatus": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active"}]},
                "code": {"text": item.title}, "subject": {"reference": patient_url},
                **({"note": [{"text": item.details}]} if item.details else {})})})
        elif item.kind == PlanItemKind.GOAL:
            goals.append({"reference": maker.add("Goal", item.id, {
                "lifecycleStatus": "active", "description": {"text": item.title},
                "subject": {"reference": patient_url},
                **({"note": [{"text": item.details}]} if item.details else {})})})
        else:
            detail: dict[str, Any] = {"status": ACTIVITY_STATUS[item.status],
                                      "description": item.title}
            if item.due_date:
                detail["scheduledPeriod"] = {"end": _day(item.due_date)}
            if (performer := who(item.responsible_account_id)) is not None:
                detail["performer"] = [performer]
            activities.append({"detail": detail})
    maker.add("CarePlan", patient.id, {
        "status": "active", "intent": "plan", "subject": {"reference": patient_url},
        "title": "Plan personnalisé de coordination en santé", "addresses": addresses,
        "goal": goals, "activity": activities})


def _appointments(db, maker: BundleMaker, patient, patient_url, who) -> None:
    rows = db.exec(select(Appointment, Professional)
                   .outerjoin(Professional, Professional.id == Appointment.professional_id)
                   .where(Appointment.patient_id == patient.id)
                   .order_by(Appointment.starts_at, Appointment.id)).all()
    for appointment, professional in rows:
        participants = [{"actor": {"reference": patient_url}, "status": "accepted"}]
        if professional is not None and (actor := who(professional.account_id)) is not None:
            participants.append({"actor": actor, "status": "accepted"})
        maker.add("Appointment", appointment.id, {
            "status": ("cancelled" if appointment.status == AppointmentStatus.CANCELLED
                       else "booked"),
            "description": appointment.title, "start": _instant(appointment.starts_at),
            "end": _instant(appointment.ends_at),
            **({"comment": appointment.details} if appointment.details else {}),
            "participant": participants})


def _questionnaire(maker: BundleMaker, questionnaire: Questionnaire) -> str:
    """A version of a questionnaire, as the reports that answered it cite it."""
    items = []
    for item in questionnaire.definition["items"]:
        entry: dict[str, Any] = {"linkId": item["key"], "text": item["label"],
                                 "type": ITEM_TYPES[item["kind"]],
                                 "required": bool(item.get("required"))}
        if item["kind"] == "choice":
            entry["answerOption"] = [{"valueCoding": {"code": choice["value"],
                                                      "display": choice["label"]}}
                                     for choice in item["choices"]]
        items.append(entry)
    return maker.add("Questionnaire", questionnaire.id, {
        "url": _canonical(questionnaire), "version": str(questionnaire.version),
        "title": questionnaire.title, "status": "active",
        "language": questionnaire.language, "item": items})


def _canonical(questionnaire: Questionnaire) -> str:
    return f"urn:carnet:questionnaire:{questionnaire.code}:{questionnaire.language}"


def _answer(kind: str, value: Any) -> dict:
    if kind == "yes_no":
        return {"valueBoolean": bool(value)}
    if kind == "scale":
        return {"valueInteger": int(value)}
    if kind == "number":
        return {"valueDecimal": value}
    if kind == "choice":
        return {"valueCoding": {"code": str(value)}}
    return {"valueString": str(value)}


def _reports(db, maker: BundleMaker, patient, patient_url, who) -> None:
    rows = db.exec(select(SymptomReport, Questionnaire)
                   .join(Questionnaire, Questionnaire.id == SymptomReport.questionnaire_id)
                   .where(SymptomReport.patient_id == patient.id)
                   .order_by(SymptomReport.reported_at, SymptomReport.id)).all()
    for report, questionnaire in rows:
        _questionnaire(maker, questionnaire)  # cited below by its canonical URL
        kinds = {item["key"]: item for item in questionnaire.definition["items"]}
        answers = [{"linkId": key, "answer": [_answer(kinds[key]["kind"], value)]}
                   for key, value in report.answers.items()
                   if key in kinds and value not in (None, "")]
        if report.note:
            answers.append({"linkId": "note", "text": "Note", "answer": [
                {"valueString": report.note}]})
        response_url = maker.add("QuestionnaireResponse", report.id, {
            "questionnaire": f"{_canonical(questionnaire)}|{questionnaire.version}",
            "status": "completed", "subject": {"reference": patient_url},
            "authored": _instant(report.reported_at),
            **({"author": author} if (author := who(report.reported_by_account_id)) else {}),
            "item": answers})
        for key, value in report.answers.items():
            item = kinds.get(key)
            if item is None or item["kind"] != "number" or value in (None, ""):
                continue
            maker.add("Observation", f"{report.id}/{key}", _observation(
                questionnaire.code, item, value, report.reported_at, patient_url,
                response_url))


def _observation(code: str, item: dict, value: Any, at: datetime, patient_url: str,
                 response_url: str) -> dict:
    measure = MEASURES.get((code, item["key"]))
    if measure is not None:
        loinc, display, ucum, unit = measure
        concept = {"coding": [{"system": LOINC, "code": loinc, "display": display}],
                   "text": item["label"]}
        quantity = {"value": value, "unit": unit, "system": UCUM, "code": ucum}
    else:
        concept = {"text": item["label"]}
        quantity = {"value": value, "unit": item.get("unit", "")}
    observation: dict[str, Any] = {"status": "final", "code": concept,
                                   "subject": {"reference": patient_url},
                                   "effectiveDateTime": _instant(at), "valueQuantity": quantity,
                                   "derivedFrom": [{"reference": response_url}]}
    if measure is not None and measure[0] in VITAL_SIGNS:
        observation["category"] = [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs"}]}]
    return observation


def _notes(db, maker: BundleMaker, patient, patient_url, who) -> None:
    notes = db.exec(select(Note).where(Note.patient_id == patient.id)
                    .order_by(Note.created_at, Note.id)).all()
    for note in notes:
        maker.add("Communication", note.id, {
            "status": "completed", "subject": {"reference": patient_url},
            "sent": _instant(note.created_at),
            **({"sender": sender} if (sender := who(note.author_account_id)) else {}),
            "payload": [{"contentString": note.body}], "language": note.language})


CONSENT_CATEGORY = {"coding": [{"system": LOINC, "code": "59284-0",
                                "display": "Patient Consent"}]}
CONSENT_SCOPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                             "code": "patient-privacy"}]}


def _consents(db, maker: BundleMaker, patient, patient_url, who) -> None:
    """The consent ledger, one Consent per decision, in order (each replaces, for its
    person and parts, what came before)."""
    events = db.exec(select(ConsentEvent).where(ConsentEvent.patient_id == patient.id)
                     .order_by(ConsentEvent.created_at, ConsentEvent.id)).all()
    for event in events:
        permit = event.kind in (ConsentKind.GRANT, ConsentKind.LIFT_OPPOSITION)
        provision: dict[str, Any] = {
            "type": "permit" if permit else "deny",
            "code": [{"text": scope} for scope in event.scopes],
        }
        if (actor := who(event.grantee_account_id)) is not None:
            provision["actor"] = [{"role": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                "code": "IRCP"}]}, "reference": actor}]
        if event.ends_at:
            provision["period"] = {"end": _instant(event.ends_at)}
        maker.add("Consent", event.id, {
            "status": "active", "scope": CONSENT_SCOPE, "category": [CONSENT_CATEGORY],
            "patient": {"reference": patient_url}, "dateTime": _instant(event.created_at),
            "policyRule": {"text": f"Carnet {event.kind.value}, wording {event.wording_version}"},
            "provision": provision})


def _audit(db, maker: BundleMaker, patient, patient_url, who) -> None:
    """"Who saw my carnet": each read or change by someone else, refusals included."""
    carnet = maker.add("Device", "carnet", {"deviceName": [{"name": "Carnet",
                                                             "type": "user-friendly-name"}]})
    events = db.exec(select(AuditEvent).where(AuditEvent.patient_id == patient.id)
                     .order_by(AuditEvent.created_at, AuditEvent.id)).all()
    for event in events:
        agent: dict[str, Any] = {"requestor": True}
        if (actor := who(event.actor_account_id)) is not None:
            agent["who"] = actor
        maker.add("AuditEvent", event.id, {
            "type": {"system": "http://dicom.nema.org/resources/ontology/DCM",
                     "code": "110110", "display": "Patient Record"},
            "action": AUDIT_ACTIONS[event.action.value],
            "recorded": _instant(event.created_at), "outcome": "0" if event.allowed else "4",
            **({"outcomeDesc": "refused"} if not event.allowed else {}),
            "agent": [agent], "source": {"observer": {"reference": carnet}},
            "entity": [{"what": {"reference": patient_url},
                        "description": f"{event.action.value} {event.section}"}]})

