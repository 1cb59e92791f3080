from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from vir.core.forms import DateInput, options
from vir.core.labels import ACTIVITY_LABELS

TIME = Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Enter a time like 09:30"))


class ActivityForm(FlaskForm):
    kind = SelectField(
        _l("Kind of activity"), widget=GovSelect(), choices=options(ACTIVITY_LABELS.items())
    )
    start_date = DateField(
        _l("Start date"),
        widget=DateInput(),
        format="%d %m %Y",
        validators=[DataRequired(_l("Enter the start date"))],
    )
    start_time = StringField(
        _l("Start time"),
        widget=GovTextInput(),
        default="09:30",
        description=_l("24-hour clock, UK time"),
        validators=[TIME],
    )
    end_date = DateField(
        _l("Last day (visits)"),
        widget=DateInput(),
        format="%d %m %Y",
        validators=[Optional()],
        description=_l("Leave empty for a one-day conference."),
    )
    lead_inspector = StringField(
        _l("Lead inspector’s email address (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=254)],
    )
    submit = SubmitField(_l("Record activity"), widget=GovSubmitInput())


class ExtensionForm(FlaskForm):
    until_date = DateField(
        _l("New deadline date"),
        widget=DateInput(),
        format="%d %m %Y",
        validators=[DataRequired(_l("Enter the new deadline date"))],
    )
    until_time = StringField(
        _l("New deadline time"), widget=GovTextInput(), default="09:30", validators=[TIME]
    )
    reason = TextAreaField(
        _l("Reason"),
        widget=GovTextArea(),
        validators=[DataRequired(_l("Give the reason for the extension")), Length(max=1000)],
    )
    submit = SubmitField(_l("Extend the deadline"), widget=GovSubmitInput())


class OutcomeLetterForm(FlaskForm):
    received_on = DateField(
        _l("Date the outcome letter was received"),
        widget=DateInput(),
        format="%d %m %Y",
        validators=[DataRequired(_l("Enter the date it was received"))],
    )
    submit = SubmitField(_l("Record the letter"), widget=GovSubmitInput())
