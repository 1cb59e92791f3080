"""Sign in (password, then the second factor where needed), sign out, account settings."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from vir.accounts import operations as ops
from vir.accounts.forms import CodeForm, EmptyForm, LoginForm, PasswordChangeForm, TwoStepForm
from vir.accounts.models import User
from vir.accounts.operations import SignInResult
from vir.core.db import db
from vir.core.i18n import LOCALES

bp = Blueprint("accounts", __name__)

PENDING_SECONDS = 300  # how long a password stays good while the second factor is asked for


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make the sign-in page a phishing tool."""
    if not target:
        return url_for("web.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.home")
    return target


def _pending_user() -> User | None:
    pending: dict[str, Any] | None = session.get("pending_login")
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop("pending_login", None)
        return None
    return db.session.get(User, pending["uid"])


def _finish(user: User, next_url: str | None) -> Response:
    session.pop("pending_login", None)
    # A language chosen on the sign-in page is the person's choice now: it survives the new
    # session and becomes their preference, as switching after signing in would.
    chosen = session.get("locale")
    if chosen in LOCALES and chosen != user.locale:
        user.locale = chosen
    ops.open_session(user, request.remote_addr or "", request.user_agent.string)
    db.session.commit()
    session.clear()
    login_user(user)
    if user.locale:
        session["locale"] = user.locale
    return redirect(safe_next(next_url))


@bp.route("/sign-in", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    form = LoginForm()
    next_url = request.args.get("next")
    status = 200
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        outcome = ops.authenticate(
            form.email.data or "", form.password.data or "", request.remote_addr or ""
        )
        if outcome.result == SignInResult.THROTTLED:
            form.password.errors = [
                ngettext(
                    "Too many failed sign-in attempts. Try again in %(num)d second.",
                    "Too many failed sign-in attempts. Try again in %(num)d seconds.",
                    outcome.retry_after,
                )
            ]
            status = 429
            headers["Retry-After"] = str(outcome.retry_after)
        elif outcome.result != SignInResult.OK or outcome.user is None:
            form.password.errors = [_("The email address or password is not right.")]
            status = 200
        else:
            user = outcome.user
            if user.totp_enabled or ops.second_factor_required(user):
                session["pending_login"] = {
                    "uid": user.id,
                    "at": time.time(),
                    "next": safe_next(next_url),
                }
                return redirect(url_for("accounts.second_factor"))
            return _finish(user, next_url)
    elif form.errors:
        status = 200
    return render_template("accounts/login.html", form=form), status, headers


@bp.route("/sign-in/code", methods=["GET", "POST"])
def second_factor() -> Any:
    user = _pending_user()
    if user is None:
        flash(_("Your sign-in took too long. Sign in again."), "info")
        return redirect(url_for("accounts.login"))
    next_url = session["pending_login"].get("next")
    enrolling = not user.totp_enabled
    if enrolling and not user.totp_secret:
        ops.new_totp_secret(user)
        db.session.commit()
    form = CodeForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        code = form.code.data or ""
        throttled = ops.otp_throttled(user)
        ok = not throttled and (
            ops.enable_totp(user, code) if enrolling else ops.verify_totp(user, code)
        )
        db.session.commit()
        if ok:
            return _finish(user, next_url)
        throttled = throttled or ops.otp_throttled(user)
        if throttled:
            form.code.errors = [
                ngettext(
                    "Too many wrong codes. Try again in %(num)d second.",
                    "Too many wrong codes. Try again in %(num)d seconds.",
                    throttled.retry_after,
                )
            ]
            status, headers = 429, {"Retry-After": str(throttled.retry_after)}
        else:
            ops.throttle_fail(user.email, request.remote_addr or "")
            form.code.errors = [
                _("That code is not right, or was already used. Wait for a new code and try again.")
            ]
    qr = None
    if enrolling:
        qr = segno.make(ops.totp_uri(user), error="m").svg_inline(scale=4)
    return (
        render_template(
            "accounts/second_factor.html",
            form=form,
            enrolling=enrolling,
            secret=user.totp_secret if enrolling else None,
            qr=qr,
        ),
        status,
        headers,
    )


@bp.post("/sign-out")
def logout() -> Response:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        ops.close_session(current_user.session_key)
        from vir.audit.operations import record

        record("logout", object_type="user", object_id=current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not ops.check_password(current_user, form.current.data or ""):
            form.current.errors = [_("Your current password is not right.")]
        else:
            try:
                ops.set_password(current_user, form.new.data or "")
            except ops.AccountError as exc:
                form.new.errors = [str(exc)]
            else:
                # set_password ends every session, this one too: start a fresh one.
                db.session.commit()
                flash(_("Your password has been changed."), "success")
                return _finish(current_user._get_current_object(), url_for("accounts.account"))
    return _account_page(form=form)


def _account_page(
    form: PasswordChangeForm | None = None, two_step: TwoStepForm | None = None
) -> str:
    return render_template(
        "accounts/account.html",
        form=form or PasswordChangeForm(formdata=None),
        two_step=two_step or TwoStepForm(formdata=None),
        empty=EmptyForm(),
        second_factor_required=ops.second_factor_required(current_user),
    )


@bp.post("/account/two-step/reset")
@login_required
def reset_second_factor() -> Any:
    """Turn two-step verification off (or start again; required users set it up at their
    next sign-in): with the password and a current code, not the session alone."""
    form = TwoStepForm()
    if form.validate_on_submit() and _password_and_code(form):
        ops.disable_totp(current_user)
        db.session.commit()
        flash(_("Two-step verification is off for your account."), "success")
        return redirect(url_for("accounts.account"))
    db.session.commit()
    return _account_page(two_step=form), 422


@bp.route("/account/two-step/setup", methods=["GET", "POST"])
@login_required
def setup_second_factor() -> Any:
    """Anyone may choose two-step verification, not only the roles that must have it."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if user.totp_enabled:
        return redirect(url_for("accounts.account"))
    form = TwoStepForm()
    if request.method == "GET" or not user.totp_secret:
        ops.new_totp_secret(user)
        db.session.commit()
    elif form.validate_on_submit():
        if not ops.check_password(user, form.password.data or ""):
            form.password.errors = [_("Your password is not right.")]
        elif ops.enable_totp(user, form.code.data or ""):
            db.session.commit()
            flash(_("Two-step verification is on for your account."), "success")
            return redirect(url_for("accounts.account"))
        else:
            form.code.errors = [
                _("That code is not right, or was already used. Wait for a new code and try again.")
            ]
        db.session.commit()
    qr = segno.make(ops.totp_uri(user), error="m").svg_inline(scale=4)
    return render_template(
        "accounts/two_step_setup.html", form=form, qr=qr, secret=user.totp_secret
    )


def _password_and_code(form: TwoStepForm) -> bool:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if not ops.check_password(user, form.password.data or ""):
        ops.throttle_fail(user.email, request.remote_addr or "")
        form.password.errors = [_("Your password is not right.")]
        return False
    if not ops.verify_totp(user, form.code.data or ""):
        form.code.errors = [
            _("That code is not right, or was already used. Wait for a new code and try again.")
        ]
        return False
    return True


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Any:
    from vir.accounts.forms import SetPasswordForm
    from vir.accounts.links import user_for_token

    user = user_for_token(token)
    if user is None:
        return render_template("accounts/link_expired.html"), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            ops.set_password(user, form.new.data or "")
        except ops.AccountError as exc:
            form.new.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("Your password is set. Sign in with it now."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/set_password.html", form=form, user=user)
