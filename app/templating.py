"""What every template may use: the navigation, labels of the model, wording of changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask import Flask, g, request, url_for
from flask_babel import gettext as _

from . import assets
from .auth import own_patient
from .auth.session import idle_warning
from .consent.wording import (
    ability_state,
    audit_sentence,
    consent_sentence,
    hands_over_sentence,
    section_names,
    section_words,
    sees_sentence,
)
from .content.views import item_url
from .i18n import date_text, moment_text
from .labels import label
from .models import (
    ActionStatus,
    AppointmentRevision,
    AppointmentStatus,
    ChangeKind,
    Condition,
    Delegation,
    PlanRevision,
    Role,
)


@dataclass
class NavItem:
    url: str
    label: str
    icon: str
    current: bool


def nav_items() -> list[NavItem]:
    """The bottom navigation for the signed-in person and the carnet being viewed."""
    account = g.get("account")
    if account is None or g.get("error_page"):
        return []
    carnet = g.get("carnet")
    if carnet is None and account.role == Role.PATIENT:
        carnet = own_patient(account)
    items: list[tuple[str, str, str]] = []
    if account.role == Role.PROFESSIONAL:
        # My day leads to the list of patients and to the inbox.
        items.append((url_for("carnet.my_day"), _("My day"), "home"))
    if account.role == Role.EDITOR:
        items.append((url_for("authoring.home"), _("Authoring"), "plan"))
    if carnet is not None:
        home = url_for("main.home") if account.id == carnet.account_id else url_for(
            "carnet.home", patient_id=carnet.id)
        items += [
            (home, _("Home"), "home"),
            (url_for("carnet.plan", patient_id=carnet.id), _("Plan"), "plan"),
            (url_for("carnet.appointments", patient_id=carnet.id), _("Appointments"), "calendar"),
            (url_for("carnet.team", patient_id=carnet.id), _("Team"), "team"),
        ]
    elif account.role not in (Role.PROFESSIONAL, Role.EDITOR):  # theirs is just above
        items.append((url_for("main.home"), _("Home"), "home"))
    items.append((url_for("me.index"), _("Me"), "me"))
    return [NavItem(url, text, icon, request.path == url) for url, text, icon in items]


def change_text(revision: PlanRevision | AppointmentRevision) -> str:
    """A revision of the plan or of an appointment in plain words ("marked done", "added")."""
    if revision.change == ChangeKind.STATUS and revision.after.get("status"):
        return _("now: %(status)s", status=label(ActionStatus(revision.after["status"])))
    if revision.change == ChangeKind.DELEGATION and revision.after.get("delegation"):
        return _("asked to do it: %(answer)s", answer=label(Delegation(
            revision.after["delegation"])))
    words = {ChangeKind.CREATED: _("added to the plan"), ChangeKind.COMMENT: _("comment"),
             ChangeKind.MOVED: _("moved in the plan"),
             ChangeKind.DELETED: _("removed from the plan"),
             ChangeKind.CANCELLED: _("cancelled")}
    if isinstance(revision, AppointmentRevision):
        words |= {ChangeKind.CREATED: _("appointment made"),
                  ChangeKind.MOVED: _("moved to another time")}
    return words.get(revision.change, _("changed"))


def change_lines(revision) -> list[str]:
    """The fields a revision changed, as "Status: To do → Done" lines."""
    names = {"title": _("Title"), "details": _("Details"), "status": _("Status"),
             "due_date": _("Date"), "responsible_account_id": _("Person responsible"),
             "supervisor_account_id": _("Under the supervision of"),
             "starts_at": _("Date"), "place": _("Place"), "kind": _("Kind"),
             "content_slug": _("Page to understand")}
    lines = []
    for field in revision.before:
        if field not in names or field not in revision.after:
            continue
        before, after = revision.before[field], revision.after[field]
        if field == "status":  # an action's status, or an appointment's
            status = AppointmentStatus if isinstance(revision, AppointmentRevision) else (
                ActionStatus)
            before, after = label(status(before)), label(status(after))
        if field == "responsible_account_id":
            lines.append(_("Person responsible changed"))
            continue
        if field == "supervisor_account_id":
            lines.append(_("Supervision changed"))
            continue
        lines.append(_("%(field)s: %(before)s → %(after)s", field=names[field],
                       before=_written(field, before) or "—", after=_written(field, after) or "—"))
    return lines


def _written(field: str, value):
    """A value a revision keeps, as the reader reads it: a date, or a date and time, kept as
    an ISO value, in the reader's language and Paris time. A value kept otherwise (before
    migration 0007, in a form it could not read) is shown as it was kept."""
    if not value or not isinstance(value, str) or field not in ("starts_at", "due_date"):
        return value
    try:
        if field == "due_date":
            return date_text(date.fromisoformat(value), "long")
        return moment_text(datetime.fromisoformat(value))
    except ValueError:
        return value


def changed_meanwhile(account) -> str:
    """Shown when a save was based on an older version than the one stored."""
    if account is None:
        return _("This was changed meanwhile. Here is what it says now.")
    return _("This was changed meanwhile by %(name)s. Here is what it says now.",
             name=account.full_name)


def note_author(note, author) -> str:
    """ "Claire Martin (caregiver)": who wrote a note, and as what, when they wrote it."""
    return _("%(name)s (%(role)s)", name=author.full_name, role=label(Role(note.author_role)))


def role_heading(role: Role) -> str:
    return {
        Role.PATIENT: _("Patients"),
        Role.CAREGIVER: _("Caregivers"),
        Role.PROFESSIONAL: _("Professionals"),
        Role.EDITOR: _("Patient-association editors"),
        Role.ADMIN: _("Administrators"),
    }[role]


# An htmx attribute as the templates write it. Text a person typed cannot match: Jinja
# escapes its quotes.
HTMX_ATTRIBUTE = re.compile(r'\s(?:data-)?hx-[a-z-]+="')


def uses_htmx(html: str) -> bool:
    """Whether a rendered page has an htmx attribute, so needs htmx (19 KB, half of a
    first load on a phone): base.html loads it on those pages only. Without it, they work
    as plain forms and links."""
    return HTMX_ATTRIBUTE.search(html) is not None


def init_app(app: Flask) -> None:
    assets.init_app(app)  # asset("css/carnet.css"), and the static route that serves it
    app.jinja_env.globals.update(
        uses_htmx=uses_htmx,
        nav_items=nav_items, label=label, change_text=change_text, role_heading=role_heading,
        change_lines=change_lines, changed_meanwhile=changed_meanwhile, note_author=note_author,
        audit_sentence=audit_sentence, consent_sentence=consent_sentence,
        section_words=section_words, section_names=section_names, sees_sentence=sees_sentence,
        hands_over_sentence=hands_over_sentence, ability_state=ability_state,
        item_url=item_url,
        idle_warning=idle_warning,
    )
    app.jinja_env.filters["condition_label"] = lambda value: label(Condition(value))
