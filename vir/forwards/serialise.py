"""Forwards as the API shows them."""

from __future__ import annotations

from typing import Any

from vir.access import READ, can
from vir.core.i18n import locale
from vir.forwards.models import Forward
from vir.forwards.operations import is_stale


def forward_dict(f: Forward, user: Any, warnings: list[str] | None = None) -> dict[str, Any]:
    lang = locale()
    accepted = None
    # Where it was accepted into: the sender sees the folder's name, and only those who may
    # open the folder (the authority and its inspectors) see the ids.
    if f.document_id is not None and f.document is not None:
        readable = can(user, READ, f.document.folder.room, f.document.folder.area)
        accepted = {
            "document_id": f.document_id if readable else None,
            "folder_id": f.document.folder_id if readable else None,
            "folder": f.document.folder.label(),
        }
    return {
        "id": f.id,
        "direction": "sent" if user.org_id == f.from_org_id else "received",
        "status": f.status,
        "provider": f.provider.slug,
        "provider_name": f.provider.name(lang),
        "from_organisation": f.from_org.slug,
        "from_organisation_name": f.from_org.name(lang),
        "forwarded_by": f.created_by.name if f.created_by else None,
        "forwarded_at": f.created_at,
        "note": f.note,
        "activity_id": f.activity_id,
        "filename": f.filename,
        "media_type": f.media_type,
        "size": f.size,
        "sha256": f.sha256,
        "stale": is_stale(f),
        "decided_at": f.decided_at,
        "decided_by": f.decided_by.name if f.decided_by else None,
        "decline_reason": f.decline_reason,
        "accepted_into": accepted,
        "file_available": f.purged_at is None,
        "warnings": warnings or [],
        "scanned": f.scanned,
        "active_content": [p for p in (f.active_content or "").split(",") if p],
    }
