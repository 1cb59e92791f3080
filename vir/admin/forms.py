from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from vir.core.forms import options
from vir.orgs.models import OrgKind


class OrganisationForm(FlaskForm):
    slug = StringField(
        _l("Short name"),
        widget=GovTextInput(),
        description=_l("Lower-case letters, digits and hyphens, e.g. cardiff"),
        validators=[
            DataRequired(_l("Enter a short name")),
            Regexp(
                r"^[a-z0-9][a-z0-9-]{1,62}$",
                message=_l("Use lower-case letters, digits and hyphens only"),
            ),
        ],
    )
    name_en = StringField(
        _l("Name in English"),
        widget=GovTextInput(),
        validators=[DataRequired(_l("Enter the name in English")), Length(max=200)],
    )
    name_cy = StringField(
        _l("Name in Welsh"),
        widget=GovTextInput(),
        validators=[DataRequired(_l("Enter the name in Welsh")), Length(max=200)],
    )
    kind = SelectField(
        _l("Kind"),
        widget=GovSelect(),
        choices=options(
            [
                (OrgKind.LOCAL_AUTHORITY.value, _l("Local authority")),
                (OrgKind.CONSORTIUM.value, _l("Regional consortium")),
                (OrgKind.PARTNER.value, _l("Partner")),
                (OrgKind.INSPECTORATE.value, _l("Inspectorate")),
            ]
        ),
    )
    consortium = SelectField(
        _l("Consortium (local authorities only)"), widget=GovSelect(), validators=[Optional()]
    )
    submit = SubmitField(_l("Add organisation"), widget=GovSubmitInput())


class UserForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        widget=GovTextInput(),
        validators=[
            DataRequired(_l("Enter an email address")),
            Email(_l("Enter an email address like name@example.gov.wales")),
            Length(max=254),
        ],
    )
    name = StringField(
        _l("Full name"),
        widget=GovTextInput(),
        validators=[DataRequired(_l("Enter the person’s name")), Length(max=200)],
    )
    org = SelectField(
        _l("Organisation"),
        widget=GovSelect(),
        validators=[DataRequired(_l("Choose an organisation"))],
    )
    roles = SelectMultipleField(
        _l("Roles"),
        widget=GovCheckboxesInput(),
        validators=[DataRequired(_l("Choose at least one role"))],
    )
    submit = SubmitField(_l("Add user"), widget=GovSubmitInput())


class AssignForm(FlaskForm):
    provider = SelectField(
        _l("Provider"), widget=GovSelect(), validators=[DataRequired(_l("Choose a provider"))]
    )
    submit = SubmitField(_l("Assign"), widget=GovSubmitInput())
