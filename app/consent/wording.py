"""Plain words (FALC) for audit events and consent decisions."""

from __future__ import annotations

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _

from ..models import SECTIONS, Account, AuditAction, AuditEvent, ConsentEvent, ConsentKind


def section_words(section: str) -> str:
    """A part of the carnet, as the patient says it."""
    return {
        "carnet": _("your carnet"),
        "team": _("your care team"),
        "plan": _("your care plan"),
        "appointments": _("your appointments"),
        "symptoms": _("how you feel (your reports)"),
        "notes": _("your notebook"),
        "consent": _("your sharing choices"),
        "calendar": _("your calendar link"),
        "access_link": _("the link you made for a professional outside your team"),
    }.get(section.split(":")[0], section)


def section_name(section: str) -> str:
    """A part of the carnet, as its page is called (for the professionals)."""
    return {
        "team": _("Care team"),
        "plan": _("Care plan"),
        "appointments": _("Appointments"),
        "symptoms": _("Symptom reports"),
        "notes": _("Notebook"),
    }.get(section.split(":")[0], section)


def section_names(scopes) -> str:
    """The parts of the carnet among ``scopes`` (an access request's: its abilities, such as
    "notes:write", are left out), as their pages are called, in the carnet's order and in the
    reader's language: "Care team and Appointments"."""
    return _listed([section for section in SECTIONS if section in scopes], section_name)


def sees_sentence(seen, sections) -> str:
    """What one person sees of the carnet, in a line: "Sees your care plan and your
    appointments." (the sharing page's summary of that person)."""
    parts = [section for section in sections if section in seen]
    if len(parts) == len(sections):
        return _("Sees all of your carnet.")
    if not parts:
        return _("Sees nothing of your carnet.")
    return _("Sees %(parts)s.", parts=_listed(parts))


def hands_over_sentence(sections) -> str:
    """What a hand-over link gives a copy of: "A copy of your care team and your care
    plan." """
    return _("A copy of %(parts)s.", parts=_listed(
        [section for section in SECTIONS if section in sections]))


def _listed(sections, words=section_words) -> str:
    """ "your care team, your care plan and your appointments", in the reader's language;
    ``words`` says each section."""
    return format_list([words(section) for section in sections], locale=str(get_locale()))


def audit_sentence(event: AuditEvent, actor: Account | None, recipient: str | None = None
                   ) -> str:
    """ "Dr Paul Lefèvre read your care plan." — what was done, in the words of what it was:
    read, added, changed, removed, printed or downloaded; or tried, and refused.
    ``recipient``: the name given by whoever opened a hand-over link (a QR code)."""
    name = actor.full_name if actor else _("Someone who was not signed in")
    what = section_words(event.section)
    action, section, thing = event.action, event.section, event.object_type
    if recipient is not None:
        # Isolated (FSI … PDI): an Arabic name in a French sentence keeps its place.
        recipient = f"\u2068{recipient}\u2069"
        if not event.allowed:
            return _("Someone who gave the name “%(recipient)s” tried to open your QR code. "
                     "It was refused: a wrong passcode, or the link had ended.",
                     recipient=recipient)
        return _("Someone who gave the name “%(recipient)s” opened your QR code and received "
                 "a copy of %(what)s.", recipient=recipient, what=what)
    if not event.allowed:
        if action == AuditAction.CREATE and section != "access_link":
            return _("%(name)s tried to add something to %(what)s. It was refused.",
                     name=name, what=what)
        if action == AuditAction.UPDATE:
            return _("%(name)s tried to change %(what)s. It was refused.", name=name, what=what)
        if action == AuditAction.DELETE:
            return _("%(name)s tried to remove something from %(what)s. It was refused.",
                     name=name, what=what)
        return _("%(name)s tried to open %(what)s. It was refused.", name=name, what=what)
    if action == AuditAction.READ:
        if thing == "count":
            return _("In their list of patients, %(name)s saw how many things are new here: "
                     "%(what)s. They did not read them.", name=name, what=what)
        if section == "access_link":
            return _("%(name)s opened the link you made for a professional outside your team, "
                     "and saw your name.", name=name)
        return _("%(name)s read %(what)s.", name=name, what=what)
    if action == AuditAction.CREATE:
        if thing == "access_request":
            return _("%(name)s asked you to let a professional outside your team see your "
                     "carnet.", name=name)
        return {
            "access_link": _("%(name)s asked, with your link, to see parts of your carnet.",
                             name=name),
            "team": _("%(name)s added someone to your care team.", name=name),
            "notes": _("%(name)s wrote in your notebook.", name=name),
            "symptoms": _("%(name)s said how you feel, for you.", name=name),
        }.get(section) or _("%(name)s added something to %(what)s.", name=name, what=what)
    if action == AuditAction.UPDATE:
        if section == "symptoms":
            return _("%(name)s marked one of your reports as seen.", name=name)
        return _("%(name)s changed %(what)s.", name=name, what=what)
    if action == AuditAction.DELETE:
        return _("%(name)s removed something from %(what)s.", name=name, what=what)
    if thing == "calendar_feed":
        return _("Your calendar link was used: a calendar app copied %(what)s.", what=what)
    if thing == "print":
        return _("%(name)s printed %(what)s.", name=name, what=what)
    return _("%(name)s downloaded %(what)s.", name=name, what=what)


def ability_words(scope: str) -> str:
    """What a write scope lets someone do, as the patient says it."""
    return {
        "notes:write": _("write in your notebook"),
        "symptoms:write": _("say how you feel, for you"),
    }.get(scope, scope)


def ability_state(scope: str, allowed: bool) -> str:
    """ "Can write in your notebook." """
    if scope == "notes:write":
        return _("Can write in your notebook.") if allowed else _(
            "Cannot write in your notebook.")
    return _("Can say how you feel, for you.") if allowed else _(
        "Cannot say how you feel for you.")


def consent_sentence(event: ConsentEvent, grantee: Account) -> str:
    """ "You let Claire Martin see your care plan." — one sentence per kind of decision."""
    name = grantee.full_name
    sections = [s for s in SECTIONS if s in event.scopes]
    abilities = [s for s in event.scopes if ":" in s]
    what = ", ".join(section_words(s) for s in sections)
    sentences = []
    if event.kind == ConsentKind.GRANT:
        if sections:
            sentences.append(_("You let %(name)s see %(what)s.", name=name, what=what))
        sentences += [_("You let %(name)s %(ability)s.", name=name, ability=ability_words(s))
                      for s in abilities]
    elif event.kind == ConsentKind.REVOKE:
        if set(SECTIONS) <= set(sections):
            return _("You stopped sharing everything with %(name)s.", name=name)
        if sections:
            sentences.append(_("You stopped sharing %(what)s with %(name)s.", name=name,
                               what=what))
        sentences += [_("%(name)s may no longer %(ability)s.", name=name,
                        ability=ability_words(s))
                      for s in abilities if s.split(":")[0] not in sections]
    elif event.kind == ConsentKind.OPPOSE:
        sentences.append(_("You refused that %(name)s sees %(what)s.", name=name, what=what))
    else:
        sentences.append(_("You let %(name)s see %(what)s again.", name=name, what=what))
    return " ".join(sentences)
