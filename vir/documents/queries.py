"""Reading documents."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import aliased, selectinload

from vir.accounts.models import User
from vir.core.db import db
from vir.documents.models import Document, DocumentVersion
from vir.rooms.models import Folder
from vir.search.models import DocumentText


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


def listing_page(folder: Folder, *, offset: int, limit: int) -> tuple[int, list[Row]]:
    """One page of a folder's documents (not trashed), by title, as rows of the fields a
    list shows: each document with its current version, uploader's name and index status,
    in one statement (a list of 100 costs no ORM objects: building them was most of its
    time), with how many there are in all."""
    count, listing = _listing_statements()
    params = {"folder_id": folder.id, "offset": offset, "limit": limit}
    total = db.session.scalar(count, params) or 0
    if offset >= total:  # past the end (an offset past 2**63 is more than SQL's integers hold)
        return total, []
    rows = db.session.execute(listing, params).all()
    return total, list(rows)


@cache
def _listing_statements() -> tuple[Any, Any]:
    """`listing_page`'s two statements, built once (building them took longer than
    running them)."""
    live = (Document.folder_id == bindparam("folder_id"), Document.deleted_at.is_(None))
    count = select(func.count(Document.id)).where(*live)
    # The page's documents first (the title index's order), then their current versions:
    # joining every document before the sort costs three times as much.
    page = (
        select(Document.id)
        .where(*live)
        .order_by(Document.title, Document.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
        .subquery()
    )
    newer = aliased(DocumentVersion)
    v = DocumentVersion
    listing = (
        select(
            Document.id,
            Document.title,
            Document.category,
            Document.description,
            Document.folder_id,
            Document.deleted_at,
            v.filename,
            v.media_type,
            v.size,
            v.sha256,
            v.version,
            v.uploaded_at,
            v.uploaded_by_id,
            v.late,
            v.late_reason,
            v.scanned,
            v.active_content,
            User.name.label("uploaded_by"),
            DocumentText.status.label("index_status"),
            DocumentText.reason.label("index_reason"),
        )
        .select_from(page)
        .join(Document, Document.id == page.c.id)
        .join(v, v.document_id == Document.id)
        .where(
            ~select(newer.id)
            .where(newer.document_id == v.document_id, newer.version > v.version)
            .exists()
        )
        .outerjoin(User, User.id == v.uploaded_by_id)
        .outerjoin(DocumentText, DocumentText.version_id == v.id)
        .order_by(Document.title, Document.id)
    )
    return count, listing
