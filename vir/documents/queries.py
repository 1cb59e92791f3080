"""Reading documents."""

from __future__ import annotations

from sqlalchemy import select

from vir.core.db import db
from vir.documents.models import Document
from vir.rooms.models import Folder


def in_folder(folder: Folder, *, trashed: bool = False) -> list[Document]:
    stmt = select(Document).where(Document.folder_id == folder.id)
    stmt = stmt.where(Document.deleted_at.is_not(None) if trashed
                      else Document.deleted_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Document.title)))
