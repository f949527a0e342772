"""The carnet's forms: the care plan, appointments, notes; typed fields, messages in the
person's language. WTForms reads the numbers, dates and times; a choice is looked up among
what the page offered, never parsed.

The templates take ``values`` (each field as the page shows it) and ``errors`` (each
refused field's first message): :meth:`CarnetForm.page` gives both.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from flask import redirect, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, Field, IntegerField, StringField, TimeField
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..ids import ASCII_DIGITS, MAX_ID
from ..models import ActionStatus, Appointment, AppointmentKind, PlanItem, PlanItemKind
from ..types import utcnow
from .access import carnet_access
from .appointments import PARIS, local
from .validation import too_long

A_DATE = _l("Give a date like 31/12/2026.")
A_TIME = _l("Give a time like 14:30.")
PAST = _l("This date and time are already past.")
# Only an action has someone responsible for it, a date to do it by and a page to read.
ACTION_ONLY = ("status", "responsible_account_id", "supervisor_account_id", "due_date",
               "content_slug")


def strip(text: str | None) -> str:
    return (text or "").strip()


def at_most(limit: int):
    """A text of at most ``limit`` characters (once trimmed), else how many were written."""
    def check(_form, field: Field) -> None:
        if len(field.data) > limit:
            raise ValidationError(too_long(limit, len(field.data)))
    return check


def text(message=None, limit: int = 2000) -> StringField:
    """A trimmed text, required when it has a ``message`` for being empty."""
    required = [DataRequired(message)] if message else []
    return StringField(validators=[*required, at_most(limit)], filters=[strip])


TOO_LARGE = 2**63


class WholeNumber(IntegerField):
    """A whole number in the ten ASCII digits, the only ones a page sends: ``int()`` also
    reads "٣", "１" and " 1" (see :mod:`app.ids`)."""

    def process_formdata(self, valuelist):
        if valuelist and not ASCII_DIGITS.fullmatch(valuelist[0]):
            valuelist = []  # no number: the validators say what that means
        super().process_formdata(valuelist)
        if self.data is not None and self.data > TOO_LARGE:
            # Still too large for any range, and no longer too large for a float:
            # NumberRange asks math.isnan(), which raises on an int of 309 digits (a 500).
            self.data = TOO_LARGE


def an_id() -> WholeNumber:
    """The id of a row, when one is given (a row is then looked up, or the answer is 404)."""
    return WholeNumber(validators=[Optional(), NumberRange(1, MAX_ID)])


class Choice(Field):
    """One of the values the page offered (ids, statuses, None for "none"), found by what the
    page sent; anything else is refused with ``message``."""

    def __init__(self, message=None, offered=(), **kwargs):
        super().__init__(**kwargs)
        self.message, self.offered = message, list(offered)

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0]  # looked up once the page's offer is known

    def pre_validate(self, form):
        offered = {_shown(value): value for value in self.offered}
        if _shown(self.data) not in offered:
            raise ValidationError(self.message)
        self.data = offered[_shown(self.data)]

    def _value(self) -> str:
        return _shown(self.data)


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


class VersionField(WholeNumber):
    """The version of the row the form was opened on. Anything else is no version (-1): the
    save is then refused as stale, with the row as it is now."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        self.data = -1
        try:
            super().process_formdata(valuelist)
        except ValueError:  # more digits than int() reads
            self.data = -1
        if not 0 <= self.data <= MAX_ID:
            self.data = -1


class CarnetForm(FlaskForm):
    """A form of the carnet, as its templates show it."""

    def page(self) -> dict[str, dict[str, str]]:
        """What the templates take: each field as shown, each refused field's message."""
        return {"values": {field.name: field._value() for field in self
                           if hasattr(field, "_value")},
                "errors": {name: str(messages[0]) for name, messages in self.errors.items()
                           if name and messages}}

    def given(self, names) -> dict[str, Any]:
        """The data of the fields ``names`` that the page sent."""
        return {name: self[name].data for name in names if self[name].raw_data}


# The care plan -----------------------------------------------------------------------------

class PlaceForm(CarnetForm):
    """Where a new item goes: its kind, and the item it hangs under (in the page's address or
    its form); nothing else is a place in the plan."""

    class Meta:
        csrf = False  # it changes nothing; the form it goes with is checked

    kind = Choice(offered=list(PlanItemKind), default=PlanItemKind.PROBLEM)
    parent = an_id()


class PlanItemForm(CarnetForm):
    """A problem, a goal or an action; ``people`` may be responsible for an action, and it
    may point at one of ``pages``."""

    title = text(_l("Please write something here."), 200)
    details = text(limit=2000)
    status = Choice(_l("Choose a status from the list."), list(ActionStatus),
                    default=ActionStatus.TODO)
    responsible_account_id = Choice(_l("Choose a person from the list."))
    supervisor_account_id = Choice(_l("Choose a person from the list."))
    due_date = DateField(validators=[Optional()], invalid_value_message=A_DATE)
    content_slug = Choice(_l("Choose a page from the list."), default="")
    version = VersionField()

    def __init__(self, people, pages, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.responsible_account_id.offered = [None, *people]
        self.supervisor_account_id.offered = [None, *people]
        self.content_slug.offered = ["", *pages]

    @classmethod
    def of(cls, item: PlanItem, people, pages, **kwargs) -> PlanItemForm:
        """The form of ``item``: as it is now, with what the page sent over it."""
        return cls(people, pages, obj=item, **kwargs)

    def values(self, kind: PlanItemKind) -> dict[str, Any]:
        """The fields an item of ``kind`` has, among those the page sent."""
        return self.given(["title", "details",
                           *(ACTION_ONLY if kind == PlanItemKind.ACTION else ())])


class StatusForm(CarnetForm):
    """The status of an action, from the list inline in the plan, or from My day
    (``back`` is then "day")."""

    status = Choice(offered=list(ActionStatus))
    version = VersionField()
    back = StringField()


class DelegationForm(CarnetForm):
    """The answer of the professional an action was put on: accept (with an optional note:
    until when, under whose supervision) or decline (saying why)."""

    answer = Choice(offered=["accept", "decline"])
    note = text(limit=500)
    version = VersionField()
    back = StringField()

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.answer.data == "decline" and not self.note.data:
            self.note.errors = [_l("Please say why you decline.")]
            return False
        return True


class CommentForm(CarnetForm):
    comment = text(_l("Please write something here."), 1000)


class MoveForm(CarnetForm):
    direction = Choice(offered=("up", "down"))


class ConfirmForm(CarnetForm):
    """The answer to "take it away?": ``confirm`` only from its button."""

    confirm = BooleanField()
    version = VersionField()


def unchanged(location: str | None = None):
    """The redirect of a change not made (not confirmed: back to the question), writing
    nothing: no page of the carnet was shown, so not even a read in "Who saw my carnet"."""
    carnet_access().nothing_shown()
    return redirect(location or request.path, 303)


# Appointments ------------------------------------------------------------------------------

class CancelForm(ConfirmForm):
    reason = text(limit=500)


class QuestionForm(CarnetForm):
    question = text(_l("Please write your question."), 500)


class AppointmentForm(CarnetForm):
    """An appointment: when (Paris time), where, with whom; the team's ``professionals``."""

    title = text(_l("Please write what the appointment is for."), 200)
    kind = Choice(_l("Choose a kind of appointment from the list."), list(AppointmentKind),
                  default=AppointmentKind.VISIT)
    professional_id = Choice(_l("Choose a professional from the list."))
    day = DateField(validators=[DataRequired(A_DATE)], invalid_value_message=A_DATE)
    start = TimeField(validators=[DataRequired(A_TIME)], invalid_value_message=A_TIME,
                      default=time(9, 0))
    end = TimeField(validators=[DataRequired(A_TIME)], invalid_value_message=A_TIME,
                    default=time(9, 30))
    place = text(limit=200)
    address = text(limit=300)
    details = text(limit=2000)
    version = VersionField()

    def __init__(self, professionals, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.professional_id.offered = [None, *professionals]

    @classmethod
    def of(cls, appointment: Appointment, professionals, **kwargs) -> AppointmentForm:
        """The form of ``appointment``: as it is now, with what the page sent over it."""
        starts, ends = local(appointment.starts_at), local(appointment.ends_at)
        return cls(professionals, obj=appointment, day=starts.date(), start=starts.time(),
                   end=ends.time(), **kwargs)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        day, start, end = self.day.data, self.start.data, self.end.data
        if day is None or start is None:
            return valid
        now = utcnow()
        # Said before combining: 01/01/0001 at 00:05 in Paris is before the first UTC instant.
        if day < local(now).date() or datetime.combine(day, start, PARIS) <= now:
            self.day.errors.append(PAST)
            return False
        if end is not None and end <= start:
            self.end.errors.append(_l("The end must come after the start."))
            return False
        return valid

    def values(self) -> dict[str, Any]:
        """The appointment's fields, its start and end as instants."""
        values = self.given(["title", "kind", "professional_id", "place", "address",
                             "details"])
        return {**values, "starts_at": self._instant(self.start.data),
                "ends_at": self._instant(self.end.data)}

    def _instant(self, clock: time) -> datetime:
        return datetime.combine(self.day.data, clock, PARIS).astimezone(UTC)


# The notebook ------------------------------------------------------------------------------

class NoteForm(CarnetForm):
    """A note, maybe in reply to a symptom report (its id, looked up by the view)."""

    body = text(_l("Please write your note."), 2000)
    symptom_report_id = an_id()


class ReplyForm(CarnetForm):
    """The symptom report the notebook's form answers, named in its address."""

    class Meta:
        csrf = False  # it changes nothing

    reply_to = an_id()
