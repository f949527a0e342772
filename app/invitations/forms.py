"""The invitation forms: who is invited, and what goes with it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from ..consent.forms import UntilField
from ..content.forms import ConditionsField
from ..labels import LABELS
from ..models import SECTIONS, Profession
from ..types import utcnow
from .people import Invitee

# What the invitation of a caregiver ticks until the patient decides otherwise.
CAREGIVER_DEFAULT_SCOPES = ["team", "plan", "appointments"]
NAME = [DataRequired(_l("Please give a name.")), Length(max=100, message=_l(
    "At most %(max)d characters.", max=100))]
PHONE = [Optional(), Regexp(r"^[0-9 +().-]{6,30}$", message=_l(
    "A phone number has digits only, e.g. 06 12 34 56 78."))]


def email_field(label):
    return EmailField(label, [
        DataRequired(_l("Please give an e-mail address.")),
        Email(_l("This e-mail address does not look right."), check_deliverability=False),
        Length(max=254, message=_l("At most %(max)d characters.", max=254)),
    ])


class PersonForm(FlaskForm):
    """Who is being invited: the fields every invitation asks for."""

    first_name = StringField(_l("First name"), NAME)
    last_name = StringField(_l("Last name"), NAME)
    email = email_field(_l("E-mail address"))

    def invitee(self) -> Invitee:
        return Invitee(self.first_name.data, self.last_name.data, self.email.data)


class PatientForm(PersonForm):
    birth_date = DateField(_l("Date of birth"), [Optional()])
    phone = StringField(_l("Phone"), PHONE)
    # Rendered as ticks; they choose the questionnaires the patient is offered.
    conditions = ConditionsField(_l("Conditions followed"))

    def validate_birth_date(self, field):
        if field.data and field.data > utcnow().date():
            raise ValidationError(_l("A date of birth cannot be in the future."))


class ProfessionalForm(PersonForm):
    profession = SelectField(_l("Profession"), choices=[], coerce=Profession)
    structure = StringField(_l("Practice or structure"), [Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), PHONE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.profession.choices = [(p.value, label) for p, label in LABELS[Profession].items()]

    def details(self) -> dict:
        """What the professional's record says besides their name."""
        return {"profession": self.profession.data, "structure": self.structure.data or "",
                "phone": self.phone.data or ""}


class CaregiverForm(PersonForm):
    """A close one, and what the patient lets them see and do from the start."""

    relationship = StringField(_l("Who is this person for you? (e.g. my daughter)"),
                               [Optional(), Length(max=80)])
    # Rendered as ticks by the template; the choices are the sections of a carnet.
    sections = SelectMultipleField(_l("What they can see"), choices=list(SECTIONS),
                                   validate_choice=True, default=CAREGIVER_DEFAULT_SCOPES)
    may_write_notes = BooleanField(_l("They may write in my notebook"))
    may_report_symptoms = BooleanField(_l("They may say how I feel, for me"))
    until = UntilField()

    def scopes(self) -> list[str]:
        """The sections and write scopes ticked."""
        scopes = list(self.sections.data or [])
        if self.may_write_notes.data:
            scopes.append("notes:write")
        if self.may_report_symptoms.data:
            scopes.append("symptoms:write")
        return scopes

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.scopes():
            self.sections.errors = [*self.sections.errors, _l(
                "Tick at least one thing they can see or do.")]
            return False
        return valid
