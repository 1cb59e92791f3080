"""Documents as the API (and the web pages' JSON for the uploader) show them."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from vir.access import can_see_index_failure
from vir.core.db import db
from vir.core.i18n import locale
from vir.core.labels import index_reason
from vir.documents.models import Document, DocumentVersion
from vir.rooms.models import Folder


def index_status(version: DocumentVersion) -> str:
    return _index_row(version)[0]


def _index_row(version: DocumentVersion) -> tuple[str, str]:
    from vir.search.models import DocumentText, IndexStatus

    row = db.session.get(DocumentText, version.id)
    return (row.status, row.reason or "") if row is not None else (IndexStatus.PENDING, "")


def version_dict(v: DocumentVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "filename": v.filename,
        "media_type": v.media_type,
        "size": v.size,
        "sha256": v.sha256,
        "note": v.note,
        "uploaded_at": v.uploaded_at,
        "uploaded_by": v.uploaded_by.name if v.uploaded_by else None,
        "uploaded_by_organisation": v.uploaded_by_org,
        "late": v.late,
        "late_reason": v.late_reason,
        "information_date": v.information_date,
        "scanned": v.scanned,
        "active_content": _active(v.active_content),
    }


def _active(value: str) -> list[str]:
    return [part for part in (value or "").split(",") if part]


def listed_dict(row: Any, folder: Folder) -> dict[str, Any]:
    """A row of `queries.listing_page` as the API lists it: the fields `document_dict`
    gives a document with no versions or warnings."""
    from vir.search.models import IndexStatus

    body = _summary(
        row,
        row,
        uploaded_by=row.uploaded_by,
        provider=folder.room.provider.slug,
        area=folder.area,
        status=row.index_status or IndexStatus.PENDING,
        reason=row.index_reason or "",
    )
    body["warnings"] = []
    return body


def _summary(
    d: Any,
    v: Any,
    *,
    uploaded_by: str | None,
    provider: str,
    area: str,
    status: str,
    reason: str,
) -> dict[str, Any]:
    """The fields every answer about a document has: ``d`` has the document's own, ``v``
    its current version's (objects or one row with both)."""
    # Why not all of its text is searchable (failures: only to those who may see them).
    if status == "failed" and not can_see_index_failure(current_user, v):
        reason = ""
    return {
        "id": d.id,
        "title": d.title,
        "filename": v.filename,
        "media_type": v.media_type,
        "size": v.size,
        "sha256": v.sha256,
        "version": v.version,
        "category": d.category,
        "description": d.description,
        "uploaded_at": v.uploaded_at,
        "uploaded_by": uploaded_by,
        "folder_id": d.folder_id,
        "provider": provider,
        "area": area,
        "deleted_at": d.deleted_at,
        "late": v.late,
        "late_reason": v.late_reason,
        "index_status": status,
        "scanned": v.scanned,
        "active_content": _active(v.active_content),
        "index_reason": reason or None,
        "index_message": index_reason(reason) or None,
    }


def document_dict(
    d: Document,
    *,
    versions: bool = False,
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    current = d.current
    status, reason = _index_row(current)
    body = _summary(
        d,
        current,
        uploaded_by=current.uploaded_by.name if current.uploaded_by else None,
        provider=d.folder.room.provider.slug,
        area=d.folder.area,
        status=status,
        reason=reason,
    )
    body["warnings"] = warnings or []
    if versions:
        body["versions"] = [version_dict(v) for v in reversed(d.versions)]
        from vir.forwards.queries import for_document

        forward = for_document(d.id)
        body["forwarded"] = (
            None
            if forward is None
            else {
                "forward_id": forward.id,
                "organisation": forward.from_org.slug,
                "organisation_name": forward.from_org.name(locale()),
                "forwarded_by": forward.created_by.name if forward.created_by else None,
                "forwarded_at": forward.created_at,
                "accepted_at": forward.decided_at,
                "accepted_by": forward.decided_by.name if forward.decided_by else None,
            }
        )
    return body
