from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"),
        widget=GovTextArea(),
        validators=[
            DataRequired(message=_l("Write the comment first.")),
            Length(max=10_000, message=_l("A comment can be at most 10,000 characters.")),
        ],
    )
    reply_to = HiddenField()
    submit = SubmitField(_l("Add comment"), widget=GovSubmitInput())
