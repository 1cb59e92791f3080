"""Coarse rate limits (Flask-Limiter) on the routes anyone can make expensive: search,
uploads and API tokens. Counted per account (whichever session or token it uses) and, more
loosely, per client address, in Redis when VIR_REDIS_URL is set (shared by every worker and
node) and in each process's memory otherwise. Over a limit: 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


def _account() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{request.remote_addr or ''}"


def _address() -> str:
    return f"address:{request.remote_addr or ''}"


limiter = Limiter(key_func=_account, headers_enabled=True, retry_after="delta-seconds")


def _rate(name: str, per_address: bool = False) -> Callable[[], str]:
    def rate() -> str:
        value = str(current_app.config[name])
        if not per_address:
            return value
        # An address may be a whole council's office behind one NAT: ten times more room.
        count, _, period = value.partition("/")
        return f"{int(count) * ADDRESS_FACTOR}/{period}"

    return rate


ADDRESS_FACTOR = 10


def limited(name: str) -> Callable[[F], F]:
    """The limit ``name`` (a config key such as VIR_RATE_SEARCH, e.g. "60/minute") per
    account, and ten times it per address."""

    def decorate(view: F) -> F:
        view = limiter.limit(
            _rate(name, per_address=True), key_func=_address, scope=f"{name}:address"
        )(view)
        return limiter.limit(_rate(name), scope=name)(view)

    return decorate


def by_address(name: str) -> Callable[[F], F]:
    """The limit ``name`` per address only (for routes used before signing in)."""
    return limiter.limit(_rate(name), key_func=_address, scope=name)


def init_app(app: Flask) -> None:
    cfg = app.config
    cfg.setdefault("RATELIMIT_ENABLED", cfg.get("VIR_RATE_LIMITS", True))
    cfg.setdefault(
        "RATELIMIT_STORAGE_URI",
        cfg.get("VIR_RATE_LIMIT_STORAGE") or cfg.get("VIR_REDIS_URL") or "memory://",
    )
    cfg.setdefault("RATELIMIT_KEY_PREFIX", "vir-limits")
    limiter.init_app(app)
