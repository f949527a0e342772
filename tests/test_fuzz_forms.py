"""Fuzz: whatever lands in a form's number or date field, the answer is never a 5xx, and a
refused form keeps nothing.

The forms are found, not listed: every GET page of ``app.url_map`` (and each kind of page
its links lead to) is opened as six of the demo's people, and each ``<form method="post">``
is read as a browser would send it (its CSRF token, hidden fields, selected options, checked
boxes, first named button). Then one
field at a time — a number, a date, a time, an id, a version, or any field whose value is
digits — gets what a person, a phone keyboard or a copy-paste might put there: digits of
other scripts ("²", "٣", "١٢"), numbers of 30 digits, signs, blanks, long text, dates that
do not exist ("2026-02-30") or are written another way ("31/12/2026", "٢٠٢٦-٠١-٠١").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from app.models import PlanItem, PlanItemKind, metadata
from app.security import limiter

from .conftest import persona
from .test_page_titles import _drafts, _get_paths, _published
from .test_routes import WRITTEN_BY_READS, _sample_values

# Nadia the coordinator, outside Jeanne's team, is the one who asks access for someone else.
PERSONAS = ("jeanne", "claire", "lefevre", "amina", "nadia", "francoise")
# Written by any request (audited reads, "new" marks, the session's last activity), refused
# or not.
NOT_COMPARED = WRITTEN_BY_READS | {"account_session"}
# A field holds a number or a date when its input type or keyboard says so, when its value is
# digits, or when the last word of its name does (``due_date``, ``quiet_start``, ``made_at``).
NAMED = {"number", "date", "time", "id", "version", "parent", "page", "until", "day", "days",
         "start", "end", "at", "min", "max", "step", "length", "value", "change", "grantee"}
TYPED = {"number", "date", "time", "datetime-local", "month", "week", "range"}
# Forms the sweep leaves alone, because posting them would undo its own set-up rather than
# test an input: signing out ends the persona's session (and every device's), and the
# demo's sign-in makes the browser someone else (tests/test_bad_input.py sends it ids of
# nothing).
LEFT_ALONE = re.compile(r"/sign-out|/demo/sign-in")
# Forms that take something away — a plan item and its sub-items, an appointment, someone's
# access — get only what can never be a right number: a value that happened to be right would
# take away what the rest of the sweep works on.
DESTRUCTIVE = re.compile(r"/(delete|cancel|stop|revoke|remove)$")
MAX_EXAMPLES = 150

ODD = [
    "²", "٣", "١٢", "٠", "߁", "𝟗", "¹²", "Ⅻ", "〇",  # digits (and numbers) of other scripts
    "9" * 30, str(2**31), str(2**31 - 1), str(2**63), "1" + "0" * 400,
    "-1", "-0", "+1", "-" + "9" * 30, "1.5", "1e3", "0x1f", "1_000", " 1", "1 ",
    "", " ", "\t", "\u00a0", "\u200b", "\n",
    "2026-02-30", "2026-13-01", "2026-00-10", "0000-01-01", "9999-12-31", "10000-01-01",
    "31/12/2026", "12/31/2026", "2026-1-1", "٢٠٢٦-٠١-٠١", "２０２６-０１-０１", "2026-01-01T",
    "2026-01-01T10:00", "2026-W01", "-2026-01-01",
    "24:00", "25:61", "١٠:٣٠", "10:30:99", "10h30", "9:5",
    "0001-01-01", "00:00", "23:59", "é" * 500,  # the first and last days (and minutes)
]
# The values every field of a kind gets, before hypothesis makes up others: each one broke
# a form once (by a field's type, or the last word of its name).
BLANKS = ["", " "]
DAYS = ["2026-02-30", "31/12/2026", "٢٠٢٦-٠١-٠١", "0001-01-01", "9999-12-31", "²", *BLANKS]
TIMES = ["24:00", "١٠:٣٠", "00:00", "23:59", "²", "9" * 30, *BLANKS]
MOMENTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-02-30T10:00:00Z",
           "٢٠٢٦-٠١-٠١T10:00", "²", *BLANKS]
KNOWN_BAD = {
    # 401 digits: too large for a float, which NumberRange's isnan() once met with a 500.
    "number": ["²", "٣", "١٢", "9" * 30, "1" + "0" * 400, str(2**31), "-1", "1.5", "é" * 500,
               *BLANKS],
    "date": DAYS, "until": DAYS, "day": DAYS, "time": TIMES, "start": TIMES, "end": TIMES,
    "at": MOMENTS,
}
# What a person would type in a field left empty, by its type (lowercase text: a
# questionnaire's key takes nothing else).
PLAUSIBLE = {"text": "essai", "textarea": "essai", "search": "essai", "email": "essai@example.org",
             "tel": "0600000000", "url": "https://example.org", "number": "1",
             "date": (date.today() + timedelta(days=30)).isoformat(), "time": "10:00"}
# What is never a whole number in ASCII digits within an id's range.
NEVER_VALID_VALUES = [value for value in ODD if not (value.isascii() and value.isdigit()
                                                     and int(value) < 2**31)]
NEVER_VALID = st.one_of(
    st.sampled_from(NEVER_VALID_VALUES),
    st.text(st.characters(categories=["Nd", "No", "Nl"], exclude_characters="0123456789"),
            min_size=1, max_size=12),
)
VALUES = st.one_of(
    st.sampled_from(ODD),
    st.integers(-(10**30), 10**30).map(str),
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=12),
    st.dates().map(lambda day: day.isoformat()),
    st.text(max_size=40),
    st.text(min_size=300, max_size=3000),  # long unicode text
)


@dataclass(frozen=True)
class Form:
    """A form as a page shows it: who saw it, where it posts, and what it would send."""

    persona: str
    page: str
    action: str
    fields: tuple[tuple[str, str], ...]
    targets: tuple[str, ...]  # the fields that hold a number, a date or an id
    blanks: tuple[tuple[str, str], ...]  # (name, type) of the fields the page leaves empty
    kinds: dict[str, str]  # the type of the fields that say it: "date", "time", "number"…

    def with_value(self, name: str, value: str, filled: bool) -> MultiDict:
        """What the form sends with ``value`` in ``name``; ``filled``, the fields the page
        leaves empty filled in as a person would, so that the value meets the code that
        reads it after the checks of a required title or name."""
        plausible = {key: PLAUSIBLE[kind] for key, kind in self.blanks} if filled else {}
        kept = [(key, plausible.get(key) or old) for key, old in self.fields if key != name]
        return MultiDict([*kept, (name, value)])


class _FormReader(HTMLParser):
    """The ``<form method="post">`` of a page — each field's name, value and type — and where
    its links and GET forms lead."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: dict | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._radios: dict[str, str] = {}
        self._choices: dict[str, list[str]] = {}
        self._get_action: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = {"action": a.get("action", ""), "fields": [], "typed": {},
                              "button": None, "blanks": []}
                self._radios = {}
            else:
                self._get_action, self._choices = a.get("action", ""), {}
            return
        if self._get_action is not None and tag == "input" and a.get("type") == "radio":
            self._choices.setdefault(a.get("name", ""), []).append(a.get("value", ""))
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in TYPED:
                form["typed"][name] = kind
            elif a.get("inputmode") in ("numeric", "decimal"):
                form["typed"][name] = "number"
            if kind in ("submit", "image", "button", "reset", "file"):
                if kind == "submit" and form["button"] is None:
                    form["button"] = (name, a.get("value", ""))
            elif kind == "checkbox":
                if "checked" in a:
                    form["fields"].append((name, a.get("value", "on")))
            elif kind == "radio":
                if "checked" in a:
                    self._radios[name] = a.get("value", "on")
                else:
                    self._radios.setdefault(name, a.get("value", "on"))
            else:
                form["fields"].append((name, a.get("value", "")))
                if not a.get("value") and kind in PLAUSIBLE:
                    form["blanks"].append((name, kind))
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            if form["button"] is None:
                form["button"] = (name, a.get("value", ""))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        elif self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form" and self._get_action is not None:
            # A GET form that chooses a kind ("which kind of question?"): each choice is a page.
            for name, values in list(self._choices.items())[:1]:
                self.links += [f"{self._get_action}?{urlencode({name: value})}"
                               for value in values]
            self._get_action = None
        form = self._form
        if form is None:
            return
        if tag == "option" and self._option is not None:
            option = self._option
            value = option["value"] if option["value"] is not None else option["text"].strip()
            self._options.append((value, option["selected"]))
            self._option = None
        elif tag == "select" and self._select:
            if self._option is not None:
                self.handle_endtag("option")
            if any(value.isascii() and value.isdigit() for value, _ in self._options):
                form["typed"][self._select] = "number"  # a list of people or pages, by id
            chosen = [value for value, selected in self._options if selected]
            if chosen or self._options:
                form["fields"].append((self._select, (chosen or [self._options[0][0]])[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text).removeprefix("\n")
            form["fields"].append((self._textarea, text))
            if not text:
                form["blanks"].append((self._textarea, "textarea"))
            self._textarea = None
        elif tag == "form":
            form["fields"].extend(self._radios.items())
            if form["button"]:
                form["fields"].append(form["button"])
            self.forms.append(form)
            self._form = None


def _holds_a_number_or_date(name: str, value: str, typed: dict[str, str]) -> bool:
    if name == "csrf_token":
        return False
    return name in typed or re.split(r"[-_]", name)[-1] in NAMED or (
        value.isascii() and value.isdigit())


def _forms_of(persona: str, page: str, reader: _FormReader) -> list[Form]:
    forms = []
    for found in reader.forms:
        action = urljoin(page, found["action"] or page)
        if urlsplit(action).netloc or LEFT_ALONE.search(action):
            continue
        fields = tuple(found["fields"])
        targets = tuple(dict.fromkeys(
            name for name, value in fields
            if (name, value) != found["button"] and _holds_a_number_or_date(
                name, value, found["typed"])))
        if targets:
            forms.append(Form(persona, page, action.split("#")[0], fields, targets,
                              tuple(found["blanks"]), found["typed"]))
    return forms


def _shape(path: str) -> str:
    """A page's kind: its path and query with every number taken out (``/plan/3/edit`` and
    ``/plan/4/edit`` are one kind of page, ``?kind=goal`` and ``?kind=action`` two)."""
    return re.sub(r"\d+", "#", path)


def _start_paths(app, db, extra: dict[str, object]) -> list[str]:
    """Every GET route, with the demo's ids; the plan's pages once for each kind of item (a
    problem, a goal and an action have different forms)."""
    values = _sample_values(db) | _published(db) | extra
    jeanne = values["patient_id"]
    paths: dict[str, None] = {}
    for kind in PlanItemKind:
        item = db.exec(select(PlanItem.id).where(PlanItem.patient_id == jeanne,
                                                 PlanItem.kind == kind)).first()
        paths.update(dict.fromkeys(_get_paths(app, values | {"item_id": item})))
    return list(paths)


def _collect(app, db, browsers) -> list[Form]:
    """Every form with a number or a date field that the personas reach: on every GET route,
    and on the pages their links and GET forms lead to (one of each kind), once each (the
    same form on many pages counts once per person)."""
    urls = app.url_map.bind("localhost")
    seen: dict[tuple, Form] = {}
    for name, browser in browsers.items():
        extra = _drafts(browser.actions, db, _published(db)) if name == "francoise" else {}
        queue, visited = _start_paths(app, db, extra), set()
        shapes = {_shape(path) for path in queue}
        while queue:
            path = queue.pop(0)
            if path in visited:
                continue
            visited.add(path)
            response = browser.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            reader = _FormReader()
            reader.feed(response.get_data(as_text=True))
            for form in _forms_of(name, path, reader):
                key = (name, _shape(form.action), tuple(sorted(key for key, _ in form.fields)))
                seen.setdefault(key, form)
            for link in reader.links:
                target = urljoin(path, link).split("#")[0]
                parts = urlsplit(target)
                if parts.netloc or _shape(target) in shapes or LEFT_ALONE.search(target):
                    continue
                try:
                    urls.match(parts.path, method="GET")
                except HTTPException:
                    continue
                shapes.add(_shape(target))
                queue.append(target)
    return list(seen.values())


def _digest(engine) -> str:
    """What the database holds, apart from what every request may write."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name in NOT_COMPARED:
                continue
            rows = connection.execute(sa.select(table).order_by(*table.primary_key)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


@pytest.fixture
def forms(app, db, signed_in) -> tuple[dict, list[Form]]:
    """The personas' browsers, signed in once, and the forms they reach (found once)."""
    browsers = {name: signed_in(name) for name in PERSONAS}
    return browsers, _collect(app, db, browsers)


def _assert_the_sweep_finds_the_forms_with_numbers_and_dates(found) -> None:
    """The sweep below finds its forms itself: make sure it still finds the ones that
    matter (a change of a template's field names would otherwise empty it silently)."""
    reached = {(form.persona, _shape(form.action), name) for form in found
               for name in form.targets}
    assert {
        ("lefevre", "/carnet/#/plan/new", "parent"),
        ("lefevre", "/carnet/#/plan/new", "responsible_account_id"),
        ("lefevre", "/carnet/#/plan/#", "version"),
        ("lefevre", "/carnet/#/plan/#", "due_date"),
        ("lefevre", "/carnet/#/plan/#/delete", "version"),
        ("amina", "/carnet/#/plan/#/status", "version"),
        ("lefevre", "/carnet/#/appointments/new", "day"),
        ("lefevre", "/carnet/#/appointments/#/edit", "professional_id"),
        ("lefevre", "/carnet/#/appointments/#/cancel", "version"),
        ("lefevre", "/patients/new", "birth_date"),
        ("lefevre", "/carnet/#/notes", "symptom_report_id"),
        ("jeanne", "/carnet/#/consent", "grantee"),
        ("jeanne", "/carnet/#/consent/until", "until"),
        ("jeanne", "/me/caregivers/invite", "until"),
        ("jeanne", "/carnet/#/symptoms/new", "made_at"),
        ("claire", "/me/notifications/preferences", "quiet_start"),
        ("nadia", "/carnet/#/team/ask-access", "professional"),
        ("francoise", "/authoring/questionnaires/#/items/new?kind=number", "min"),
        ("francoise", "/authoring/questionnaires/#/rules/new?kind=trend", "days"),
    } <= reached, sorted(reached)


# A statement that writes, and the table it writes to.
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


class Kept:
    """The tables that committed transactions wrote to, as the engine ran them: what a
    request kept, without reading the whole database after each one (which was half the
    sweep's time). A write rolled back, or that touched no row, is not kept; one committed
    is, even if it put back the value that was there."""

    def __init__(self, engine):
        self.engine = engine
        self.open: dict[int, set[str]] = {}  # per connection, its transaction's writes
        self.tables: set[str] = set()
        self.events = [("after_cursor_execute", self._ran), ("commit", self._committed),
                       ("rollback", self._rolled_back)]
        for name, listener in self.events:
            sa.event.listen(engine, name, listener)

    def _ran(self, connection, cursor, statement, _parameters, _context, _many):
        written = WRITE.match(statement)
        # A compare-and-set that found its row changed (the 409 of a stale edit) wrote none.
        if written and written.group(1) not in NOT_COMPARED and cursor.rowcount != 0:
            self.open.setdefault(id(connection), set()).add(written.group(1))

    def _committed(self, connection):
        self.tables |= self.open.pop(id(connection), set())

    def _rolled_back(self, connection):
        self.open.pop(id(connection), None)

    def take(self) -> set[str]:
        tables, self.tables = self.tables, set()
        return tables

    def close(self) -> None:
        for name, listener in self.events:
            sa.event.remove(self.engine, name, listener)


class Poster:
    """Posts a form with one value changed, as its persona, and checks what came of it: never
    a 5xx, and nothing kept when the answer is a refusal."""

    def __init__(self, kept: Kept, browsers):
        self.kept, self.browsers = kept, browsers

    def post(self, form: Form, name: str, value: str, filled: bool) -> str | None:
        """What went wrong, if anything."""
        limiter.reset()
        client = self.browsers[form.persona].actions.client
        self.kept.take()
        response = client.post(form.action, data=form.with_value(name, value, filled))
        where = f"{form.persona} {form.action} {name}={value[:40]!r} filled={filled}"
        kept = self.kept.take()
        if response.status_code >= 500:
            return f"{where}: {response.status_code}"
        if response.status_code >= 400 and kept:
            return f"{where}: {response.status_code}, and it kept rows in {sorted(kept)}"
        return None  # an accepted form may change what it changes


def test_the_sweep_sees_what_a_request_keeps_and_not_what_it_rolls_back(engine, demo):
    kept = Kept(engine)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("UPDATE account SET locale = locale"))
            connection.rollback()
            connection.execute(sa.text("UPDATE account SET locale = locale WHERE id < 0"))
            connection.commit()
            assert kept.take() == set()
            connection.execute(sa.text("UPDATE account SET locale = locale"))
            connection.execute(sa.text("UPDATE carnet_visit SET patient_id = patient_id"))
            connection.commit()
        assert kept.take() == {"account"}  # a read's own writes are not compared
    finally:
        kept.close()


@pytest.fixture
def poster(engine, forms):
    kept = Kept(engine)
    yield Poster(kept, forms[0])
    kept.close()


def _known_bad(form: Form, name: str) -> list[str]:
    """The values that broke a field of this kind once (only those that can never be right,
    in a form that takes something away)."""
    kind = form.kinds.get(name) or re.split(r"[-_]", name)[-1]
    values = KNOWN_BAD[kind if kind in KNOWN_BAD else "number"]
    if DESTRUCTIVE.search(form.action):
        return [value for value in values if value in NEVER_VALID_VALUES]
    return values


@pytest.mark.db_engine  # an integer too large, or a date, is refused by each engine its way
def test_no_number_or_date_in_a_form_makes_it_fail_or_keeps_a_refused_form(forms, poster):
    """Each field (as the first persona who reaches it) gets the values of its kind that
    broke a form once, none left to chance: on each engine, which refuse them their way."""
    _browsers, found = forms
    _assert_the_sweep_finds_the_forms_with_numbers_and_dates(found)
    targets = [(form, name) for form in found for name in form.targets]
    fields = {(_shape(form.action), name): (form, name) for form, name in reversed(targets)}
    failures = [failure for form, name in fields.values()
                for value in _known_bad(form, name)
                if (failure := poster.post(form, name, value, filled=True))]
    assert not failures, "\n".join(failures)


def test_no_made_up_value_in_a_form_makes_it_fail_or_keeps_a_refused_form(forms, poster):
    """Then whatever hypothesis makes up, on PostgreSQL (the engines' differences are the
    known values above, which run on both)."""
    _browsers, found = forms
    targets = [(form, name) for form in found for name in form.targets]

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.sampled_from(targets), st.data(), st.booleans())
    def sweep(target, data, filled):
        form, name = target
        value = data.draw(NEVER_VALID if DESTRUCTIVE.search(form.action) else VALUES)
        failure = poster.post(form, name, value, filled)
        assert failure is None, failure

    sweep()


# What the sweep found, each a 500 once: a last day of sharing with no midnight after it
# (31/12/9999), and — two fields at once, which the sweep does not try — an appointment on
# the first day of the calendar before 00:09, Paris's offset then, so before any UTC instant.
FOUND = [
    ("/me/caregivers/invite", {"first_name": "Paul", "last_name": "Martin", "sections": "plan",
                               "email": "paul.martin@example.net", "until": "9999-12-31"},
     "This date is too far away. Leave it empty for no end."),
    ("/carnet/{j}/consent/until", {"grantee": "{claire}", "until": "9999-12-31"},
     "This date is too far away. Leave it empty for no end."),
    ("/carnet/{j}/appointments/new", {"title": "Bilan", "kind": "visit", "day": "0001-01-01",
                                      "start": "00:05", "end": "00:30"},
     "This date and time are already past."),
]


@pytest.mark.db_engine
@pytest.mark.parametrize(("path", "form", "message"), FOUND)
def test_a_date_at_the_end_of_the_calendar_is_refused_in_plain_words(
    signed_in, db, engine, jeanne_id, path, form, message
):
    ids = {"j": jeanne_id, "claire": persona(db, "claire").id}
    browser = signed_in("lefevre" if "appointments" in path else "jeanne")
    before = _digest(engine)
    response = browser.post(path.format(**ids),
                            **{key: value.format(**ids) for key, value in form.items()})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _digest(engine) == before
