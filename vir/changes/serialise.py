from __future__ import annotations

from typing import Any

from vir.changes.operations import Comparison
from vir.documents.models import DocumentVersion


def _version(v: DocumentVersion) -> dict[str, Any]:
    return {"version": v.version, "filename": v.filename, "uploaded_at": v.uploaded_at}


def comparison_dict(c: Comparison) -> dict[str, Any]:
    return {
        "document_id": c.document.id,
        "from_": _version(c.earlier),
        "to": _version(c.later),
        "words_inserted": c.inserted,
        "words_deleted": c.deleted,
        "identical": c.identical,
        "page": c.page,
        "pages": c.pages,
        "pages_with_changes": c.changed_pages,
        "paragraphs_total": c.total_paragraphs,
        "first_paragraph": c.first,
        "paragraphs": [[{"op": ch.op, "text": ch.text} for ch in p] for p in c.paragraphs],
    }
