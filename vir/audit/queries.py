"""Reading the audit trail: one filter used by the web page, the API and the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select

from vir.audit.models import AuditEvent
from vir.core.db import db
from vir.orgs.models import Organisation

CSV_COLUMNS = [
    "at",
    "actor",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "provider",
    "ip",
    "outcome",
    "detail",
]


def filtered(
    *,
    provider: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    scope: str = "all",
) -> Select[tuple[AuditEvent, str | None]]:
    """The events of the filters, newest first, within what ``scope`` (vir.access's
    AuditScope of the reader) holds."""
    from vir.access import ACCOUNT_ACTIONS, AuditScope

    stmt = (
        select(AuditEvent, Organisation.slug)
        .outerjoin(Organisation, AuditEvent.provider_id == Organisation.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if provider:
        stmt = stmt.where(Organisation.slug == provider)
    if action:
        # "document" matches document.upload, document.download, ...
        stmt = stmt.where(
            (AuditEvent.action == action) | AuditEvent.action.startswith(action + ".")
        )
    if scope != AuditScope.ALL:
        stmt = stmt.where(
            or_(
                *(
                    (AuditEvent.action == a) | AuditEvent.action.startswith(a + ".")
                    for a in ACCOUNT_ACTIONS
                )
            )
        )
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor.strip().lower())
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id.strip())
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until)
    return stmt


def for_object(object_type: str, object_id: int, limit: int = 50) -> list[AuditEvent]:
    """The latest events about one object, newest first (for its page)."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def as_dict(event: AuditEvent, provider_slug: str | None) -> dict:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "organisation": event.organisation,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "provider": provider_slug,
        "ip": event.ip,
        "outcome": event.outcome,
        "detail": event.detail or {},
    }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet will show as text: one starting as a formula does (OWASP's list:
    = + - @, tab, carriage return) gets a leading apostrophe; an empty cell stays empty."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(stmt: Select[tuple[AuditEvent, str | None]], batch: int = 500) -> Iterator[str]:
    """Stream CSV in batches; an FOI export can be large. Queries run as the response streams,
    so no ORM object outlives the session that loaded it."""
    buf = io.StringIO()
    writer = csv.writer(buf)

    def flush() -> str:
        value = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return value

    writer.writerow(CSV_COLUMNS)
    yield flush()
    offset = 0
    while True:
        rows = db.session.execute(stmt.limit(batch).offset(offset)).all()
        for event, slug in rows:
            d = as_dict(event, slug)
            d["detail"] = "; ".join(f"{k}={v}" for k, v in sorted(d["detail"].items()))
            writer.writerow([csv_cell(d[c]) for c in CSV_COLUMNS])
        yield flush()
        if len(rows) < batch:
            return
        offset += batch
        db.session.expunge_all()
