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


class ForwardForm(FlaskForm):
    provider = SelectField(
        _l("Authority"),
        widget=GovSelect(),
        validators=[DataRequired(_l("Choose the authority"))],
        description=_l(
            "The local authority the evidence is for. It decides whether to share it in VIR."
        ),
    )
    activity_id = SelectField(_l("Activity (optional)"), widget=GovSelect(), coerce=int, default=0)
    files = MultipleFileField(
        _l("Files"),
        widget=GovFileInput(),
        description=_l(
            "Choose one or more files. PDF, Word, Excel, "
            "PowerPoint, OpenDocument, RTF, text, CSV, PNG "
            "or JPEG."
        ),
    )
    note = TextAreaField(
        _l("Note for the authority"),
        widget=GovTextArea(),
        description=_l("What the evidence is and why it matters to the conference."),
        validators=[Length(max=4000)],
    )
    submit = SubmitField(_l("Forward evidence"), widget=GovSubmitInput())


class AcceptForm(FlaskForm):
    folder_id = SelectField(
        _l("Folder in your Provider Area"),
        widget=GovSelect(),
        coerce=int,
        validators=[DataRequired(_l("Choose a folder"))],
    )
    title = StringField(
        _l("Title (optional)"),
        widget=GovTextInput(),
        description=_l("Defaults from the file name."),
        validators=[Optional(), Length(max=300)],
    )
    category = SelectField(
        _l("Category"),
        widget=GovSelect(),
        choices=options(CATEGORY_LABELS.items()),
        default="other",
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
    submit = SubmitField(_l("Accept into the folder"), widget=GovSubmitInput())


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Why you are declining it"),
        widget=GovTextArea(),
        description=_l("The sender will see this."),
        validators=[DataRequired(_l("Say why you are declining it")), Length(max=2000)],
    )
    submit = SubmitField(_l("Decline"), widget=GovSubmitInput())
