"""Hand-over by QR code (SMART Health Links): the link carries the key, Carnet only the
ciphertext; the manifest gives the chosen parts only, to a named recipient, while the link
lives and the passcode is right; the sixth wrong passcode ends it; every request is in
"Who saw my carnet"."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from jwcrypto import jwe, jwk
from sqlmodel import select

from app.models import AuditAction, AuditEvent, HealthLink, HealthLinkUse
from app.types import utcnow

from .carnet_actions import stored
from .test_fhir_export import _valid
from .test_query_counts import QueryCounter

# The FOR UPDATE of a manifest request, and the count of wrong passcodes, on each engine.
pytestmark = pytest.mark.db_engine


def _decoded(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_link(jeanne, patient_id: int, **form) -> dict:
    """Jeanne makes a link; the SMART Health Link it shows her, decoded."""
    answer = jeanne.post(f"/carnet/{patient_id}/handover", **{
        "sections": ["plan", "appointments"], "lifetime": "1d", **form})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = jeanne.get(urlsplit(answer.headers["Location"]).path).get_data(as_text=True)
    url = html.unescape(re.search(r'id="health-link" type="text" readonly dir="ltr" '
                                  r'value="([^"]+)"', page).group(1))
    viewer, shlink = url.split("#")
    assert viewer == "http://localhost:5000/shl/view"
    assert shlink.startswith("shlink:/")
    return json.loads(_decoded(shlink.removeprefix("shlink:/")))


def ask(client, link: dict, recipient="Dr Anne Roux, urgences", **fields):
    return client.post(urlsplit(link["url"]).path, json={"recipient": recipient, **fields})


def opened(link: dict, answer) -> dict:
    """The Bundle in the manifest's answer, decrypted with the link's key (jwcrypto)."""
    assert answer.status_code == 200, answer.get_data(as_text=True)
    files = answer.get_json()["files"]
    assert [file["contentType"] for file in files] == ["application/fhir+json"]
    token = jwe.JWE()
    token.deserialize(files[0]["embedded"], key=jwk.JWK(kty="oct", k=link["key"]))
    assert json.loads(token.objects["protected"]) == {
        "alg": "dir", "enc": "A256GCM", "cty": "application/fhir+json"}
    return json.loads(token.payload)


def test_a_link_hands_over_the_chosen_parts_only_to_whoever_holds_it(signed_in, client, db,
                                                                     jeanne_id):
    jeanne = signed_in("jeanne")
    link = make_link(jeanne, jeanne_id, label="Pour les urgences")
    # The SMART Health Links payload: a manifest url of 256 bits, a 256-bit key, an expiry.
    assert set(link) == {"url", "key", "exp", "label", "v"} and link["label"] == "Pour les urgences"
    assert len(_decoded(link["key"])) == 32 and len(link["url"]) <= 128
    assert abs(link["exp"] - (utcnow() + timedelta(days=1)).timestamp()) < 60
    # Shown once: Carnet keeps no copy of the key.
    row = db.exec(select(HealthLink)).one()
    assert 'readonly dir="ltr"' not in jeanne.get(
        f"/carnet/{jeanne_id}/handover/{row.id}").get_data(as_text=True)
    assert link["key"] not in json.dumps([str(value) for value in row.model_dump().values()])

    bundle = opened(link, ask(client, link))  # a client signed in as nobody
    kinds = _valid(bundle)
    assert {"Patient", "CarePlan", "Appointment"} <= set(kinds)
    assert not set(kinds) & {"CareTeam", "QuestionnaireResponse", "Observation",
                             "Communication", "Consent", "AuditEvent"}

    # Each retrieval is in "Who saw my carnet", with the name the recipient gave.
    lines = db.exec(select(AuditEvent).where(AuditEvent.object_type == "health_link")).all()
    assert sorted((line.action, line.section, line.allowed, line.actor_account_id)
                  for line in lines) == [(AuditAction.EXPORT, "appointments", True, None),
                                         (AuditAction.EXPORT, "plan", True, None)]
    who_saw = jeanne.get(f"/carnet/{jeanne_id}/who-saw").get_data(as_text=True)
    assert ("Someone who gave the name “\u2068Dr Anne Roux, urgences\u2069” opened your QR "
            "code and received a copy of your care plan.") in who_saw
    page = jeanne.get(f"/carnet/{jeanne_id}/handover").get_data(as_text=True)
    assert "Pour les urgences" in page and "Opened 1 time." in page


def test_a_passcode_forgives_five_wrong_tries_and_the_sixth_ends_the_link(signed_in, client,
                                                                         db, jeanne_id):
    link = make_link(signed_in("jeanne"), jeanne_id, passcode="7341")
    assert link["flag"] == "P"
    assert ask(client, link).status_code == 401  # no passcode at all is a wrong one
    for left in (4, 3, 2, 1):
        answer = ask(client, link, passcode="0000")
        assert (answer.status_code, answer.get_json()) == (401, {"remainingAttempts": left})
    opened(link, ask(client, link, passcode="7341"))  # the fifth wrong one was forgiven
    answer = ask(client, link, passcode="1111")  # the sixth
    assert (answer.status_code, answer.get_json()) == (401, {"remainingAttempts": 0})
    assert ask(client, link, passcode="7341").status_code == 404  # ended, for good
    row = db.exec(select(HealthLink)).one()
    db.refresh(row)
    assert row.ended_at is not None and row.content == ""
    uses = db.exec(select(HealthLinkUse).order_by(HealthLinkUse.id)).all()
    assert [use.given for use in uses] == [False] * 5 + [True, False, False]
    refused = db.exec(select(AuditEvent).where(AuditEvent.object_type == "health_link",
                                               AuditEvent.allowed.is_(False))).all()
    assert len(refused) == 7 and {line.section for line in refused} == {"carnet"}


def test_an_expired_or_ended_link_gives_nothing(signed_in, client, db, jeanne_id):
    jeanne = signed_in("jeanne")
    expiring, ending = make_link(jeanne, jeanne_id), make_link(jeanne, jeanne_id)
    first, second = db.exec(select(HealthLink).order_by(HealthLink.id)).all()
    first.expires_at = utcnow() - timedelta(seconds=1)
    db.add(first)
    db.commit()
    assert ask(client, expiring).status_code == 404
    # One tap ends it.
    assert jeanne.post(f"/carnet/{jeanne_id}/handover/{second.id}/end").status_code == 302
    assert ask(client, ending).status_code == 404
    db.refresh(second)
    assert second.ended_at is not None and second.content == ""
    page = jeanne.get(f"/carnet/{jeanne_id}/handover").get_data(as_text=True)
    assert "Expired on" in page and "Ended on" in page and "Stop this link" not in page
    who_saw = jeanne.get(f"/carnet/{jeanne_id}/who-saw").get_data(as_text=True)
    assert who_saw.count("tried to open your QR code. It was refused") == 2
    assert ask(client, {"url": "http://localhost:5000/shl/" + "x" * 43}).status_code == 404


TABLES = ("health_link", "health_link_use", "audit_event")


@pytest.mark.parametrize("form, field, message", [
    ({"sections": []}, "sections", "Cochez au moins une partie du carnet."),
    ({"sections": ["plan", "consent"]}, "sections", "Cochez au moins une partie du carnet."),
    ({"lifetime": "100y"}, "lifetime", "Choisissez combien de temps le lien fonctionne."),
    ({"passcode": "12"}, "passcode",
     "Un code a au moins 4 caractères, ou aucun."),
    ({"label": "x" * 81}, "label", "81"),
])
def test_a_wrong_hand_over_form_says_why_in_french_and_makes_nothing(signed_in, db, jeanne_id,
                                                                     form, field, message):
    jeanne = signed_in("jeanne")
    jeanne.actions.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    before = stored(db, TABLES)
    answer = jeanne.post(f"/carnet/{jeanne_id}/handover",
                         **{"sections": ["plan"], "lifetime": "1d", **form})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert re.search(rf'<p id="{field}-error" class="field-error">[^<]*{message}', page), page
    assert stored(db, TABLES) == before


@pytest.mark.parametrize("body", [
    None, "not json", [], {}, {"recipient": ""}, {"recipient": "   "}, {"recipient": 7},
    {"recipient": "x" * 81}, {"recipient": "Dr Roux", "passcode": 1234},
])
def test_a_malformed_manifest_request_gets_400_and_changes_nothing(signed_in, client, db,
                                                                  jeanne_id, body):
    link = make_link(signed_in("jeanne"), jeanne_id)
    before = stored(db, TABLES)
    path = urlsplit(link["url"]).path
    answer = (client.post(path, data=body) if isinstance(body, str | None)
              else client.post(path, json=body))
    assert answer.status_code == 400 and "error" in answer.get_json()
    assert stored(db, TABLES) == before


def test_any_smart_health_links_reader_may_ask_across_origins(client):
    answer = client.options("/shl/whatever", headers={
        "Origin": "https://reader.example.org", "Access-Control-Request-Method": "POST"})
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]


def _links_used(db, patient_id: int, first: int, count: int) -> None:
    """``count`` more links, each opened once by a named recipient, as "Who saw" lists them."""
    now = utcnow()
    for n in range(first, first + count):
        link = HealthLink(patient_id=patient_id, token_hash=f"{n:064d}", sections=["plan"],
                          content="sealed", expires_at=now + timedelta(days=1))
        db.add(link)
        db.flush()
        use = HealthLinkUse(link_id=link.id, recipient=f"Dr {n}", given=True)
        db.add(use)
        db.flush()
        db.add(AuditEvent(patient_id=patient_id, section="plan", action=AuditAction.EXPORT,
                          object_type="health_link", object_id=use.id))
    db.commit()


def test_the_hand_over_page_and_who_saw_make_as_many_queries_with_40_links_as_with_1(
        signed_in, db, engine, jeanne_id):
    jeanne = signed_in("jeanne")
    count = QueryCounter(engine, jeanne.actions)
    pages = [f"/carnet/{jeanne_id}/handover", f"/carnet/{jeanne_id}/who-saw"]
    _links_used(db, jeanne_id, 0, 1)
    for page in pages:
        count(page)
    with_1 = {page: count(page) for page in pages}
    _links_used(db, jeanne_id, 1, 39)
    assert {page: count(page) for page in pages} == with_1
    assert "“\u2068Dr 38\u2069”" in jeanne.get(pages[1]).get_data(as_text=True)


def test_the_31st_request_for_links_within_a_minute_gets_429(client):
    """Passcodes are guarded by the link itself (six wrong ones end it); the limit bounds
    the guessing of links from one client."""
    statuses = [client.post(f"/shl/{'x' * 43}", json={"recipient": "Dr Roux"}).status_code
                for _ in range(31)]
    assert statuses == [404] * 30 + [429]
    assert client.post(f"/shl/{'x' * 43}", json={"recipient": "Dr Roux"}).get_json()["error"]
