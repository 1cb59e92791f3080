from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from vir.core.forms import DateInput, options
from vir.core.labels import ANSWER_LABELS


class LetterForm(FlaskForm):
    kind = SelectField(_l("What you are drafting"), widget=GovSelect())
    title = StringField(
        _l("Title (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=300)],
        description=_l("Defaults to what it is, such as “Conference record”."),
    )
    file = FileField(_l("First draft"), widget=GovFileInput())
    submit = SubmitField(_l("Start the draft"), widget=GovSubmitInput())


class ShareForm(FlaskForm):
    submit = SubmitField(_l("Send to the provider"), widget=GovSubmitInput())


class AnswerForm(FlaskForm):
    answer = RadioField(
        _l("Are there factual errors in the draft?"),
        widget=GovRadioInput(),
        choices=options(ANSWER_LABELS.items()),
        validators=[DataRequired(_l("Say whether there are factual errors"))],
    )
    text = TextAreaField(
        _l("Corrections"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Each correction, with where it is in the draft."),
    )
    file = FileField(_l("The draft marked up with corrections (optional)"), widget=GovFileInput())
    submit = SubmitField(_l("Send the answer"), widget=GovSubmitInput())


class FinalForm(FlaskForm):
    sent_on = DateField(
        _l("Date sent"),
        widget=DateInput(),
        format="%d %m %Y",
        validators=[DataRequired(_l("Enter the date it was sent"))],
    )
    file = FileField(
        _l("Final version (optional)"),
        widget=GovFileInput(),
        description=_l("Leave empty to issue the draft’s current version as the final."),
    )
    for_publication = BooleanField(_l("Mark for publication"), widget=GovCheckboxInput())
    submit = SubmitField(_l("Issue the final version"), widget=GovSubmitInput())


class ReleaseForm(FlaskForm):
    organisations = SelectMultipleField(
        _l("Copies to"),
        widget=GovCheckboxesInput(),
        validators=[DataRequired(_l("Choose at least one organisation"))],
    )
    submit = SubmitField(_l("Release"), widget=GovSubmitInput())
