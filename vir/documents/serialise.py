"""Documents as the API (and the web pages' JSON for the uploader) show them."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select

from vir.access import can_see_index_failure
from vir.core.db import db
from vir.core.i18n import locale
from vir.core.labels import index_reason
from vir.documents.models import Document, DocumentVersion


def index_status(version: DocumentVersion) -> str:
    return _index_row(version)[0]


def _index_row(
    version: DocumentVersion, known: dict[int, tuple[str, str]] | None = None
) -> tuple[str, str]:
    from vir.search.models import DocumentText, IndexStatus

    if known is not None:
        return known.get(version.id, (IndexStatus.PENDING, ""))
    row = db.session.get(DocumentText, version.id)
    return (row.status, row.reason or "") if row is not None else (IndexStatus.PENDING, "")


def index_rows(version_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Index status and reason of many versions in one statement (not the stored text)."""
    from vir.search.models import DocumentText

    if not version_ids:
        return {}
    return {
        v: (status, reason or "")
        for v, status, reason in db.session.execute(
            select(DocumentText.version_id, DocumentText.status, DocumentText.reason).where(
                DocumentText.version_id.in_(version_ids)
            )
        )
    }


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


def document_dict(
    d: Document,
    *,
    versions: bool = False,
    warnings: list[str] | None = None,
    index: dict[int, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """``index``: statuses loaded beforehand for a list (`index_rows`)."""
    current = d.current
    body: dict[str, Any] = {
        "id": d.id,
        "title": d.title,
        "filename": current.filename,
        "media_type": current.media_type,
        "size": current.size,
        "sha256": current.sha256,
        "version": current.version,
        "category": d.category,
        "description": d.description,
        "uploaded_at": current.uploaded_at,
        "uploaded_by": current.uploaded_by.name if current.uploaded_by else None,
        "folder_id": d.folder_id,
        "provider": d.folder.room.provider.slug,
        "area": d.folder.area,
        "deleted_at": d.deleted_at,
        "warnings": warnings or [],
        "late": current.late,
        "late_reason": current.late_reason,
        "index_status": _index_row(current, index)[0],
        "scanned": current.scanned,
        "active_content": _active(current.active_content),
    }
    status, reason = _index_row(current, index)
    # Why not all of its text is searchable (failures: only to those who may see them).
    if status == "failed" and not can_see_index_failure(current_user, current):
        reason = ""
    body["index_reason"] = reason or None
    body["index_message"] = index_reason(reason) or None
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
