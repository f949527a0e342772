"""The forms of the consent area: a switch, an end date, stopping, asking, answering.

Who a decision is about is a choice among the people around the carnet, as the page
listed them (their ids as written there): anything else is no choice, and the view
answers 404, as for any id of nothing.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Optional, ValidationError

from ..carnet.validation import too_long
from ..models import SECTIONS, Account
from . import access_requests, ledger


class UntilField(DateField):
    """An optional last day of sharing, from a date input, no later than anyone means."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label or _l("Until (optional)"), [Optional()], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Please give a date, e.g. 30/06/2027.")) from None

    def post_validate(self, form, validation_stopped):
        error = self.data and not self.errors and ledger.until_error(self.data)
        if error:
            self.errors.append(error)


def messages(form: FlaskForm, suffix: str = "") -> dict[str, str]:
    """The first message of each field in error, by the name the page gives its field
    (``until-7`` with ``suffix`` "7")."""
    return {f"{name}-{suffix}" if suffix else name: errors[0]
            for name, errors in form.errors.items()}


class AboutSomeone(FlaskForm):
    """A decision about one person around the carnet (``grantee``): ``people`` are those the
    decision may be about."""

    grantee = SelectField(choices=[])

    def __init__(self, people: list[ledger.Person], **kwargs):
        super().__init__(**kwargs)
        self.people = {str(person.account.id): person for person in people}
        self.grantee.choices = list(self.people)

    @property
    def person(self) -> ledger.Person | None:
        return self.people.get(self.grantee.data)


class SwitchForm(AboutSomeone):
    """Show or stop showing one part (or allow one kind of writing) to one person."""

    section = SelectField(choices=list(ledger.SCOPES))
    visible = SelectField(choices=["yes", "no"])


class UntilForm(AboutSomeone):
    """Until when someone outside the team sees what they were granted."""

    until = UntilField()


class StopForm(AboutSomeone):
    """Stop sharing everything with someone outside the team, once ``confirm`` says so."""

    confirm = BooleanField()


class AnswerForm(FlaskForm):
    """The patient's answer to a request: the parts granted, until a day; or no."""

    decision = SelectField(choices=["accept", "refuse"])
    sections = SelectMultipleField(choices=list(SECTIONS), validators=[DataRequired(_l(
        "Tick at least one part, or refuse the request."))], invalid_choice_message=_l(
        "Tick at least one part, or refuse the request."))
    until = UntilField()


class AskForm(FlaskForm):
    """A professional outside the team asks to see some parts of a carnet."""

    sections = SelectMultipleField(choices=list(SECTIONS), validators=[DataRequired(_l(
        "Tick at least one part of the carnet."))], invalid_choice_message=_l(
        "Tick at least one part of the carnet."))
    message = TextAreaField(default="")

    def validate_message(self, field):
        if len(field.data or "") > access_requests.MESSAGE_MAX:
            raise ValidationError(too_long(access_requests.MESSAGE_MAX, len(field.data)))


class AskOnBehalfForm(AskForm):
    """The team's coordinator asks for a professional outside the team (``professionals``)."""

    professional = SelectField(choices=[], invalid_choice_message=_l(
        "Please choose a professional."))

    def __init__(self, professionals: list[Account], **kwargs):
        super().__init__(**kwargs)
        self.professionals = {str(account.id): account for account in professionals}
        self.professional.choices = list(self.professionals)

    @property
    def requester(self) -> Account | None:
        return self.professionals.get(self.professional.data)
