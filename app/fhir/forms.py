"""The hand-over form: which parts, for how long, with which passcode and label."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, ValidationError

from ..carnet.validation import too_long
from ..models import SECTIONS
from .health_links import LABEL_MAX, LIFETIMES, PASSCODE_MAX

PASSCODE_MIN = 4


class HandOverForm(FlaskForm):
    sections = SelectMultipleField(choices=list(SECTIONS), validators=[DataRequired(_l(
        "Tick at least one part of the carnet."))], invalid_choice_message=_l(
        "Tick at least one part of the carnet."))
    lifetime = SelectField(choices=list(LIFETIMES), default="1d",
                           invalid_choice_message=_l("Please choose how long the link works."))
    passcode = StringField(default="", filters=[lambda value: (value or "").strip()])
    label = StringField(default="", filters=[lambda value: " ".join((value or "").split())])

    def validate_passcode(self, field):
        if field.data and len(field.data) < PASSCODE_MIN:
            raise ValidationError(_l("A passcode has at least %(min)d characters, or none.",
                                     min=PASSCODE_MIN))
        if len(field.data) > PASSCODE_MAX:
            raise ValidationError(too_long(PASSCODE_MAX, len(field.data)))

    def validate_label(self, field):
        if len(field.data) > LABEL_MAX:
            raise ValidationError(too_long(LABEL_MAX, len(field.data)))
