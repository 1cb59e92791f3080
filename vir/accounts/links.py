"""One-time links to set a password: signed, time-limited, and dead once used, because they
carry a fingerprint of the password hash they replace."""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from vir.accounts.models import User
from vir.core.db import db

MAX_AGE = 72 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="vir-set-password")


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def make_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def set_password_url(user: User) -> str:
    # Built from VIR_BASE_URL, not the request, so the CLI and a proxied request agree.
    base = current_app.config["VIR_BASE_URL"].rstrip("/")
    path = current_app.url_map.bind("").build("accounts.set_password", {"token": make_token(user)})
    return base + path


def user_for_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except BadSignature:
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        return None
    return user
