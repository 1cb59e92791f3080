"""Writing audit events. Allowed actions join the caller's transaction, so they are recorded
exactly when the action commits; denials and failed sign-ins are written on their own, since
the request that produced them is about to be rolled back."""

from __future__ import annotations

import logging
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert

from vir.audit.models import AuditEvent
from vir.core.db import db, utcnow

log = logging.getLogger(__name__)


def _actor(user: Any = None) -> dict[str, Any]:
    if user is None and has_request_context():
        user = current_user
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user_id": None, "actor": "", "organisation": ""}
    return {"user_id": user.id, "actor": user.email, "organisation": user.organisation.slug}


def _values(
    action: str,
    *,
    object_type: str,
    object_id: Any,
    provider_id: int | None,
    outcome: str,
    user: Any,
    detail: dict[str, Any],
) -> dict[str, Any]:
    values = {
        **_actor(user),
        "at": utcnow(),
        "action": action,
        "object_type": object_type,
        "object_id": "" if object_id is None else str(object_id),
        "provider_id": provider_id,
        "ip": (request.remote_addr or "") if has_request_context() else "cli",
        "outcome": outcome,
        "detail": dict(detail),
    }
    if has_request_context():
        from vir.core.logs import request_id

        # The same id as the request's log line and its X-Request-ID header.
        values["detail"].setdefault("request_id", request_id())
    # A value longer than its column (an object id in a crafted URL, say) would make the
    # insert fail and the event go unrecorded: it is cut to fit, and kept whole in detail.
    for column, size in _SIZES.items():
        text = values[column]
        if isinstance(text, str) and len(text) > size:
            values["detail"][f"{column}_full"] = text[:2000]
            values[column] = text[: size - 1] + "…"
    return values


_SIZES = {
    "actor": 254,
    "organisation": 64,
    "action": 64,
    "object_type": 32,
    "object_id": 64,
    "ip": 45,
}


def record(
    action: str,
    *,
    object_type: str = "",
    object_id: Any = "",
    provider_id: int | None = None,
    user: Any = None,
    **detail: Any,
) -> AuditEvent:
    """Record an allowed action as part of the current transaction."""
    event = AuditEvent(
        **_values(
            action,
            object_type=object_type,
            object_id=object_id,
            provider_id=provider_id,
            outcome="allowed",
            user=user,
            detail=detail,
        )
    )
    db.session.add(event)
    return event


def record_now(
    action: str,
    *,
    outcome: str = "denied",
    object_type: str = "",
    object_id: Any = "",
    provider_id: int | None = None,
    user: Any = None,
    **detail: Any,
) -> None:
    """Record an event in its own transaction, surviving the caller's rollback."""
    values = _values(
        action,
        object_type=object_type,
        object_id=object_id,
        provider_id=provider_id,
        outcome=outcome,
        user=user,
        detail=detail,
    )
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(AuditEvent).values(**values))
    except Exception:  # the refusal itself must still happen; say loudly that the log missed it
        log.exception("could not write audit event %s", action)


def record_denied(action: str, **kwargs: Any) -> None:
    record_now(action, outcome="denied", **kwargs)
