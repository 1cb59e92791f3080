from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DateField,
    MultipleFileField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from vir.core.forms import DateInput, options
from vir.core.labels import CATEGORY_LABELS


class UploadForm(FlaskForm):
    files = MultipleFileField(
        _l("Files"),
        widget=GovFileInput(),
        description=_l(
            "Choose one or more files. PDF, Word, Excel, "
            "PowerPoint, OpenDocument, RTF, text, CSV, PNG "
            "or JPEG."
        ),
    )
    title = StringField(
        _l("Title (optional)"),
        widget=GovTextInput(),
        description=_l(
            "Used when you upload one file; otherwise each file’s name becomes its title."
        ),
        validators=[Optional(), Length(max=300)],
    )
    category = SelectField(
        _l("Category"),
        widget=GovSelect(),
        choices=options(CATEGORY_LABELS.items()),
        default="other",
    )
    description = TextAreaField(
        _l("Description (optional)"), widget=GovTextArea(), validators=[Length(max=4000)]
    )
    information_date = DateField(
        _l("Date of the information (late papers only)"),
        widget=DateInput(),
        format="%d %m %Y",
        validators=[Optional()],
        description=_l(
            "After the deadline, only information that is "
            "itself less than a week old can be shared."
        ),
    )
    late_reason = TextAreaField(
        _l("Why it is being shared late"), widget=GovTextArea(), validators=[Length(max=1000)]
    )
    submit = SubmitField(_l("Upload"), widget=GovSubmitInput())


class VersionForm(FlaskForm):
    files = MultipleFileField(_l("New version"), widget=GovFileInput())
    note = TextAreaField(
        _l("What has changed (optional)"),
        widget=GovTextArea(),
        description=_l("For example, the changes made after the conference."),
        validators=[Length(max=4000)],
    )
    submit = SubmitField(_l("Upload new version"), widget=GovSubmitInput())


class MoveForm(FlaskForm):
    folder_id = SelectField(_l("Move to folder"), widget=GovSelect(), coerce=int)
    information_date = DateField(
        _l("Date of the information (late papers only)"),
        widget=DateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )
    late_reason = TextAreaField(
        _l("Why it is being shared late"), widget=GovTextArea(), validators=[Length(max=1000)]
    )
    submit = SubmitField(_l("Move"), widget=GovSubmitInput())


class DetailsForm(FlaskForm):
    title = StringField(
        _l("Title"),
        widget=GovTextInput(),
        validators=[DataRequired(message=_l("Enter a title.")), Length(max=300)],
    )
    category = SelectField(
        _l("Category"), widget=GovSelect(), choices=options(CATEGORY_LABELS.items())
    )
    description = TextAreaField(
        _l("Description (optional)"), widget=GovTextArea(), validators=[Length(max=4000)]
    )
    submit = SubmitField(_l("Save details"), widget=GovSubmitInput())
