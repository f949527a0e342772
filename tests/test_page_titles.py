"""A page's <title> says what kind of page it is, never whose carnet or what is in it: titles
land in the browser's history, in synced tabs and on the lock screen's task switcher."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from app.models import (
    Account,
    Appointment,
    ContentPage,
    ContentStatus,
    PlanItem,
    Questionnaire,
)

from .test_routes import _sample_values

TITLE = re.compile(r"<title>(.*?)</title>", re.S)
# Pages that show one patient's plan, appointment, report or one educational page: each
# persona must reach some of them, or the walk would prove nothing.
CONTENT_PAGES = {
    "jeanne": ("carnet.appointment", "carnet.item_page", "symptoms.new_report",
               "understand.page", "understand.for_carnet", "fhir.handover", "fhir.viewer"),
    "claire": ("carnet.appointment", "carnet.item_page", "understand.page"),
    "lefevre": ("carnet.appointment", "carnet.item_page", "carnet.edit_item",
                "authoring.page", "authoring.questionnaire", "symptoms.new_report"),
    "francoise": ("authoring.page", "authoring.questionnaire", "authoring.edit_item",
                  "authoring.edit_rule", "authoring.try_questionnaire", "understand.page"),
}


def _health_and_names(db) -> set[str]:
    """What the demo's titles must never show: the people and what their carnets hold."""
    words = {"Jeanne", "Martin", "Karim", "Belkacem", "Lefèvre"}
    for account in db.exec(select(Account)).all():
        words |= {account.first_name, account.last_name}
    for model in (PlanItem, Appointment, Questionnaire, ContentPage):
        words |= set(db.exec(select(model.title)).all())
    return {w for w in words if w}


def _published(db) -> dict[str, object]:
    """The first published questionnaire and page of the demo, whatever their ids (the demo
    is loaded again every few minutes, and PostgreSQL's ids do not start over)."""
    first = {name: db.exec(select(model.id).where(model.status == ContentStatus.PUBLISHED)
                           .order_by(model.id)).first()
             for model, name in ((Questionnaire, "questionnaire_id"), (ContentPage, "page_id"))}
    return first | {"content_id": first["page_id"]}


def _drafts(demo_actions, db, published: dict[str, object]) -> dict[str, object]:
    """New versions of the first questionnaire and page, whose edit pages then open."""
    values: dict[str, object] = {}
    for kind, name in (("questionnaires", "questionnaire_id"), ("pages", "page_id")):
        path = f"/authoring/{kind}/{published[name]}"
        response = demo_actions.client.post(
            f"{path}/new-version", data={"csrf_token": demo_actions.csrf_token(path)})
        values[name] = int(re.search(rf"/authoring/{kind}/(\d+)", response.headers["Location"])[1])
    draft = db.get(Questionnaire, values["questionnaire_id"])
    values["key"] = draft.definition["items"][0]["key"]
    values["rule_key"] = draft.definition["rules"][0]["key"]
    return values


def _get_paths(app, values: dict[str, object]) -> list[str]:
    return [rule.build({name: values[name] for name in rule.arguments})[1]
            for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())]


@pytest.mark.parametrize("who", ["jeanne", "claire", "lefevre", "francoise"])
def test_no_title_names_anyone_or_shows_health_content(app, db, demo_actions, who):
    forbidden = _health_and_names(db)
    demo_actions.sign_in(who)
    values = _sample_values(db) | _published(db)
    if who == "francoise":
        values |= _drafts(demo_actions, db, values)
    reached = set()
    for path in _get_paths(app, values):
        response = demo_actions.client.get(path)
        if response.mimetype != "text/html" or 300 <= response.status_code < 400:
            continue
        match = TITLE.search(response.get_data(as_text=True))
        assert match is not None, path
        title = html.unescape(match.group(1))
        shown = sorted(w for w in forbidden if w in title)
        assert not shown, (path, title, shown)
        assert title.endswith(" · Carnet") and len(title) > len(" · Carnet"), (path, title)
        if response.status_code == 200:
            reached.add(app.url_map.bind("localhost").match(path)[0])
    assert set(CONTENT_PAGES[who]) <= reached, set(CONTENT_PAGES[who]) - reached
