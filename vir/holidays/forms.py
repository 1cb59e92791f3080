from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import DateField, SubmitField
from wtforms.validators import DataRequired

from vir.core.forms import DateInput


class HolidayForm(FlaskForm):
    starts_on = DateField(
        _l("First day of the holiday"),
        widget=DateInput(),
        format="%d %m %Y",
        validators=[DataRequired(_l("Enter the first day, for example 21 12 2026"))],
    )
    ends_on = DateField(
        _l("Last day of the holiday"),
        widget=DateInput(),
        format="%d %m %Y",
        validators=[DataRequired(_l("Enter the last day, for example 1 1 2027"))],
    )
    submit = SubmitField(_l("Add the holiday"), widget=GovSubmitInput())
