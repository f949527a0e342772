"""The authorization matrix: every route of the app × every kind of person, and the answer.

Each route is given an access class ("read:plan", "owner"…) and each class the answer
each persona gets on Jeanne's carnet: "ok" (let through: any status but 404 and below
500 — an empty form typically answers 400, 409 or a redirect), "404" (refusal is silent),
or "sign-in" (a visitor who is not signed in is sent to sign in). A route missing from
the table, or a row whose route is gone, fails the test: a new page is not done until
someone has decided who may open it.

Each route also says what it writes in Jeanne's "Who saw my carnet" (AUDITS), so that each
cell of the matrix is an answer and the exact audit lines of that one request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.auth.invitations import create_invitation
from app.carnet.appointments import new_feed_token
from app.consent.access_requests import make_link
from app.fhir import health_links
from app.models import (
    SECTIONS,
    AccessRequest,
    Account,
    Appointment,
    AppointmentQuestion,
    AuditEvent,
    CaregiverLink,
    ConsentEvent,
    ConsentKind,
    ContentPage,
    ContentStatus,
    InvitationKind,
    Passkey,
    Patient,
    PlanItem,
    PlanItemKind,
    PushSubscription,
    Questionnaire,
    Role,
    SymptomReport,
    metadata,
)
from app.types import utcnow

from .carnet_actions import stored
from .conftest import CSRF_META, EMAILS

# Every route × persona: the policy's queries and the audit writes.
pytestmark = pytest.mark.db_engine

# Who asks, about Jeanne Martin's carnet:
PERSONAS = {
    "jeanne": EMAILS["jeanne"],  # the patient
    "karim": EMAILS["karim"],  # another patient
    "claire": EMAILS["claire"],  # her daughter, granted every part, notes and symptoms to write
    "bruno": "bruno.martin@example.org",  # her son, a caregiver granted the team only
    "lefevre": EMAILS["lefevre"],  # her GP, in her care team
    "marc": EMAILS["marc"],  # her pharmacist, in the team, opposed on every part
    "nadia": EMAILS["nadia"],  # the DAC's coordinator, référent of her team
    "lucas": EMAILS["lucas"],  # social worker outside the team, granted every part to read
    "elise": "elise.fontaine@example.org",  # oncologist outside the team: asked, not granted
    "julie": EMAILS["julie"],  # physiotherapist outside the team, whose grant has ended
    "francoise": EMAILS["francoise"],  # editor of the patients' association
    "anonymous": None,  # a visitor who is not signed in
}

OK, NO, IN = "ok", "404", "sign-in"

# The answer of each access class, persona by persona (columns in the order above).
#                 jeanne karim claire bruno lefevre marc nadia lucas elise julie franç. anon.
EXPECTED = {
    "public":            (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "signed-in":         (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, IN),
    # Jeanne's own: her consent and audit pages, her calendar link, her passkey and her
    # phone's notifications, the invitation she made, her question, her symptom report.
    "owner":             (OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, IN),
    "a patient":         (OK, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, IN),
    "a caregiver":       (NO, NO, OK, OK, NO, NO, NO, NO, NO, NO, NO, IN),
    "a professional":    (NO, NO, NO, NO, OK, OK, OK, OK, OK, OK, NO, IN),
    "a coordinator":     (NO, NO, NO, NO, NO, NO, OK, NO, NO, NO, NO, IN),
    "team coordinator":  (NO, NO, NO, NO, NO, NO, OK, NO, NO, NO, NO, IN),
    # The patient's link: a professional outside the team asks (a visitor is asked to sign in).
    "outside, with link": (NO, NO, NO, NO, NO, NO, NO, OK, OK, OK, NO, OK),
    "read:any":          (OK, NO, OK, OK, OK, NO, OK, OK, NO, NO, NO, IN),
    "read:team":         (OK, NO, OK, OK, OK, NO, OK, OK, NO, NO, NO, IN),
    "read:plan":         (OK, NO, OK, NO, OK, NO, OK, OK, NO, NO, NO, IN),
    "read:appointments": (OK, NO, OK, NO, OK, NO, OK, OK, NO, NO, NO, IN),
    "read:symptoms":     (OK, NO, OK, NO, OK, NO, OK, OK, NO, NO, NO, IN),
    "read:notes":        (OK, NO, OK, NO, OK, NO, OK, OK, NO, NO, NO, IN),
    "write:team":        (OK, NO, NO, NO, OK, NO, OK, NO, NO, NO, NO, IN),
    "write:plan":        (OK, NO, NO, NO, OK, NO, OK, NO, NO, NO, NO, IN),
    "write:appointments": (OK, NO, NO, NO, OK, NO, OK, NO, NO, NO, NO, IN),
    "write:symptoms":    (OK, NO, OK, NO, OK, NO, OK, NO, NO, NO, NO, IN),
    "write:notes":       (OK, NO, OK, NO, OK, NO, OK, NO, NO, NO, NO, IN),
    # The status of an action: the care team, or the person responsible (Jeanne, here).
    "status:plan":       (OK, NO, NO, NO, OK, NO, OK, NO, NO, NO, NO, IN),
    "manage:plan":       (NO, NO, NO, NO, OK, NO, OK, NO, NO, NO, NO, IN),
    # The answer to an action put on one's name: only the one asked (no one, for the sample
    # action, which asks nobody: tests/test_delegation.py shows the one asked answering).
    "asked:plan":        (NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, IN),
    "manage:appointments": (NO, NO, NO, NO, OK, NO, OK, NO, NO, NO, NO, IN),
    "manage:symptoms":   (NO, NO, NO, NO, OK, NO, OK, NO, NO, NO, NO, IN),
    # The authoring space: association editors and professionals, never patients' people.
    "an author":         (NO, NO, NO, NO, OK, OK, OK, OK, OK, OK, OK, IN),
}

CARNET = "/carnet/<int:patient_id>"
ROUTES = {
    # The app's shell, signing in, the demo
    "GET /": "signed-in",
    "GET /healthz": "public",
    "GET /manifest.webmanifest": "public",
    "GET /offline": "public",
    "GET /sw.js": "public",
    "GET /static/<path:filename>": "public",
    "POST /locale": "public",
    "GET /sign-in": "public",
    "POST /sign-in/options": "public",
    "POST /sign-in/verify": "public",
    "POST /sign-in/recovery": "public",
    "POST /sign-out": "public",
    "GET /invite/<token>": "public",  # the token is the key
    "POST /invite/<token>/options": "public",
    "POST /invite/<token>/register": "public",
    "GET /demo/": "public",
    "POST /demo/sign-in": "public",
    "GET /demo/hello": "public",  # the load benchmark's bare route
    # Me
    "GET /me/": "signed-in",
    "GET /me/security": "signed-in",
    "POST /me/security/passkeys/options": "signed-in",
    "POST /me/security/passkeys": "signed-in",
    "POST /me/security/passkeys/<int:passkey_id>/rename": "owner",
    "POST /me/security/passkeys/<int:passkey_id>/delete": "owner",
    "POST /me/security/recovery-codes": "signed-in",
    "POST /me/security/verify/options": "signed-in",
    "POST /me/security/sign-out-everywhere": "signed-in",
    "POST /session/keep": "signed-in",
    "GET /me/caregivers/invite": "a patient",
    "POST /me/caregivers/invite": "a patient",
    "GET /invitations/<int:invitation_id>": "owner",
    "GET /me/notifications": "signed-in",
    "POST /push/subscriptions": "signed-in",
    "POST /push/subscriptions/unsubscribe": "signed-in",
    # A service worker's pushsubscriptionchange: the old auth secret is the proof.
    "POST /push/subscriptions/renew": "public",
    "POST /me/notifications/devices/<int:subscription_id>/delete": "owner",
    "POST /me/notifications/preferences": "signed-in",
    # Lists of carnets, inviting professionals and patients
    "GET /carnets": "a caregiver",
    "GET /patients": "a professional",
    "GET /inbox": "a professional",
    "GET /day": "a professional",
    "GET /day/week": "a professional",
    "GET /patients/new": "a professional",
    "POST /patients/new": "a professional",
    "GET /professionals/new": "a coordinator",
    "POST /professionals/new": "a coordinator",
    # The carnet
    f"GET {CARNET}/": "read:any",
    f"GET {CARNET}/print": "read:any",
    f"GET {CARNET}/export.fhir.json": "read:any",
    f"GET {CARNET}/changes": "read:plan",  # the plan's or the appointments' changes
    f"GET {CARNET}/team": "read:team",
    f"GET {CARNET}/team/invite": "write:team",
    f"POST {CARNET}/team/invite": "write:team",
    f"GET {CARNET}/team/ask-access": "team coordinator",
    f"POST {CARNET}/team/ask-access": "team coordinator",
    f"GET {CARNET}/plan": "read:plan",
    f"GET {CARNET}/action-plan": "read:plan",
    f"GET {CARNET}/action-plan/<condition>/<zone>": "manage:plan",
    f"POST {CARNET}/action-plan/<condition>/<zone>": "manage:plan",
    f"GET {CARNET}/plan/new": "manage:plan",
    f"POST {CARNET}/plan/new": "manage:plan",
    f"GET {CARNET}/plan/<int:item_id>": "read:plan",
    f"POST {CARNET}/plan/<int:item_id>": "manage:plan",
    f"GET {CARNET}/plan/<int:item_id>/edit": "manage:plan",
    f"POST {CARNET}/plan/<int:item_id>/comments": "write:plan",
    f"POST {CARNET}/plan/<int:item_id>/status": "status:plan",
    f"POST {CARNET}/plan/<int:item_id>/delegation": "asked:plan",
    f"POST {CARNET}/plan/<int:item_id>/move": "manage:plan",
    f"GET {CARNET}/plan/<int:item_id>/delete": "manage:plan",  # "remove it?"
    f"POST {CARNET}/plan/<int:item_id>/delete": "manage:plan",
    f"GET {CARNET}/appointments": "read:appointments",
    f"GET {CARNET}/appointments/new": "manage:appointments",
    f"POST {CARNET}/appointments/new": "manage:appointments",
    f"GET {CARNET}/appointments/<int:appointment_id>": "read:appointments",
    f"GET {CARNET}/appointments/<int:appointment_id>/calendar.ics": "read:appointments",
    f"GET {CARNET}/appointments/<int:appointment_id>/edit": "manage:appointments",
    f"POST {CARNET}/appointments/<int:appointment_id>/edit": "manage:appointments",
    f"GET {CARNET}/appointments/<int:appointment_id>/cancel": "manage:appointments",
    f"POST {CARNET}/appointments/<int:appointment_id>/cancel": "manage:appointments",
    f"POST {CARNET}/appointments/<int:appointment_id>/questions": "write:appointments",
    f"POST {CARNET}/appointments/<int:appointment_id>/questions/<int:question_id>/delete":
        "owner",  # one's own question
    f"GET {CARNET}/calendar": "owner",
    f"POST {CARNET}/calendar": "owner",
    "GET /calendar/<token>.ics": "public",  # the token is the key
    f"GET {CARNET}/symptoms": "read:symptoms",
    f"GET {CARNET}/symptoms/new": "write:symptoms",
    f"POST {CARNET}/symptoms/new": "write:symptoms",
    f"GET {CARNET}/symptoms/<int:report_id>/sent": "owner",  # one's own report
    f"GET {CARNET}/symptoms/trends": "read:symptoms",
    "GET /symptoms/csrf-token": "signed-in",  # for a report sent from the phone's queue
    f"POST {CARNET}/symptoms/<int:report_id>/acknowledge": "manage:symptoms",
    f"GET {CARNET}/notes": "read:notes",
    f"POST {CARNET}/notes": "write:notes",
    # Consent, requests for access, who saw my carnet
    f"GET {CARNET}/consent": "owner",
    f"POST {CARNET}/consent": "owner",
    f"POST {CARNET}/consent/until": "owner",
    f"GET {CARNET}/consent/stop": "owner",
    f"POST {CARNET}/consent/stop": "owner",
    f"GET {CARNET}/consent/timeline": "owner",
    f"POST {CARNET}/consent/access-link": "owner",
    f"GET {CARNET}/consent/access-link/<int:link_id>": "owner",
    f"POST {CARNET}/consent/requests/<int:request_id>": "owner",
    f"GET {CARNET}/who-saw": "owner",
    # Hand-over by QR code (SMART Health Links): the patient's links; the manifest and the
    # viewer answer whoever holds a link (its token, and the key after the #, are the keys).
    f"GET {CARNET}/handover": "owner",
    f"POST {CARNET}/handover": "owner",
    f"GET {CARNET}/handover/<int:health_link_id>": "owner",
    f"POST {CARNET}/handover/<int:health_link_id>/end": "owner",
    "POST /shl/<token>": "public",
    "GET /shl/view": "public",
    "GET /access/<token>": "outside, with link",
    "POST /access/<token>": "outside, with link",
    "GET /access/sent": "signed-in",
    # Educational pages: a carnet's list reveals its conditions and plan; a page does not.
    f"GET {CARNET}/understand": "read:plan",
    "GET /understand/<slug>": "signed-in",
    "POST /understand/<slug>/feedback": "signed-in",
    # Writing and reviewing them
    "GET /authoring/": "an author",
    "GET /authoring/feedback": "an author",
    "POST /authoring/<kind>/<int:content_id>/workflow": "an author",
    "GET /authoring/pages/new": "an author",
    "POST /authoring/pages/new": "an author",
    "GET /authoring/pages/<int:page_id>": "an author",
    "GET /authoring/pages/<int:page_id>/edit": "an author",
    "POST /authoring/pages/<int:page_id>/edit": "an author",
    "POST /authoring/pages/<int:page_id>/new-version": "an author",
    "POST /authoring/pages/<int:page_id>/translate": "an author",
    "GET /authoring/questionnaires/<int:questionnaire_id>": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/new-version": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/translate": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/title": "an author",
    "GET /authoring/questionnaires/<int:questionnaire_id>/items/new": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/items/new": "an author",
    "GET /authoring/questionnaires/<int:questionnaire_id>/items/<key>/edit": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/items/<key>/edit": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/items/<key>/move": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/items/<key>/remove": "an author",
    "GET /authoring/questionnaires/<int:questionnaire_id>/rules/new": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/rules/new": "an author",
    "GET /authoring/questionnaires/<int:questionnaire_id>/rules/<rule_key>/edit": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/rules/<rule_key>/edit": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/rules/<rule_key>/remove":
        "an author",
    "GET /authoring/questionnaires/<int:questionnaire_id>/try": "an author",
    "POST /authoring/questionnaires/<int:questionnaire_id>/try": "an author",
    "GET /authoring/questionnaires/<int:questionnaire_id>/export.fhir.json": "an author",
    "GET /authoring/questionnaires/import": "an author",
    "POST /authoring/questionnaires/import": "an author",
}

# What each route writes in Jeanne's audit trail ("Who saw my carnet"), by the lines of one
# request: R read, C create, U update, D delete, E export (print, calendar files), then the
# section. A plain line is written when the persona is let through; a read or an export of a
# section only by those it is shared with (a page shows what is shared). "!X:section" is the
# refusal, written once when the persona is refused; "=X:section" is written whoever asks.
# Jeanne's own requests write nothing but "=" lines, and nor does a visitor not signed in.
# "-": nothing, whoever asks. The matrix's forms are the smallest (see Carnet.form): a form
# that fails validation or is stale and answers its page again is a read, like its GET.
ALL_READ = "R:appointments R:plan R:team R:notes"
AUDITS = {
    f"GET {CARNET}/": f"{ALL_READ} !R:carnet",
    f"GET {CARNET}/print": "E:team E:plan E:appointments E:notes !E:carnet",
    f"GET {CARNET}/export.fhir.json":
        "E:team E:plan E:appointments E:symptoms E:notes !E:carnet",
    f"GET {CARNET}/changes": "R:plan R:appointments !R:carnet",
    f"GET {CARNET}/team": "R:team !R:team",
    f"GET {CARNET}/team/invite": "R:team !C:team",
    f"POST {CARNET}/team/invite": "R:team !C:team",  # 400: the form again
    f"GET {CARNET}/team/ask-access": "R:team !C:team",
    f"POST {CARNET}/team/ask-access": "R:team !C:team",
    f"GET {CARNET}/plan": "R:plan !R:plan",
    f"GET {CARNET}/action-plan": "R:plan !R:plan",
    f"GET {CARNET}/action-plan/<condition>/<zone>": "R:plan !U:plan",
    f"POST {CARNET}/action-plan/<condition>/<zone>": "U:plan !U:plan",
    f"GET {CARNET}/plan/new": "R:plan !C:plan",
    f"POST {CARNET}/plan/new": "C:plan !C:plan",
    f"GET {CARNET}/plan/<int:item_id>": "R:plan !R:plan",
    f"POST {CARNET}/plan/<int:item_id>": "R:plan !U:plan",  # 409: no version, the form again
    f"GET {CARNET}/plan/<int:item_id>/edit": "R:plan !U:plan",
    f"POST {CARNET}/plan/<int:item_id>/comments": "C:plan !C:plan",
    f"POST {CARNET}/plan/<int:item_id>/status": "!U:plan",  # a bare 400: no status
    f"POST {CARNET}/plan/<int:item_id>/delegation": "!U:plan",
    f"POST {CARNET}/plan/<int:item_id>/move": "U:plan !U:plan",
    f"GET {CARNET}/plan/<int:item_id>/delete": "R:plan !D:plan",
    f"POST {CARNET}/plan/<int:item_id>/delete": "!D:plan",  # not confirmed: back to the question
    f"GET {CARNET}/appointments": "R:appointments !R:appointments",
    f"GET {CARNET}/appointments/new": "R:appointments !C:appointments",
    f"POST {CARNET}/appointments/new": "C:appointments !C:appointments",
    f"GET {CARNET}/appointments/<int:appointment_id>": "R:appointments !R:appointments",
    f"GET {CARNET}/appointments/<int:appointment_id>/calendar.ics":
        "E:appointments !E:appointments",
    f"GET {CARNET}/appointments/<int:appointment_id>/edit": "R:appointments !U:appointments",
    f"POST {CARNET}/appointments/<int:appointment_id>/edit": "R:appointments !U:appointments",
    f"GET {CARNET}/appointments/<int:appointment_id>/cancel": "R:appointments !U:appointments",
    f"POST {CARNET}/appointments/<int:appointment_id>/cancel": "!U:appointments",
    f"POST {CARNET}/appointments/<int:appointment_id>/questions": "C:appointments !C:appointments",
    f"POST {CARNET}/appointments/<int:appointment_id>/questions/<int:question_id>/delete":
        "!D:appointments",
    f"GET {CARNET}/calendar": "!R:calendar",
    f"POST {CARNET}/calendar": "!U:calendar",
    # Jeanne's calendar app, with her private link: hers, written so she sees it in use.
    "GET /calendar/<token>.ics": "=E:appointments",
    f"GET {CARNET}/symptoms": "R:symptoms !R:symptoms",
    f"GET {CARNET}/symptoms/new": "R:symptoms !C:symptoms",
    f"POST {CARNET}/symptoms/new": "R:symptoms !C:symptoms",  # 400: the form again
    f"GET {CARNET}/symptoms/<int:report_id>/sent": "!C:symptoms",  # Jeanne's report
    f"GET {CARNET}/symptoms/trends": "R:symptoms !R:symptoms",
    f"POST {CARNET}/symptoms/<int:report_id>/acknowledge": "U:symptoms !U:symptoms",
    f"GET {CARNET}/notes": "R:notes !R:notes",
    f"POST {CARNET}/notes": "C:notes !C:notes",
    f"GET {CARNET}/consent": "!R:consent",
    f"POST {CARNET}/consent": "!U:consent",
    f"POST {CARNET}/consent/until": "!U:consent",
    f"GET {CARNET}/consent/stop": "!R:consent",
    f"POST {CARNET}/consent/stop": "!U:consent",
    f"GET {CARNET}/consent/timeline": "!R:consent",
    f"POST {CARNET}/consent/access-link": "!U:consent",
    f"GET {CARNET}/consent/access-link/<int:link_id>": "!R:consent",
    f"POST {CARNET}/consent/requests/<int:request_id>": "!U:consent",
    f"GET {CARNET}/who-saw": "!R:consent",
    f"GET {CARNET}/handover": "!R:consent",
    f"POST {CARNET}/handover": "!U:consent",
    f"GET {CARNET}/handover/<int:health_link_id>": "!R:consent",
    f"POST {CARNET}/handover/<int:health_link_id>/end": "!U:consent",
    # The link shows Jeanne's name: a read of it; asking is a change.
    "GET /access/<token>": "R:access_link !R:access_link",
    "POST /access/<token>": "C:access_link !C:access_link",
    f"GET {CARNET}/understand": "R:plan !R:plan",
    # A professional's lists: the counts of what is new are reads of their sections (never
    # of one the professional may not read); the inbox reads the reports it lists.
    "GET /patients": "R:notes R:plan R:appointments R:symptoms",
    "GET /inbox": "R:symptoms",
    # The week's summary: Jeanne's demo week has reports, notes and plan changes by others
    # and appointments to come, each a read of its section.
    "GET /day/week": "R:notes R:plan R:appointments R:symptoms",
    # Near carnets, but no one's data: one's passkeys, phones, invitations, new carnets, and
    # the names of the carnets a caregiver helps with.
    "POST /me/security/passkeys/<int:passkey_id>/rename": "-",
    "POST /me/security/passkeys/<int:passkey_id>/delete": "-",
    "GET /me/caregivers/invite": "-",
    "POST /me/caregivers/invite": "-",
    "GET /invitations/<int:invitation_id>": "-",
    "POST /me/notifications/devices/<int:subscription_id>/delete": "-",
    "GET /carnets": "-",
    "GET /patients/new": "-",
    "POST /patients/new": "-",
}
# Routes whose reads depend on whose the data is, not only on the policy: My day reads the
# sections of what it lists, and only Dr Lefèvre has actions and appointments in Jeanne's
# carnet (none of her reports is urgent and unseen in the demo).
BY_PERSONA = {"GET /day": {"lefevre": "R:plan R:appointments"}}
# Access classes whose routes never reach a carnet: they need no row in AUDITS ("-").
FAR_FROM_CARNETS = {"public", "signed-in", "an author", "a coordinator"}
# The sections of Jeanne's carnet each persona may read.
READS = {"claire": set(SECTIONS), "bruno": {"team"}, "lefevre": set(SECTIONS),
         "nadia": set(SECTIONS), "lucas": set(SECTIONS)}
ACTION_LETTERS = {"read": "R", "create": "C", "update": "U", "delete": "D", "export": "E"}


def audit_lines(route: str, who: str, answer: str) -> list[str]:
    """The lines one request of ``who`` on ``route`` writes, by AUDITS, sorted."""
    tokens = (BY_PERSONA[route].get(who, "-") if route in BY_PERSONA
              else AUDITS.get(route, "-")).split()
    lines = [token[1:] for token in tokens if token.startswith("=")]
    if who in ("jeanne", "anonymous") or answer == IN:
        return sorted(lines)
    if answer == NO:
        return sorted(lines + [token for token in tokens if token.startswith("!")])
    for token in tokens:
        if token[0] in "!=-":
            continue
        action, section = token.split(":")
        if action in "RE" and section in SECTIONS and section not in READS.get(who, set()):
            continue  # not shared with them: not shown, not read
        lines.append(token)
    return sorted(lines)


# Requests that end the session go last, in this order.
LAST = ("POST /me/security/sign-out-everywhere", "POST /sign-out", "POST /demo/sign-in")
SIGN_OUTS = {"POST /me/security/sign-out-everywhere", "POST /sign-out"}
# A refused request writes nothing but its line in the audit trail.
WATCHED = tuple(name for name in metadata.tables if name != "audit_event")


@dataclass
class Carnet:
    """Jeanne's carnet as the matrix finds it: sample URL values, tokens, and who is who."""

    values: dict[str, object]
    tokens: dict[str, str]  # by the start of the rule
    accounts: dict[str, int]

    def url(self, rule) -> str:
        values = dict(self.values)
        for prefix, token in self.tokens.items():
            if rule.rule.startswith(prefix):
                values["token"] = token
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give a sample value for {missing} in this test"
        return rule.build({name: values[name] for name in rule.arguments})[1]

    def form(self, route: str) -> dict[str, object]:
        """The smallest form that names what the view needs (an empty one answers 404, even
        to the patient, when it names nobody)."""
        lucas = self.accounts["lucas"]
        return {
            f"POST {CARNET}/consent": {"grantee": lucas, "section": "notes", "visible": "yes"},
            f"POST {CARNET}/consent/until": {"grantee": lucas, "until": ""},
            f"POST {CARNET}/consent/stop": {"grantee": lucas},
            f"POST {CARNET}/consent/requests/<int:request_id>": {"decision": "refuse"},
            "POST /demo/sign-in": {"account_id": self.accounts["karim"]},
            # Changes that succeed, to see what a change writes in the audit trail.
            f"POST {CARNET}/plan/new": {"kind": "problem", "title": "Matrix problem"},
            f"POST {CARNET}/plan/<int:item_id>/comments": {"comment": "Matrix comment"},
            f"POST {CARNET}/plan/<int:item_id>/move": {"direction": "down"},
            f"POST {CARNET}/appointments/new": {
                "title": "Matrix visit", "kind": "visit", "start": "09:00", "end": "09:30",
                "day": (date.today() + timedelta(days=7)).isoformat()},
            f"POST {CARNET}/appointments/<int:appointment_id>/questions": {
                "question": "Matrix question?"},
            f"POST {CARNET}/notes": {"body": "Matrix note"},
            f"POST {CARNET}/action-plan/<condition>/<zone>": {"text": "Matrix zone"},
            "POST /access/<token>": {"sections": "plan"},
        }.get(route, {})


def _decide(db, patient: Patient, account: Account, kind: ConsentKind, scopes, ends_at=None):
    db.add(ConsentEvent(patient_id=patient.id, kind=kind, grantee_account_id=account.id,
                        scopes=list(scopes), ends_at=ends_at, decided_by_id=patient.account_id))


@pytest.fixture
def carnet(app, db, demo) -> Carnet:
    """The demo, with Jeanne's ledger arranged for every persona."""
    accounts = {name: db.exec(select(Account).where(Account.email == email)).first()
                for name, email in PERSONAS.items() if email}
    jeanne = accounts["jeanne"]
    patient = db.exec(select(Patient).where(Patient.account_id == jeanne.id)).one()
    bruno = accounts["bruno"] = Account(
        email=PERSONAS["bruno"], first_name="Bruno", last_name="Martin", role=Role.CAREGIVER,
        user_handle=secrets.token_urlsafe(32))
    db.add(bruno)
    db.flush()
    db.add(CaregiverLink(patient_id=patient.id, caregiver_account_id=bruno.id,
                         relationship="son"))
    _decide(db, patient, bruno, ConsentKind.GRANT, ["team"])
    _decide(db, patient, accounts["claire"], ConsentKind.GRANT,
            [*SECTIONS, "notes:write", "symptoms:write"])
    _decide(db, patient, accounts["marc"], ConsentKind.OPPOSE, SECTIONS)
    _decide(db, patient, accounts["lucas"], ConsentKind.GRANT, SECTIONS)
    _decide(db, patient, accounts["julie"], ConsentKind.GRANT, SECTIONS,
            ends_at=utcnow() - timedelta(days=1))
    passkey = Passkey(account_id=jeanne.id, credential_id="matrix", public_key=b"key",
                      name="My phone")
    phone = PushSubscription(account_id=jeanne.id, endpoint="https://push.example.org/matrix",
                             p256dh="key", auth="secret")
    # One of her actions that can move down (not the last of its siblings), always the same.
    items = db.exec(select(PlanItem).where(PlanItem.patient_id == patient.id).order_by(
        PlanItem.parent_id, PlanItem.position, PlanItem.id)).all()
    action = next(item for item, below in zip(items, items[1:], strict=False)
                  if item.kind == PlanItemKind.ACTION and item.responsible_account_id == jeanne.id
                  and below.parent_id == item.parent_id)
    appointment = db.exec(select(Appointment).where(Appointment.patient_id == patient.id)).first()
    report = db.exec(select(SymptomReport).where(  # one still to acknowledge, if any
        SymptomReport.patient_id == patient.id,
        SymptomReport.reported_by_account_id == jeanne.id).order_by(
        SymptomReport.acknowledged_at.is_not(None), SymptomReport.id)).first()
    question = AppointmentQuestion(appointment_id=appointment.id, author_account_id=jeanne.id,
                                   text="Can I garden again?")
    asking = AccessRequest(patient_id=patient.id, requester_account_id=accounts["elise"].id,
                           scopes=["plan"])
    db.add_all([passkey, phone, question, asking])
    with app.test_request_context():
        invitation, invitation_token = create_invitation(
            db, bruno, InvitationKind.CAREGIVER, jeanne, patient)
        link, access_token = make_link(db, patient, jeanne)
        health_link, _url = health_links.make(db, patient, ["plan"], "1d", "", "", utcnow())
    feed_token = new_feed_token(db, patient)
    db.commit()
    page = db.exec(select(ContentPage).where(ContentPage.slug == "se-peser-chaque-matin",
                                             ContentPage.language == "fr")).one()
    questionnaire = db.exec(select(Questionnaire).where(
        Questionnaire.code == "heart_failure", Questionnaire.language == "fr",
        Questionnaire.status == ContentStatus.PUBLISHED)).one()
    return Carnet(
        values={"patient_id": patient.id, "item_id": action.id, "appointment_id": appointment.id,
                "question_id": question.id, "report_id": report.id, "request_id": asking.id,
                "link_id": link.id, "health_link_id": health_link.id,
                "invitation_id": invitation.id, "passkey_id": passkey.id,
                "subscription_id": phone.id, "filename": "css/carnet.css",
                "slug": page.slug, "page_id": page.id, "kind": "pages", "content_id": page.id,
                "questionnaire_id": questionnaire.id, "key": "weight",
                "rule_key": "weight_gain", "condition": "heart_failure", "zone": "amber"},
        tokens={"/invite/": invitation_token, "/access/": access_token,
                "/calendar/": feed_token, "/shl/": "matrix"},
        accounts={name: account.id for name, account in accounts.items()},
    )


def _routes(app) -> dict[str, object]:
    """Every "METHOD rule" the app answers, with its rule."""
    return {f"{method} {rule.rule}": rule for rule in app.url_map.iter_rules()
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})}


def test_every_route_has_a_row_in_the_matrix(app):
    routes = set(_routes(app))
    assert sorted(routes - set(ROUTES)) == [], "decide who may open these routes"
    assert sorted(set(ROUTES) - routes) == [], "these routes are gone"
    assert set(ROUTES.values()) <= set(EXPECTED)
    assert all(len(answers) == len(PERSONAS) for answers in EXPECTED.values())
    assert sorted(set(AUDITS) - routes) == [], "these routes are gone"


def test_every_route_near_a_carnet_says_what_it_writes_in_the_audit_trail(app):
    """A route that may reach a carnet is not done until someone has decided what its
    requests write in "Who saw my carnet" ("-" for nothing)."""
    near = {route for route in _routes(app) if "<int:patient_id>" in route
            or ROUTES.get(route) not in FAR_FROM_CARNETS}
    assert sorted(near - set(AUDITS) - set(BY_PERSONA)) == [], "say what these routes write"


class Visitor:
    """One persona's browser: signed in once, then asking for route after route."""

    def __init__(self, app, carnet: Carnet, who: str):
        self.client = app.test_client()
        self.carnet = carnet
        if who != "anonymous":
            self.client.post("/demo/sign-in", data={"account_id": carnet.accounts[who],
                                                    "csrf_token": self.csrf_token()})
        self.token = self.csrf_token()

    def csrf_token(self) -> str:
        return CSRF_META.search(self.client.get("/demo/").get_data(as_text=True)).group(1)

    def answer(self, route: str, rule) -> str:
        """Ask for ``route`` (a change with an empty or minimal form) and sum up the answer."""
        method = route.split(" ", 1)[0]
        data = None
        if method != "GET":
            if route in LAST:
                self.token = self.csrf_token()  # signing out ends the session and its token
            data = {"csrf_token": self.token, **self.carnet.form(route)}
        try:
            response = self.client.open(self.carnet.url(rule), method=method, data=data)
        except Exception as error:  # TESTING lets a view's exception through: name its cause
            cause = error
            while cause.__context__ is not None:
                cause = cause.__context__
            return f"error {type(cause).__name__}: {str(cause).splitlines()[0][:100]}"
        if response.status_code == 404:
            return NO
        if response.status_code in (302, 303) and response.location.split("?")[0].endswith(
                "/sign-in"):
            return IN
        return OK if response.status_code < 500 else f"error {response.status_code}"


@pytest.mark.parametrize("who", list(PERSONAS))
def test_each_persona_gets_the_expected_answer_on_every_route(app, engine, carnet, who):
    visitor = Visitor(app, carnet, who)
    patient_id = carnet.values["patient_id"]
    column = list(PERSONAS).index(who)
    rules = {route: rule for route, rule in _routes(app).items() if route in ROUTES}
    expected = {route: EXPECTED[ROUTES[route]][column] for route in rules}
    reads = sorted(route for route in rules if route.startswith("GET "))
    refused = sorted(route for route in rules if route not in reads and expected[route] != OK)
    changes = sorted((route for route in rules if route not in reads and expected[route] == OK),
                     key=lambda route: (LAST.index(route) if route in LAST else -1, route))
    wrong = []

    def ask(route: str) -> None:
        with engine.connect() as connection:
            last = connection.execute(sa.select(sa.func.max(AuditEvent.id))).scalar() or 0
        answer = visitor.answer(route, rules[route])
        if route in SIGN_OUTS and answer == IN and expected[route] == OK:
            answer = OK  # signing out lets you through... to the sign-in page
        if answer != expected[route]:
            wrong.append(f"{route} ({ROUTES[route]}): {answer}, expected {expected[route]}")
        with engine.connect() as connection:
            written = connection.execute(
                sa.select(AuditEvent.action, AuditEvent.section, AuditEvent.allowed)
                .where(AuditEvent.id > last, AuditEvent.patient_id == patient_id)).all()
        lines = sorted(f"{'' if allowed else '!'}{ACTION_LETTERS[action]}:{section}"
                       for action, section, allowed in written)
        if lines != audit_lines(route, who, expected[route]):
            wrong.append(f"{route}: wrote {' '.join(lines) or '-'}, expected "
                         f"{' '.join(audit_lines(route, who, expected[route])) or '-'}")

    # Reads first: the changes after them may retire what they open (a calendar link…).
    for route in reads:
        ask(route)
    with Session(engine) as db:
        before = stored(db, WATCHED)
        for route in refused:
            ask(route)
        after = stored(db, WATCHED)
    changed = [table for table in WATCHED if after[table] != before[table]]
    if changed:
        wrong.append(f"refused requests changed {changed}")
    for route in changes:
        ask(route)
    assert wrong == [], f"{who}:\n" + "\n".join(wrong)
