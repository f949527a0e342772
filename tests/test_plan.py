"""The care plan: safe concurrent edits, its history, who may change what, and bad input."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.models import (
    ActionStatus,
    AuditEvent,
    ChangeKind,
    Notification,
    NotificationKind,
    PlanItem,
    PlanRevision,
)

from .carnet_actions import Browser, field_error, stored
from .conftest import persona

# Tables a refused change must leave as they were (reads may write audit and visit rows).
CARNET_TABLES = ("plan_item", "plan_revision", "notification")

# Demo actions, by who is responsible for them.
JEANNES_ACTION = "Me peser chaque matin et noter mon poids"
CLAIRES_ACTION = "Organiser le portage des repas"
AMINAS_ACTION = "Passage infirmier 2 fois par semaine"


def _item(db, title: str) -> PlanItem:
    db.expire_all()
    return db.exec(select(PlanItem).where(PlanItem.title == title)).one()


def _history(db, item: PlanItem) -> list[tuple[ChangeKind, int | None]]:
    db.expire_all()
    return [(r.change, r.account_id) for r in db.exec(
        select(PlanRevision).where(PlanRevision.plan_item_id == item.id).order_by(PlanRevision.id)
    )]


def _edit_form(browser: Browser, patient_id: int, item: PlanItem, **changes) -> dict:
    """The edit form of ``item`` as the browser shows it, with some fields changed."""
    page = browser.get(f"/carnet/{patient_id}/plan/{item.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    form = {"title": item.title, "details": item.details, "status": item.status.value,
            "responsible_account_id": str(item.responsible_account_id or ""),
            "due_date": item.due_date.isoformat() if item.due_date else "", "version": version}
    return {**form, **changes}


def _notified(db, kind: NotificationKind) -> set[str]:
    db.expire_all()
    names = {persona(db, name).id: name for name in ("jeanne", "claire", "lefevre", "amina")}
    return {names.get(n.account_id, "other") for n in db.exec(
        select(Notification).where(Notification.kind == kind))}


def _audit_trail(db, name: str) -> list[tuple[str, str, bool]]:
    db.expire_all()
    return [(e.section, e.action.value, e.allowed) for e in db.exec(
        select(AuditEvent).where(AuditEvent.actor_account_id == persona(db, name).id)
        .order_by(AuditEvent.id))]


# Concurrent edits --------------------------------------------------------------------------

@pytest.mark.db_engine
def test_when_two_professionals_edit_the_same_item_the_first_save_wins(signed_in, db, jeanne_id):
    lefevre, amina = signed_in("lefevre"), signed_in("amina")
    item = _item(db, JEANNES_ACTION)
    lefevres_form = _edit_form(lefevre, jeanne_id, item, title="Me peser chaque matin, à jeun")
    aminas_form = _edit_form(amina, jeanne_id, item, title="Me peser sur la même balance")
    assert lefevres_form["version"] == aminas_form["version"]

    assert lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}", **lefevres_form).status_code == 302
    refused = amina.post(f"/carnet/{jeanne_id}/plan/{item.id}", **aminas_form)

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "This was changed meanwhile by Dr Paul Lefèvre. Here is what it says now." in page
    assert 'value="Me peser chaque matin, à jeun"' in page
    assert f'name="version" value="{int(aminas_form["version"]) + 1}"' in page
    assert _item(db, "Me peser chaque matin, à jeun").updated_by_id == persona(db, "lefevre").id


def test_after_a_refused_save_both_versions_are_in_the_items_history(signed_in, db, jeanne_id):
    lefevre, amina = signed_in("lefevre"), signed_in("amina")
    item = _item(db, JEANNES_ACTION)
    stale = _edit_form(amina, jeanne_id, item, title="Me peser sur la même balance")
    lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}",
                 **_edit_form(lefevre, jeanne_id, item, title="Me peser chaque matin, à jeun"))
    assert amina.post(f"/carnet/{jeanne_id}/plan/{item.id}", **stale).status_code == 409

    # Amina reads what it says now, and saves her change over it.
    current = _item(db, "Me peser chaque matin, à jeun")
    again = _edit_form(amina, jeanne_id, current, title="Me peser sur la même balance")
    assert amina.post(f"/carnet/{jeanne_id}/plan/{item.id}", **again).status_code == 302

    lefevre_id, amina_id = persona(db, "lefevre").id, persona(db, "amina").id
    assert _history(db, item)[-2:] == [(ChangeKind.UPDATED, lefevre_id),
                                       (ChangeKind.UPDATED, amina_id)]
    page = amina.get(f"/carnet/{jeanne_id}/plan/{item.id}").get_data(as_text=True)
    assert f"Title: {JEANNES_ACTION} → Me peser chaque matin, à jeun" in page
    assert "Title: Me peser chaque matin, à jeun → Me peser sur la même balance" in page


@pytest.mark.db_engine
def test_a_status_saved_from_a_stale_page_is_refused(signed_in, db, jeanne_id):
    jeanne, lefevre = signed_in("jeanne"), signed_in("lefevre")
    item = _item(db, JEANNES_ACTION)
    status, version = item.status, item.version
    lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}",
                 **_edit_form(lefevre, jeanne_id, item, details="Avant le petit-déjeuner."))

    refused = jeanne.post(f"/carnet/{jeanne_id}/plan/{item.id}/status", status="done",
                          version=str(version))

    assert refused.status_code == 409
    assert "changed meanwhile by Dr Paul Lefèvre" in refused.get_data(as_text=True)
    assert status != ActionStatus.DONE
    assert _item(db, JEANNES_ACTION).status == status


@pytest.mark.db_engine
def test_a_refused_save_is_a_read_in_the_audit_trail_never_a_change(
    signed_in, db, jeanne_id, subtests
):
    """Amina was shown the plan as it is now (the form again, with what is wrong or who
    changed it meanwhile): a read, like any other. A bare 400 shows nothing: no line."""
    lefevre, amina = signed_in("lefevre"), signed_in("amina")
    item = _item(db, JEANNES_ACTION)
    stale = _edit_form(amina, jeanne_id, item, title="Me peser sur la même balance")
    lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}",
                 **_edit_form(lefevre, jeanne_id, item, title="Me peser chaque matin, à jeun"))
    read = [("plan", "read", True)]
    for refusal, status, path, form, lines in [
        ("stale save", 409, "", stale, read),
        ("empty title", 400, "", {**stale, "title": ""}, read),
        ("stale status", 409, "/status", {"status": "done", "version": stale["version"]}, read),
        ("unknown status", 400, "/status", {"status": "finished", "version": "2"}, []),
        ("stale removal", 409, "/delete", {"version": stale["version"], "confirm": "1"}, read),
        ("empty comment", 400, "/comments", {"comment": ""}, read),
        ("unknown direction", 400, "/move", {"direction": "left"}, []),
    ]:
        with subtests.test(refusal):
            audited = _audit_trail(db, "amina")
            response = amina.post(f"/carnet/{jeanne_id}/plan/{item.id}{path}", **form)
            assert response.status_code == status
            assert _audit_trail(db, "amina") == audited + lines


# Who may change what -----------------------------------------------------------------------

def test_jeanne_marks_her_own_action_done(signed_in, db, jeanne_id):
    item = _item(db, JEANNES_ACTION)
    response = signed_in("jeanne").post(f"/carnet/{jeanne_id}/plan/{item.id}/status",
                                        status="done", version=str(item.version))
    assert response.status_code == 302
    assert _item(db, JEANNES_ACTION).status == ActionStatus.DONE
    assert _history(db, item)[-1] == (ChangeKind.STATUS, persona(db, "jeanne").id)


EDITS = [
    ("GET", "/plan/{item}/edit"),
    ("GET", "/plan/new"),
    ("GET", "/plan/new?kind=action&parent={goal}"),
    ("POST", "/plan/{item}"),
    ("POST", "/plan/new"),
    ("POST", "/plan/{item}/move"),
    ("POST", "/plan/{item}/delete"),
]


def test_jeanne_cannot_edit_her_plan(signed_in, db, jeanne_id, subtests):
    jeanne = signed_in("jeanne")
    item = _item(db, JEANNES_ACTION)
    goal = _item(db, "Éviter une nouvelle hospitalisation")
    before = stored(db, CARNET_TABLES)
    for method, path in EDITS:
        with subtests.test(method=method, path=path):
            url = f"/carnet/{jeanne_id}" + path.format(item=item.id, goal=goal.id)
            if method == "GET":
                response = jeanne.get(url)
            else:
                response = jeanne.post(url, kind="problem", title="Mon problème",
                                       direction="up", version=str(item.version))
            assert response.status_code == 404
            assert stored(db, CARNET_TABLES) == before


def test_jeanne_cannot_set_the_status_of_an_action_amina_does(signed_in, db, jeanne_id):
    item = _item(db, AMINAS_ACTION)
    before = stored(db, CARNET_TABLES)
    response = signed_in("jeanne").post(f"/carnet/{jeanne_id}/plan/{item.id}/status",
                                        status="done", version=str(item.version))
    assert response.status_code == 404
    assert stored(db, CARNET_TABLES) == before


def test_claire_sets_the_status_of_an_action_she_is_responsible_for(signed_in, db, jeanne_id):
    claire = signed_in("claire")
    item = _item(db, CLAIRES_ACTION)
    page = claire.get(f"/carnet/{jeanne_id}/plan").get_data(as_text=True)
    assert f'action="/carnet/{jeanne_id}/plan/{item.id}/status"' in page

    response = claire.post(f"/carnet/{jeanne_id}/plan/{item.id}/status", status="done",
                           version=str(item.version))

    assert response.status_code == 302
    assert _item(db, CLAIRES_ACTION).status == ActionStatus.DONE
    assert _history(db, item)[-1] == (ChangeKind.STATUS, persona(db, "claire").id)


def test_claire_cannot_change_what_is_not_hers_to_change(signed_in, db, jeanne_id, subtests):
    claire = signed_in("claire")
    other, own = _item(db, AMINAS_ACTION), _item(db, CLAIRES_ACTION)
    before = stored(db, CARNET_TABLES)
    for path, data in [
        (f"/plan/{other.id}/status", {"status": "done"}),  # Amina's action
        (f"/plan/{own.id}/comments", {"comment": "C'est fait."}),  # she may not write
        (f"/plan/{own.id}", {"title": "Portage des repas"}),  # nor edit her own action
    ]:
        with subtests.test(path=path):
            response = claire.post(f"/carnet/{jeanne_id}{path}", version="1", **data)
            assert response.status_code == 404
            assert stored(db, CARNET_TABLES) == before


def test_jeanne_comments_on_an_action_amina_does(signed_in, db, jeanne_id):
    jeanne = signed_in("jeanne")
    item = _item(db, AMINAS_ACTION)
    response = jeanne.post(f"/carnet/{jeanne_id}/plan/{item.id}/comments",
                           comment="Le mardi matin m'arrange mieux.")
    assert response.status_code == 302
    assert _history(db, item)[-1] == (ChangeKind.COMMENT, persona(db, "jeanne").id)
    page = jeanne.get(f"/carnet/{jeanne_id}/plan/{item.id}").get_data(as_text=True)
    assert "Le mardi matin m&#39;arrange mieux." in page


def _titles_in_order(page: str, titles: list[str]) -> list[str]:
    return sorted(titles, key=page.index)


def test_moving_an_item_down_then_up_changes_the_order(signed_in, db, jeanne_id):
    lefevre = signed_in("lefevre")
    first, second = JEANNES_ACTION, AMINAS_ACTION
    item = _item(db, first)

    lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}/move", direction="down")
    page = lefevre.get(f"/carnet/{jeanne_id}/plan").get_data(as_text=True)
    assert _titles_in_order(page, [first, second]) == [second, first]
    assert _item(db, first).position > _item(db, second).position

    lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}/move", direction="up")
    page = lefevre.get(f"/carnet/{jeanne_id}/plan").get_data(as_text=True)
    assert _titles_in_order(page, [first, second]) == [first, second]
    assert _history(db, item)[-2:] == [(ChangeKind.MOVED, persona(db, "lefevre").id)] * 2


def test_removing_an_item_hides_it_and_its_children_but_keeps_its_history(
    signed_in, db, jeanne_id
):
    lefevre = signed_in("lefevre")
    goal = _item(db, "Éviter une nouvelle hospitalisation")
    children = db.exec(select(PlanItem).where(PlanItem.parent_id == goal.id)).all()
    assert len(children) == 5

    response = lefevre.post(f"/carnet/{jeanne_id}/plan/{goal.id}/delete",
                            version=str(goal.version), confirm="1")

    assert response.status_code == 302
    plan = lefevre.get(f"/carnet/{jeanne_id}/plan").get_data(as_text=True)
    assert goal.title not in plan
    assert not [child.title for child in children if child.title in plan]
    assert "Insuffisance cardiaque" in plan
    assert lefevre.get(f"/carnet/{jeanne_id}/plan/{children[0].id}").status_code == 404
    assert _history(db, goal)[-1] == (ChangeKind.DELETED, persona(db, "lefevre").id)
    assert all(_history(db, child) for child in children)
    changes = lefevre.get(f"/carnet/{jeanne_id}/changes").get_data(as_text=True)
    assert f"{goal.title}</strong></a>\n      — removed from the plan" in changes


# Who is told -------------------------------------------------------------------------------

def test_dr_lefevres_change_tells_jeanne_and_claire_but_not_him(signed_in, db, jeanne_id):
    lefevre = signed_in("lefevre")
    item = _item(db, JEANNES_ACTION)
    lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}",
                 **_edit_form(lefevre, jeanne_id, item, title="Me peser chaque matin, à jeun"))
    assert _notified(db, NotificationKind.PLAN_CHANGED) == {"jeanne", "claire"}


def test_claires_status_change_tells_jeanne_but_not_claire(signed_in, db, jeanne_id):
    item = _item(db, CLAIRES_ACTION)
    signed_in("claire").post(f"/carnet/{jeanne_id}/plan/{item.id}/status", status="done",
                             version=str(item.version))
    assert _notified(db, NotificationKind.PLAN_CHANGED) == {"jeanne"}


def test_jeannes_comment_tells_claire_but_not_jeanne(signed_in, db, jeanne_id):
    item = _item(db, AMINAS_ACTION)
    signed_in("jeanne").post(f"/carnet/{jeanne_id}/plan/{item.id}/comments", comment="Merci !")
    assert _notified(db, NotificationKind.PLAN_CHANGED) == {"claire"}


def test_jeannes_home_lists_dr_lefevres_change_but_not_her_own(signed_in, db, jeanne_id):
    jeanne, lefevre = signed_in("jeanne"), signed_in("lefevre")
    item = _item(db, "Examen des pieds, au moins une fois par an")
    lefevre.post(f"/carnet/{jeanne_id}/plan/{item.id}",
                 **_edit_form(lefevre, jeanne_id, item, title="Examen des pieds chaque année"))
    own = _item(db, CLAIRES_ACTION)
    jeanne.post(f"/carnet/{jeanne_id}/plan/{own.id}/comments", comment="Claire s'en occupe.")

    home = jeanne.get(f"/carnet/{jeanne_id}/").get_data(as_text=True)

    assert "What changed since my last visit" in home
    assert "Title: Examen des pieds, au moins une fois par an → Examen des pieds chaque année" in (
        home)
    assert "Claire s&#39;en occupe." not in home


# Bad input ---------------------------------------------------------------------------------

TOO_LONG = {"title": "t" * 201, "details": "d" * 2001, "comment": "c" * 1001}
BAD_INPUT = [
    # (what, form, field's error id, message)
    ("new", {"title": "   "}, "title-error-new", "Please write something here."),
    ("new", {"title": TOO_LONG["title"]}, "title-error-new",
     "At most 200 characters (you wrote 201)."),
    ("new", {"title": "Chutes", "details": TOO_LONG["details"]}, "details-error-new",
     "At most 2000 characters (you wrote 2001)."),
    ("new action", {"title": "Kiné", "responsible_account_id": "{karim}"}, "who-error-new",
     "Choose a person from the list."),
    ("edit", {"title": ""}, "title-error-{id}", "Please write something here."),
    ("edit", {"title": TOO_LONG["title"]}, "title-error-{id}",
     "At most 200 characters (you wrote 201)."),
    ("edit", {"details": TOO_LONG["details"]}, "details-error-{id}",
     "At most 2000 characters (you wrote 2001)."),
    ("edit", {"status": "finished"}, "status-error-{id}", "Choose a status from the list."),
    ("edit", {"responsible_account_id": "{lucas}"}, "who-error-{id}",
     "Choose a person from the list."),
    ("edit", {"responsible_account_id": "Claire"}, "who-error-{id}",
     "Choose a person from the list."),
    ("edit", {"due_date": "31/12/2026"}, "due-error-{id}", "Give a date like 31/12/2026."),
    ("comment", {"comment": "  "}, "comment-error", "Please write something here."),
    ("comment", {"comment": TOO_LONG["comment"]}, "comment-error",
     "At most 1000 characters (you wrote 1001)."),
]


@pytest.mark.parametrize(("what", "form", "error_id", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_message_next_to_the_field(
    signed_in, db, jeanne_id, what, form, error_id, message
):
    lefevre = signed_in("lefevre")
    item = _item(db, JEANNES_ACTION)
    people = {"karim": str(persona(db, "karim").id), "lucas": str(persona(db, "lucas").id)}
    form = {k: v.format(**people) for k, v in form.items()}
    if what == "new":
        url, form = f"/carnet/{jeanne_id}/plan/new", {"kind": "problem", **form}
    elif what == "new action":
        url, form = f"/carnet/{jeanne_id}/plan/new", {"kind": "action", "parent": str(
            item.parent_id), **form}
    elif what == "edit":
        url, form = f"/carnet/{jeanne_id}/plan/{item.id}", _edit_form(
            lefevre, jeanne_id, item, **form)
    else:
        url = f"/carnet/{jeanne_id}/plan/{item.id}/comments"
    before = stored(db, CARNET_TABLES)

    response = lefevre.post(url, **form)

    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), error_id.format(id=item.id)) == message
    assert stored(db, CARNET_TABLES) == before


def test_a_status_not_in_the_list_is_refused(signed_in, db, jeanne_id):
    """The inline status form offers a list: another value is a forged request (plain 400)."""
    item = _item(db, JEANNES_ACTION)
    before = stored(db, CARNET_TABLES)
    response = signed_in("jeanne").post(f"/carnet/{jeanne_id}/plan/{item.id}/status",
                                        status="finished", version=str(item.version))
    assert response.status_code == 400
    assert stored(db, CARNET_TABLES) == before


ITEM_ROUTES = [
    ("GET", "/plan/{id}"),
    ("GET", "/plan/{id}/edit"),
    ("POST", "/plan/{id}"),
    ("POST", "/plan/{id}/status"),
    ("POST", "/plan/{id}/comments"),
    ("POST", "/plan/{id}/move"),
    ("POST", "/plan/{id}/delete"),
    ("GET", "/plan/new?kind=action&parent={id}"),
    ("POST", "/plan/new?kind=action&parent={id}"),
]


def test_an_unknown_item_or_one_of_another_carnet_is_404(signed_in, db, jeanne_id, subtests):
    lefevre = signed_in("lefevre")  # in both Jeanne's and Karim's care teams
    karims_goal = _item(db, "Mieux respirer au quotidien")
    before = stored(db, CARNET_TABLES)
    for whose, item_id in (("nobody's", 999_999), ("karim's", karims_goal.id)):
        for method, path in ITEM_ROUTES:
            with subtests.test(whose=whose, method=method, path=path):
                url = f"/carnet/{jeanne_id}" + path.format(id=item_id)
                if method == "GET":
                    response = lefevre.get(url)
                else:
                    response = lefevre.post(
                        url.split("?")[0], kind="action", parent=str(item_id), title="Kiné",
                        status="done", comment="Vu.", direction="up",
                        version=str(karims_goal.version))
                assert response.status_code == 404
                assert stored(db, CARNET_TABLES) == before


def test_an_unknown_kind_of_item_is_404(signed_in, db, jeanne_id):
    lefevre = signed_in("lefevre")
    before = stored(db, CARNET_TABLES)
    for kind in ("diagnosis", ""):
        response = lefevre.post(f"/carnet/{jeanne_id}/plan/new", kind=kind, title="Chutes")
        assert response.status_code == 404, kind
    assert lefevre.get(f"/carnet/{jeanne_id}/plan/new?kind=diagnosis").status_code == 404
    assert stored(db, CARNET_TABLES) == before
