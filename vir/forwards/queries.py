"""Lists of forwarded evidence, already limited to what the caller may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from vir.access import can_forward, forward_rooms
from vir.core.db import db
from vir.forwards.models import Forward, ForwardStatus
from vir.rooms.models import Room


def sent(user: Any, status: str | None = None) -> list[Forward]:
    """Everything the user's organisation forwarded (partners only)."""
    if not can_forward(user):
        return []
    stmt = select(Forward).where(Forward.from_org_id == user.org_id)
    if status:
        stmt = stmt.where(Forward.status == status)
    return list(db.session.scalars(stmt.order_by(Forward.created_at.desc(), Forward.id.desc())))


def received(
    user: Any,
    status: str | None = None,
    provider_id: int | None = None,
    rooms: list[Room] | None = None,
) -> list[Forward]:
    """Forwards to every authority whose inbox the user may read (or one of them)."""
    ids = [r.provider_id for r in (rooms if rooms is not None else forward_rooms(user))]
    if provider_id is not None:
        ids = [i for i in ids if i == provider_id]
    if not ids:
        return []
    stmt = select(Forward).where(Forward.provider_id.in_(ids))
    if status:
        stmt = stmt.where(Forward.status == status)
    return list(db.session.scalars(stmt.order_by(Forward.created_at.desc(), Forward.id.desc())))


def pending_counts(provider_ids: list[int]) -> dict[int, int]:
    """Forwards waiting for a decision, per authority, in one query."""
    if not provider_ids:
        return {}
    return dict(
        db.session.execute(
            select(Forward.provider_id, func.count(Forward.id))
            .where(Forward.provider_id.in_(provider_ids), Forward.status == ForwardStatus.PENDING)
            .group_by(Forward.provider_id)
        ).all()
    )


def pending_count(provider_id: int) -> int:
    return pending_counts([provider_id]).get(provider_id, 0)


def sent_pending_count(user: Any) -> int:
    """How many forwards the user's organisation sent are still waiting (partners only)."""
    if not can_forward(user):
        return 0
    return (
        db.session.scalar(
            select(func.count(Forward.id)).where(
                Forward.from_org_id == user.org_id, Forward.status == ForwardStatus.PENDING
            )
        )
        or 0
    )


def for_document(document_id: int) -> Forward | None:
    """The forward a document was accepted from, for its provenance."""
    return db.session.scalar(select(Forward).where(Forward.document_id == document_id))
