from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class FolderForm(FlaskForm):
    name = StringField(
        _l("Folder name"),
        widget=GovTextInput(),
        description=_l("For example, Improvement conference March 2027"),
        validators=[
            DataRequired(_l("Enter a name for the folder")),
            Length(max=120, message=_l("Use 120 characters or fewer")),
        ],
    )
    name_cy = StringField(
        _l("Welsh name (optional)"),
        widget=GovTextInput(),
        description=_l("Shown to people who use VIR in Welsh. Leave it empty to use one name."),
        validators=[Optional(), Length(max=120, message=_l("Use 120 characters or fewer"))],
    )
    parent_id = SelectField(_l("Inside"), widget=GovSelect(), coerce=int, validators=[Optional()])
    description = TextAreaField(
        _l("Description (optional)"), widget=GovTextArea(), validators=[Length(max=2000)]
    )
    submit = SubmitField(_l("Create folder"), widget=GovSubmitInput())


class RenameForm(FlaskForm):
    name = StringField(
        _l("Folder name"),
        widget=GovTextInput(),
        validators=[
            DataRequired(_l("Enter a name for the folder")),
            Length(max=120, message=_l("Use 120 characters or fewer")),
        ],
    )
    name_cy = StringField(
        _l("Welsh name (optional)"),
        widget=GovTextInput(),
        description=_l("Shown to people who use VIR in Welsh. Leave it empty to use one name."),
        validators=[Optional(), Length(max=120, message=_l("Use 120 characters or fewer"))],
    )
    description = TextAreaField(
        _l("Description (optional)"), widget=GovTextArea(), validators=[Length(max=2000)]
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())
