"""Fuzz: whatever id, number, byte or nesting reaches a route, the answer is never a 5xx.

Two sweeps, each signed in as a few of the demo's people (and as a visitor): every route
with an ``<int:…>`` in its path, with ids from 0 to 2^64 and far beyond, and forms and
queries full of numbers that are none; and every JSON endpoint (found by reading the
views: those that read or answer JSON), with bodies of every type, NUL bytes, lone
surrogates, huge numbers and nesting deep enough to break a recursive parser.
"""

from __future__ import annotations

import inspect
import json
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.auth.invitations import create_invitation
from app.models import InvitationKind
from app.security import limiter

from .conftest import CSRF_META, persona

PERSONAS = ("jeanne", "claire", "lefevre", "nadia", "francoise")
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
FUZZ = settings(max_examples=400, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

# Ids a row may have, ids of nothing, and ids no column can hold on either engine.
IDS = st.one_of(st.integers(0, 12), st.integers(2**31 - 3, 2**31 + 3),
                st.integers(2**63 - 3, 2**63 + 3), st.integers(0, 10**40))
# What a URL may say where an id goes: the converter takes ASCII digits only, so a sign,
# a separator or another script's digit does not even reach the view.
URL_IDS = st.one_of(IDS.map(str), st.sampled_from(["-1", "-0", "+1", "00", "0" * 40 + "7",
                                                   "1_000", "1e3", "²", "٣"]))
NUMBERS = st.one_of(IDS.map(str), st.sampled_from(["", "²", "٣", "-1", "1.5", " 1", "0x1f",
                                                  "1e9", "9" * 5000]))
TEXTS = st.one_of(st.text(max_size=12), st.sampled_from(["\x00", "a\x00b", "\r\n", "plan",
                                                        "page", "weight", "done", "yes"]))
FIELDS = ("version", "parent", "kind", "title", "body", "comment", "status", "section",
          "responsible_account_id", "professional_id", "grantee", "visible", "decision",
          "sections", "page_id", "clear", "questionnaire_id", "client_id", "note",
          "direction", "question", "reason", "name", "until", "action", "day", "start", "end",
          "symptom_report_id", "professional", "message", "locale", "next")
QUERY = ("reply_to", "page", "questionnaire", "days", "parent", "kind")
FORMS = st.dictionaries(st.sampled_from(FIELDS), st.one_of(NUMBERS, TEXTS), max_size=6)
QUERIES = st.dictionaries(st.sampled_from(QUERY), st.one_of(NUMBERS, TEXTS), max_size=2)

JSON_KEYS = st.one_of(st.sampled_from([
    "credential", "id", "rawId", "type", "response", "clientDataJSON", "authenticatorData",
    "signature", "userHandle", "attestationObject", "transports", "name", "endpoint", "keys",
    "p256dh", "auth", "expirationTime"]), st.text(max_size=4))
SCALARS = st.one_of(
    st.none(), st.booleans(), IDS, st.integers(-(10**30), 0), st.floats(allow_nan=False),
    st.text(max_size=16), st.sampled_from(["\x00", "\ud800", "public-key", "https://x/\x00"]),
)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(JSON_KEYS, inner, max_size=4)), max_leaves=12)


def _deep(depth: int, opener: str, closer: str) -> bytes:
    return (opener * depth + closer * depth).encode()


JSON_BODIES = st.one_of(
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    JSON_VALUES.map(lambda value: json.dumps({"credential": value}).encode()),
    st.builds(_deep, st.integers(10, 200_000), st.sampled_from(["[", '{"a":']),
              st.sampled_from(["]", "}"])),
    st.builds(lambda depth: b'{"credential": ' + _deep(depth, "[", "]") + b"}",
              st.integers(10, 200_000)),
    st.binary(max_size=20),
)


# The step that starts each passkey ceremony whose answer is fuzzed.
CEREMONIES = {"auth.sign_in_verify": "/sign-in/options",
              "auth.invitation_register": "/invite/<token>/options",
              "auth.add_passkey": "/me/security/passkeys/options"}


class Visitor:
    """A browser nobody signed in on."""

    def __init__(self, client):
        self.client = client
        page = client.get("/sign-in").get_data(as_text=True)
        self.token = CSRF_META.search(page).group(1)


@pytest.fixture
def people(signed_in, client):
    """The personas' browsers, signed in once for the whole sweep, and a visitor."""
    browsers = {name: signed_in(name) for name in PERSONAS}
    clients = {name: (b.actions.client, b.token) for name, b in browsers.items()}
    visitor = Visitor(client)
    clients["visitor"] = (visitor.client, visitor.token)
    return clients


def _path(rule: str, draw) -> str:
    """``rule`` with each argument drawn: an id for ``<int:…>``, some text for the others."""
    def value(match: re.Match) -> str:
        if match.group(1) == "int":
            return quote(draw(URL_IDS), safe="")
        return quote(draw(TEXTS) or "x", safe="")
    return ARGUMENT.sub(value, rule)


def _rules(app, keep) -> list[tuple[str, str, str]]:
    """(path, method, endpoint) of the routes ``keep`` keeps."""
    return sorted({(rule.rule, method, rule.endpoint) for rule in app.url_map.iter_rules()
                   for method in rule.methods & {"GET", "POST"} if keep(rule)})


def _speaks_json(app, endpoint: str) -> bool:
    """Whether the view reads a JSON body or answers JSON (read from its source)."""
    source = inspect.getsource(app.view_functions[endpoint])
    return any(word in source for word in ("get_json", "json_credential", "jsonify"))


def test_there_is_something_to_fuzz(app):
    """The sweeps below find their routes themselves: make sure they still find them."""
    assert len(_rules(app, lambda rule: "<int:" in rule.rule)) > 40
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if _speaks_json(app, rule.endpoint)}
    assert {"auth.sign_in_options", "auth.sign_in_verify", "auth.invitation_register",
            "auth.add_passkey", "push.subscribe", "push.unsubscribe",
            "symptoms.csrf_token"} <= endpoints


@pytest.mark.db_engine  # an id too large overflows each engine at its own size
def test_no_id_or_number_makes_an_int_route_fail(app, people):
    routes = _rules(app, lambda rule: "<int:" in rule.rule)

    @FUZZ
    @given(st.data())
    def sweep(data):
        limiter.reset()
        client, token = people[data.draw(st.sampled_from(sorted(people)))]
        rule, method, _endpoint = data.draw(st.sampled_from(routes))
        path = _path(rule, data.draw)
        query = data.draw(QUERIES)
        if method == "GET":
            response = client.get(path, query_string=query)
        else:
            form = {**data.draw(FORMS), "csrf_token": token}
            response = client.post(path, query_string=query, data=form)
        assert response.status_code < 500, (method, path, query)

    sweep()


@pytest.mark.db_engine  # a NUL byte fails on PostgreSQL only
def test_no_json_body_makes_a_json_endpoint_fail(app, people):
    with app.app_context(), Session(app.extensions["carnet.engine"]) as session:
        _, invitation = create_invitation(session, persona(session, "claire"),
                                          InvitationKind.RECOVERY)
        session.commit()
    routes = _rules(app, lambda rule: _speaks_json(app, rule.endpoint))

    @FUZZ
    @given(st.data())
    def sweep(data):
        limiter.reset()
        client, token = people[data.draw(st.sampled_from(sorted(people)))]
        rule, method, endpoint = data.draw(st.sampled_from(routes))
        token_in_path = data.draw(st.sampled_from([invitation, "nothing"]))
        path = _path(rule.replace("<token>", token_in_path), data.draw)
        body = data.draw(JSON_BODIES)
        if method == "GET":
            response = client.get(path)
        else:
            if endpoint in CEREMONIES and data.draw(st.booleans()):
                # A passkey ceremony started, as a browser would: the answer is then checked
                # against a real challenge, one step deeper.
                client.post(CEREMONIES[endpoint].replace("<token>", token_in_path), json={},
                            headers={"X-CSRFToken": token})
            response = client.post(path, data=body, content_type="application/json",
                                   headers={"X-CSRFToken": token})
        assert response.status_code < 500, (method, path, body[:200])

    sweep()
