"""The content area's forms: a page, a step of the review, a questionnaire's title and the
order of its items, and "Was this clear?"; typed fields, messages in the person's language.

The form of one item or rule of a questionnaire is not here: its fields depend on the kind
of item or rule, so :mod:`.questionnaire_drafts` reads it against the format's own table.
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import Session
from wtforms import Field, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from ..carnet.validation import too_long
from ..ids import parse_id
from ..labels import LABELS
from ..models import Condition, ReadingLevel
from . import feedback, pages

LANGUAGE_NAMES = {"fr": _l("French"), "en": _l("English"), "ar": _l("Arabic")}
# The steps of the review, as the buttons of templates/authoring/_workflow.html name them.
STEPS = ("submit", "approve", "comment", "request_changes", "publish", "retire")
COMMENT_MAX = 2000


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(max)d characters.", max=limit))


def _written_at_most(limit: int):
    """A text of at most ``limit`` characters once trimmed, else how many were written."""
    def check(_form, field: Field) -> None:
        count = len((field.data or "").strip())
        if count > limit:
            raise ValidationError(too_long(limit, count))
    return check


def first_errors(form: FlaskForm) -> dict[str, str]:
    """Each refused field's first message, as the templates that take ``errors`` show it."""
    return {name: str(messages[0]) for name, messages in form.errors.items() if messages}


class ConditionsField(SelectMultipleField):
    """Ticks among the conditions Carnet follows (a page's, a patient's): any other value is
    refused in words."""

    def __init__(self, label, validators=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, choices=[
            (condition.value, words) for condition, words in LABELS[Condition].items()],
            **kwargs)

    def pre_validate(self, form):
        if not set(self.data or []) <= {condition.value for condition in Condition}:
            raise ValidationError(_l("Tick conditions from the list."))


class IdField(StringField):
    """An id the page sends back (a hidden field): ASCII digits that a row could have, or
    None; whoever reads it says what a missing or unknown one means."""

    def process_formdata(self, valuelist):
        self.data = parse_id(valuelist[0]) if valuelist else None


class PageForm(FlaskForm):
    """What an author writes on a page, in any version."""

    title = StringField(_l("Title"), [DataRequired(_l("Please give the page a title.")),
                                      _at_most(pages.TITLE_MAX)],
                        render_kw={"maxlength": pages.TITLE_MAX})
    # Rendered as ticks and radio buttons by the template.
    conditions = ConditionsField(_l("Conditions it is about"))
    reading_level = SelectField(_l("Reading level"), validate_choice=False,
                                default=ReadingLevel.STANDARD.value,
                                choices=[(r.value, text) for r, text in
                                         LABELS[ReadingLevel].items()])
    questionnaire_item = SelectField(_l("Questionnaire question it helps with (optional)"),
                                     validate_choice=False, choices=[])
    body = TextAreaField(_l("Text of the page (Markdown)"), [
        DataRequired(_l("Please write the text of the page.")), _at_most(pages.BODY_MAX)],
        render_kw={"rows": 18})

    def __init__(self, db: Session, *args, **kwargs):
        super().__init__(*args, **kwargs)
        items = pages.questionnaire_items(db, str(get_locale()))
        self.questionnaire_item.choices = [("", _("None")), *items.items()]

    def validate_conditions(self, field):
        if not field.data:
            raise ValidationError(_l("Tick at least one condition."))

    def validate_reading_level(self, field):
        if field.data not in {r.value for r in ReadingLevel}:
            raise ValidationError(_l("Choose a reading level from the list."))

    def validate_questionnaire_item(self, field):
        field.data = field.data or ""
        if field.data not in dict(self.questionnaire_item.choices):
            raise ValidationError(_l("Choose a question from the list."))

    def fields(self) -> dict:
        """The page's fields, as :mod:`.pages` takes them."""
        return {"title": self.title.data, "conditions": self.conditions.data,
                "reading_level": self.reading_level.data,
                "questionnaire_item": self.questionnaire_item.data,
                "body_markdown": self.body.data}


class NewPageForm(PageForm):
    """A first version also chooses its language, and may choose its address."""

    language = SelectField(_l("Language"), validate_choice=False, default="fr",
                           choices=list(LANGUAGE_NAMES.items()))
    slug = StringField(_l("Address (optional)"), [
        Optional(), _at_most(pages.SLUG_MAX),
        Regexp(pages.SLUG, message=_l("Lowercase letters, digits and hyphens only, "
                                      "e.g. my-ankles-swell."))])

    def __init__(self, db: Session, *args, **kwargs):
        super().__init__(db, *args, **kwargs)
        self.db = db

    def validate_language(self, field):
        if field.data not in LANGUAGE_NAMES:
            raise ValidationError(_l("Choose French or English."))

    def validate_slug(self, field):
        if field.data and pages.slug_taken(self.db, field.data):
            raise ValidationError(_l("Another page already has this address."))


class StepForm(FlaskForm):
    """One step of the review of a page or a questionnaire, with its comment."""

    step = StringField()
    comment = TextAreaField(validators=[_at_most(COMMENT_MAX)])

    def validate_step(self, field):
        if field.data not in STEPS:
            raise ValidationError(_l("This step does not exist."))


class QuestionnaireTitleForm(FlaskForm):
    """The title of a questionnaire's draft (the checks of the format are the draft's)."""

    title = StringField(_l("Title"))


class MoveForm(FlaskForm):
    """One place up or down (any other answer is down, as the arrows never send one)."""

    direction = StringField()

    def up(self) -> bool:
        return self.direction.data == "up"


class FeedbackForm(FlaskForm):
    """ "Was this clear?" about the version of the page shown (``page_id``)."""

    page_id = IdField()
    clear = StringField()  # two radio buttons, drawn by templates/understand/page.html
    comment = TextAreaField(_l("What could be clearer?"),
                            [_written_at_most(feedback.COMMENT_MAX)])

    def validate_clear(self, field):
        if field.data not in feedback.ANSWERS:
            raise ValidationError(_("Please choose “Yes” or “Not really”."))

    def is_clear(self) -> bool:
        return feedback.ANSWERS[self.clear.data]
