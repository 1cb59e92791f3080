"""/api/v1/tokens and /api/v1/me."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from vir.accounts import operations as ops
from vir.accounts.operations import SignInResult
from vir.accounts.schemas import MeSchema, TokenRequest, TokenResponse
from vir.api.common import Blueprint, fail
from vir.core.db import db
from vir.core.i18n import locale
from vir.core.limits import by_address

blp = Blueprint("api_accounts", __name__, url_prefix="/api/v1", description="Sign-in tokens")


def me_dict(user: Any) -> dict[str, Any]:
    loc = locale()
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "organisation": {
            "slug": user.organisation.slug,
            "name": user.organisation.name(loc),
            "kind": user.organisation.kind,
        },
        "roles": sorted(user.roles),
        "assignments": sorted(a.provider.slug for a in user.assignments),
        "locale": user.locale,
        "totp_enabled": user.totp_enabled,
    }


@blp.post("/tokens")
@by_address("VIR_RATE_TOKENS")
@blp.arguments(TokenRequest)
@blp.response(201, TokenResponse)
@blp.doc(security=[])
def create_token(args: dict[str, Any]) -> dict[str, Any]:
    """Exchange email, password (and TOTP code) for a bearer token."""
    outcome = ops.authenticate(args["email"], args["password"], request.remote_addr or "")
    if outcome.result == SignInResult.THROTTLED:
        fail(
            429,
            ngettext(
                "Too many failed sign-in attempts. Try again in %(num)d second.",
                "Too many failed sign-in attempts. Try again in %(num)d seconds.",
                outcome.retry_after,
            ),
            headers={"Retry-After": str(outcome.retry_after)},
        )
    if outcome.result != SignInResult.OK or outcome.user is None:
        fail(401, _("The email address or password is not right."))
    user = outcome.user
    if user.totp_enabled:
        if not args.get("otp"):
            fail(401, _("Enter the code from your authenticator app."), code="otp_required")
        throttled = ops.otp_throttled(user)
        if throttled or not ops.verify_totp(user, args["otp"]):
            db.session.commit()
            throttled = throttled or ops.otp_throttled(user)
            if throttled:
                fail(
                    429,
                    ngettext(
                        "Too many wrong codes. Try again in %(num)d second.",
                        "Too many wrong codes. Try again in %(num)d seconds.",
                        throttled.retry_after,
                    ),
                    headers={"Retry-After": str(throttled.retry_after)},
                )
            ops.throttle_fail(user.email, request.remote_addr or "")
            fail(401, _("That code is not right, or was already used."), code="otp_invalid")
    elif ops.second_factor_required(user):
        fail(
            403,
            _("Set up two-step verification in the web service before using the API."),
            code="second_factor_enrolment_required",
        )
    token, row = ops.issue_token(user, request.remote_addr or "")
    db.session.commit()
    return {"token": token, "expires_at": row.expires_at}


@blp.delete("/tokens/current")
@login_required
@blp.response(204)
def revoke_current_token() -> None:
    """Revoke the token this request was made with."""
    ops.revoke_token(g.api_token)
    db.session.commit()


@blp.get("/me")
@login_required
@blp.response(200, MeSchema)
def me() -> dict[str, Any]:
    """The signed-in user, their organisation, roles and assignments."""
    return me_dict(current_user)
