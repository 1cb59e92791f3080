"""Sign-in plumbing and HTTP hardening: Flask-Login, CSRF, security headers."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, Response, abort, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()


def is_api_request() -> bool:
    return request.path.startswith("/api/")


@login_manager.user_loader
def _load_session_user(key: str):  # type: ignore[no-untyped-def]
    # The API authenticates by bearer token only: a browser cookie must never authorise an API
    # call, since the API is exempt from CSRF.
    if is_api_request():
        return None
    from vir.accounts.operations import resume_session

    return resume_session(key)


@login_manager.request_loader
def _load_token_user(req):  # type: ignore[no-untyped-def]
    if not is_api_request():
        return None
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    from vir.accounts.operations import resolve_token

    found = resolve_token(token.strip())
    if found is None:
        return None
    user, row = found
    g.api_token = row
    return user


@login_manager.unauthorized_handler
def _unauthorized() -> Response:
    if is_api_request():
        abort(401)
    flash(_l("Sign in to continue."), "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _headers(response: Response) -> Response:
    h = response.headers
    if "Content-Security-Policy" not in h:
        nonce = g.get("csp_nonce")
        script = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
        h["Content-Security-Policy"] = (
            f"default-src 'self'; script-src {script}; style-src 'self'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not request.path.startswith("/static/"):
        # Pages show confidential material: keep them out of shared caches and the back button.
        h.setdefault("Cache-Control", "no-store")
    return response


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul() -> None:
    """No text a request sends may hold a NUL character: PostgreSQL cannot store one (the
    query fails, and the answer was a 500), and no name, address or note has one. Files are
    not text here and are not looked at."""
    from flask import request

    found = "\x00" in request.path or any(_has_nul(v) for v in request.args.values())
    if not found and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        found = any(_has_nul(v) for v in request.form.values())
    if not found and request.is_json:
        found = _has_nul(request.get_json(silent=True))
    if found:
        from flask_babel import gettext as _

        from vir.api.common import fail

        fail(422, _("Text cannot contain NUL characters."), code="invalid_characters")


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)
    # Flask also refuses session cookies older than this; keep it in step with our own limit.
    app.permanent_session_lifetime = timedelta(hours=app.config["VIR_SESSION_ABSOLUTE_HOURS"])
    login_manager.init_app(app)
    login_manager.session_protection = None  # the server-side session is the protection
    csrf.init_app(app)
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
