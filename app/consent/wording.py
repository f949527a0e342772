"""Plain words (FALC) for audit events and consent decisions."""

from __future__ import annotations

from flask_babel import gettext as _

from ..models import Account, AuditAction, AuditEvent, ConsentEvent, ConsentKind


def section_words(section: str) -> str:
    """A part of the carnet, as the patient says it."""
    return {
        "team": _("your care team"),
        "plan": _("your care plan"),
        "appointments": _("your appointments"),
        "symptoms": _("how you feel (your reports)"),
        "notes": _("your notebook"),
        "consent": _("your sharing choices"),
        "calendar": _("your calendar link"),
    }.get(section.split(":")[0], section)


def audit_sentence(event: AuditEvent, actor: Account | None) -> str:
    """ "Dr Paul Lefèvre read your care plan." """
    name = actor.full_name if actor else _("Someone who was not signed in")
    what = section_words(event.section)
    if not event.allowed:
        return _("%(name)s tried to open %(what)s. It was refused.", name=name, what=what)
    if event.action == AuditAction.READ:
        return _("%(name)s read %(what)s.", name=name, what=what)
    return _("%(name)s changed %(what)s.", name=name, what=what)


def consent_sentence(event: ConsentEvent, grantee: Account) -> str:
    """ "You let Claire Martin see your care plan." """
    sections = sorted({scope.split(":")[0] for scope in event.scopes})
    what = ", ".join(section_words(s) for s in sections)
    name = grantee.full_name
    if event.kind == ConsentKind.GRANT:
        return _("You let %(name)s see %(what)s.", name=name, what=what)
    if event.kind == ConsentKind.REVOKE:
        return _("You stopped sharing %(what)s with %(name)s.", name=name, what=what)
    if event.kind == ConsentKind.OPPOSE:
        return _("You refused that %(name)s sees %(what)s.", name=name, what=what)
    return _("You let %(name)s see %(what)s again.", name=name, what=what)
