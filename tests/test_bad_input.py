"""Bad input answers a clear 4xx (404 for an id of nothing), never a 500, and keeps nothing.

Each row was a 500 once: digits that are not ASCII ("²", which ``str.isdigit()`` accepts
and ``int()`` refuses), numbers longer than any id column (2^31 overflows PostgreSQL's
``integer``, 2^63 SQLite's), a NUL byte (PostgreSQL's text cannot hold one), JSON nested
until Python's parser gives up, a line break in a redirect.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import (
    Appointment,
    ContentPage,
    ContentStatus,
    PlanItem,
    PlanItemKind,
    Professional,
    SymptomReport,
)

from .carnet_actions import stored
from .conftest import CSRF_META, persona
from .symptom_actions import report_form

# Everything a bad request could have written (reads are audited, sign-ins kept: not here).
KEPT = ("plan_item", "plan_revision", "appointment", "appointment_revision",
        "appointment_question", "note", "consent_event", "access_request", "content_feedback",
        "content_page", "symptom_report", "push_subscription", "notification", "invitation",
        "passkey", "account")
HUGE = {"²": "²", "٣": "٣", "2^31": str(2**31), "2^63": str(2**63), "30 digits": "9" * 30}
UNKEEPABLE = "What you sent holds a character that Carnet cannot keep."
UNREADABLE = "What you sent could not be read."


@pytest.fixture
def ids(db, jeanne_id) -> dict[str, object]:
    """Real ids of Jeanne's carnet, for the paths the table below fills in."""
    def first(query):
        return db.exec(query).first()

    action = first(select(PlanItem).where(PlanItem.patient_id == jeanne_id,
                                          PlanItem.kind == PlanItemKind.ACTION))
    page = first(select(ContentPage).where(ContentPage.status == ContentStatus.PUBLISHED,
                                           ContentPage.language == "fr"))
    return {
        "j": jeanne_id, "action": action.id, "action_version": action.version,
        "goal": action.parent_id,
        "lefevre": first(select(Professional.id).where(
            Professional.account_id == persona(db, "lefevre").id)),
        "appointment": first(select(Appointment.id).where(Appointment.patient_id == jeanne_id)),
        "report": first(select(SymptomReport.id).where(SymptomReport.patient_id == jeanne_id)),
        "slug": page.slug, "page": page.id,
    }


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


# An id out of range (or written in other digits) in the URL: the route does not match.
URL_IDS = [
    ("jeanne", "GET", "/carnet/{n}/"),
    ("jeanne", "GET", "/carnet/{n}/notes"),
    ("lefevre", "GET", "/carnet/{j}/plan/{n}"),
    ("lefevre", "POST", "/carnet/{j}/plan/{n}/delete"),
    ("lefevre", "GET", "/carnet/{j}/appointments/{n}"),
    ("lefevre", "POST", "/carnet/{j}/appointments/{appointment}/questions/{n}/delete"),
    ("lefevre", "POST", "/carnet/{j}/symptoms/{n}/acknowledge"),
    ("jeanne", "POST", "/carnet/{j}/consent/requests/{n}"),
    ("jeanne", "GET", "/carnet/{j}/consent/access-link/{n}"),
    ("jeanne", "POST", "/me/notifications/devices/{n}/delete"),
    ("jeanne", "POST", "/me/security/passkeys/{n}/rename"),
    ("lefevre", "GET", "/invitations/{n}"),
    ("francoise", "GET", "/authoring/pages/{n}"),
    ("francoise", "POST", "/authoring/questionnaires/{n}/title"),
]


@pytest.mark.db_engine
@pytest.mark.parametrize("number", ["2^31", "2^63", "30 digits", "٣"])
@pytest.mark.parametrize(("name", "method", "path"), URL_IDS)
def test_an_id_out_of_range_in_the_url_is_404(signed_in, db, ids, name, method, path, number):
    browser = signed_in(name)
    url = path.format(n=HUGE[number], **ids)
    before = stored(db, KEPT)
    response = browser.get(url) if method == "GET" else browser.post(url, version="1")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert stored(db, KEPT) == before


# A number in a form or a query that is no id: the form again with its message, a stale
# save (409, as for any version that is not the item's), or 404 for an object of nothing.
FORM_NUMBERS = [
    ("lefevre", "/carnet/{j}/plan/{action}", {"title": "Marcher", "status": "todo",
     "responsible_account_id": "{n}", "version": "{action_version}"},
     400, "Choose a person from the list."),
    ("lefevre", "/carnet/{j}/plan/new", {"kind": "action", "parent": "{goal}", "title": "Kiné",
     "responsible_account_id": "{n}"}, 400, "Choose a person from the list."),
    ("lefevre", "/carnet/{j}/plan/{action}", {"title": "Marcher", "status": "todo",
     "version": "{n}"}, 409, "This was changed meanwhile"),
    ("lefevre", "/carnet/{j}/plan/{action}/status", {"status": "done", "version": "{n}"},
     409, "This was changed meanwhile"),
    ("lefevre", "/carnet/{j}/plan/{action}/delete", {"version": "{n}", "confirm": "1"}, 409,
     "This was changed meanwhile"),
    ("lefevre", "/carnet/{j}/plan/new", {"kind": "goal", "parent": "{n}", "title": "Marcher"},
     404, "Page not found"),
    ("lefevre", "/carnet/{j}/appointments/new", {"title": "Bilan", "kind": "visit",
     "professional_id": "{n}", "day": "2030-01-02", "start": "10:00", "end": "10:30"},
     400, "Choose a professional from the list."),
    ("lefevre", "/carnet/{j}/appointments/{appointment}/edit", {"title": "Bilan",
     "kind": "visit", "professional_id": "{lefevre}", "day": "2030-01-02", "start": "10:00",
     "end": "10:30", "version": "{n}"}, 409, "changed meanwhile"),
    ("lefevre", "/carnet/{j}/notes", {"body": "Vu.", "symptom_report_id": "{n}"}, 404,
     "Page not found"),
    ("jeanne", "/carnet/{j}/consent", {"grantee": "{n}", "section": "plan", "visible": "no"},
     404, "Page not found"),
    ("nadia", "/carnet/{j}/team/ask-access", {"professional": "{n}", "sections": ["plan"]},
     400, "Please choose a professional."),
    ("jeanne", "/understand/{slug}/feedback", {"page_id": "{n}", "clear": "yes"}, 400,
     "This page has changed since you opened it."),
]


@pytest.mark.db_engine
@pytest.mark.parametrize("number", list(HUGE))
@pytest.mark.parametrize(("name", "path", "form", "status", "message"), FORM_NUMBERS)
def test_a_number_that_is_no_id_is_refused_in_plain_words(
    signed_in, db, ids, name, path, form, status, message, number
):
    browser = signed_in(name)
    before = stored(db, KEPT)
    response = browser.post(path.format(**ids), **_fill(form, {**ids, "n": HUGE[number]}))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert stored(db, KEPT) == before


@pytest.mark.db_engine
@pytest.mark.parametrize("number", list(HUGE))
def test_the_demo_signs_in_no_one_for_an_account_of_nothing(demo_actions, number):
    token = demo_actions.csrf_token()
    response = demo_actions.client.post("/demo/sign-in", data={"account_id": HUGE[number],
                                                               "csrf_token": token})
    assert response.status_code == 404
    assert demo_actions.client.get("/").headers["Location"].endswith("/sign-in")


@pytest.mark.db_engine
@pytest.mark.parametrize("number", list(HUGE))
def test_a_reply_to_a_report_of_nothing_is_404(signed_in, db, ids, number):
    response = signed_in("lefevre").get(f"/carnet/{ids['j']}/notes?reply_to={HUGE[number]}")
    assert response.status_code == 404


@pytest.mark.db_engine
@pytest.mark.parametrize(("field", "value", "message"), [
    ("questionnaire_id", str(2**31), "This questionnaire does not exist."),
    ("questionnaire_id", "٣", "This questionnaire does not exist."),
    ("answer-breathlessness", "²", "Choose a number from 0 to 10."),
    ("answer-breathlessness", "1" + "0" * 5000, "Choose a number from 0 to 10."),
])
def test_a_report_with_a_number_that_is_none_is_refused(signed_in, db, ids, field, value,
                                                        message):
    form = {**report_form(db), field: value}
    jeanne = signed_in("jeanne")
    before = stored(db, KEPT)
    response = jeanne.post(f"/carnet/{ids['j']}/symptoms/new", **form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored(db, KEPT) == before


# A NUL byte: refused before any view, on both engines alike.
NUL_FORMS = [
    ("jeanne", "/carnet/{j}/notes", {"body": "Je tousse du sang\x00"}),
    ("lefevre", "/carnet/{j}/plan/new", {"kind": "problem", "title": "Toux\x00"}),
    ("lefevre", "/carnet/{j}/plan/{action}", {"title": "Marcher\x00", "status": "todo",
                                              "version": "{action_version}"}),
    ("lefevre", "/carnet/{j}/appointments/new", {"title": "Bilan\x00", "kind": "visit",
     "professional_id": "{lefevre}", "day": "2030-01-02", "start": "10:00", "end": "10:30"}),
    ("jeanne", "/understand/{slug}/feedback", {"page_id": "{page}", "clear": "no",
                                               "comment": "Trop long\x00"}),
    ("francoise", "/authoring/pages/new", {"title": "Le sel\x00", "body": "Moins de sel."}),
    ("jeanne", "/carnet/{j}/notes", {"body\x00": "Bonjour"}),
]


@pytest.mark.db_engine
@pytest.mark.parametrize(("name", "path", "form"), NUL_FORMS)
def test_a_nul_byte_in_a_form_is_refused_and_nothing_is_kept(signed_in, db, ids, name, path,
                                                             form):
    browser = signed_in(name)
    before = stored(db, KEPT)
    response = browser.post(path.format(**ids), **_fill(form, ids))
    assert response.status_code == 400
    assert UNKEEPABLE in response.get_data(as_text=True)
    assert stored(db, KEPT) == before


@pytest.mark.db_engine
def test_a_nul_byte_in_a_report_note_is_refused_and_nothing_is_kept(signed_in, db, ids):
    jeanne = signed_in("jeanne")
    before = stored(db, KEPT)
    response = jeanne.post(f"/carnet/{ids['j']}/symptoms/new",
                           **report_form(db, note="Je tousse\x00"))
    assert response.status_code == 400
    assert stored(db, KEPT) == before


@pytest.mark.db_engine
@pytest.mark.parametrize("path", ["/understand/%00", "/invite/%00", "/calendar/%00.ics",
                                  "/access/%00", "/carnet/{j}/notes?page=%00",
                                  "/carnet/{j}/symptoms/new?questionnaire=%00",
                                  "/carnet/{j}/symptoms/trends?days=%00"])
def test_a_nul_byte_in_the_url_is_refused(signed_in, ids, path):
    response = signed_in("jeanne").get(path.format(**ids))
    assert response.status_code == 400
    assert UNKEEPABLE in response.get_data(as_text=True)


def _deep(depth: int) -> bytes:
    return b'{"credential": ' + b"[" * depth + b"]" * depth + b"}"


# (persona or None for a visitor, path, body, the refusal's words)
JSON_BODIES = [
    (None, "/sign-in/verify", _deep(100_000), UNREADABLE),
    (None, "/sign-in/verify", _deep(50), UNREADABLE),
    (None, "/sign-in/verify", b'{"credential": {"id": "\\u0000"}}', UNKEEPABLE),
    (None, "/sign-in/verify", b'{"credential": {"id": "\\ud800"}}', UNKEEPABLE),
    (None, "/invite/nothing/register", _deep(100_000), UNREADABLE),
    ("jeanne", "/push/subscriptions", _deep(100_000), UNREADABLE),
    ("jeanne", "/push/subscriptions",
     b'{"endpoint": "https://fcm.googleapis.com/fcm/send/a\\u0000", "keys": {}}', UNKEEPABLE),
    ("jeanne", "/push/subscriptions/unsubscribe", b'{"endpoint": "\\u0000"}', UNKEEPABLE),
    ("jeanne", "/me/security/passkeys", _deep(100_000), UNREADABLE),
    ("jeanne", "/me/security/passkeys/options", b'{"\\u0000": 1}', UNKEEPABLE),
]


@pytest.mark.db_engine
@pytest.mark.parametrize(("name", "path", "body", "words"), JSON_BODIES)
def test_json_too_deep_or_with_a_nul_byte_is_refused(app, signed_in, client, db, demo, name,
                                                     path, body, words):
    browser = signed_in(name).actions.client if name else client
    page = browser.get("/sign-in" if name is None else "/me/").get_data(as_text=True)
    before = stored(db, KEPT)
    response = browser.post(path, data=body, content_type="application/json", headers={
        "X-CSRFToken": CSRF_META.search(page).group(1), "Accept-Language": "en"})
    assert response.status_code == 400
    assert words in response.get_json()["error"]
    assert stored(db, KEPT) == before


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: evil=1", "/carnet\nX-Evil: 1",
                                    "/\\evil.example.com", "/\x00", "https://evil.example.com"])
def test_the_language_switch_goes_home_rather_than_to_a_bad_next(demo_actions, target):
    token = demo_actions.csrf_token("/sign-in")
    response = demo_actions.client.post("/locale", data={"locale": "en", "next": target,
                                                         "csrf_token": token})
    if "\x00" in target:
        assert response.status_code == 400
        return
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "evil" not in str(response.headers)
