"""Reading documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from vir.core.db import db
from vir.documents.models import Document, DocumentVersion
from vir.rooms.models import Folder


def _in_folder(folder: Folder, trashed: bool) -> Any:
    stmt = select(Document).where(Document.folder_id == folder.id)
    return stmt.where(
        Document.deleted_at.is_not(None) if trashed else Document.deleted_at.is_(None)
    )


def folder_summary(folder: Folder) -> tuple[int, set[str]]:
    """How many documents a folder holds (not trashed), and their categories: one
    statement, whatever page of the folder is shown."""
    rows = db.session.execute(
        select(Document.category, func.count())
        .where(Document.folder_id == folder.id, Document.deleted_at.is_(None))
        .group_by(Document.category)
    ).all()
    return sum(n for _, n in rows), {category for category, _ in rows}


def in_folder(folder: Folder, *, trashed: bool = False) -> list[Document]:
    return list(db.session.scalars(_in_folder(folder, trashed).order_by(Document.title)))


def page_in_folder(
    folder: Folder, *, offset: int, limit: int, trashed: bool = False, total: int | None = None
) -> tuple[int, list[Document]]:
    """One page of a folder's documents, by title, with how many there are in all (counted
    unless the caller knows, as ``total``); their versions and uploaders loaded with them (a
    fixed number of statements per page)."""
    stmt = _in_folder(folder, trashed)
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    documents = list(
        db.session.scalars(
            stmt.order_by(Document.title, Document.id)
            .offset(offset)
            .limit(limit)
            .options(selectinload(Document.versions).joinedload(DocumentVersion.uploaded_by))
        )
    )
    return total, documents
