from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from vir.core.forms import PasswordInput


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        widget=GovTextInput(),
        validators=[DataRequired(_l("Enter your email address")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        widget=PasswordInput(),
        validators=[DataRequired(_l("Enter your password")), Length(max=1024)],
    )
    submit = SubmitField(_l("Sign in"), widget=GovSubmitInput())


def code_field() -> StringField:
    return StringField(
        _l("Code from your authenticator app"),
        widget=GovTextInput(),
        validators=[
            DataRequired(_l("Enter the 6-digit code")),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("The code is 6 digits, like 123456")),
        ],
    )


class CodeForm(FlaskForm):
    code = code_field()
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


def new_password_field() -> PasswordField:
    return PasswordField(
        _l("New password"),
        widget=PasswordInput(),
        description=_l("At least 12 characters. A few unrelated words work well."),
        validators=[
            DataRequired(_l("Enter a new password")),
            Length(min=12, max=1024, message=_l("Use at least 12 characters")),
        ],
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        widget=PasswordInput(),
        validators=[DataRequired(_l("Enter your current password"))],
    )
    new = new_password_field()
    submit = SubmitField(_l("Change password"), widget=GovSubmitInput())


class TwoStepForm(FlaskForm):
    """Turning two-step verification on or off needs the password and a current code, so a
    session alone (a borrowed or stolen one) cannot change it."""

    password = PasswordField(
        _l("Your password"),
        widget=PasswordInput(),
        validators=[DataRequired(_l("Enter your password"))],
    )
    code = code_field()


class EmptyForm(FlaskForm):
    """For buttons that only need the CSRF token (sign out, disable 2-step)."""


class SetPasswordForm(FlaskForm):
    new = new_password_field()
    submit = SubmitField(_l("Set password"), widget=GovSubmitInput())
