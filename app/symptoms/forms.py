"""The symptom area's forms with fixed fields.

A report's form is not here: it has one field per question of the questionnaire it
answers, so :class:`.reports.Submission` reads it and :mod:`.answers` checks each answer
against its question.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField

from ..carnet.forms import VersionField, at_most, strip
from .zones import NOTE_MAX


class AcknowledgeForm(FlaskForm):
    """ "Seen": ``back`` says which list the button was on (the inbox, or the carnet's)."""

    back = HiddenField()

    def to_inbox(self) -> bool:
        return self.back.data == "inbox"


class ZoneNoteForm(FlaskForm):
    """What the team writes with the patient for one zone (empty: nothing of their own)."""

    text = TextAreaField(_l("For this patient (optional)"), [at_most(NOTE_MAX)], filters=[strip],
                         render_kw={"rows": 6, "maxlength": NOTE_MAX, "dir": "auto"})
    version = VersionField()
