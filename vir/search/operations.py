"""Keeping the index in step with the database. Changes are collected as rows are flushed and
handed to the task worker only after the transaction commits, so only committed documents
ever reach the index."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable
from itertools import islice
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload

from vir.core.db import db, utcnow
from vir.documents.models import Document, DocumentVersion
from vir.rooms.models import Folder, Room
from vir.search import index as idx
from vir.search.extract import ExtractionError, extract
from vir.search.models import DocumentText, IndexStatus
from vir.storage import StorageError, get_storage

log = logging.getLogger(__name__)
_PENDING = "vir_search_pending"
_INDEXING = "vir_search_indexing"


def _track(session: Session, flush_context: Any) -> None:
    if session.info.get(_INDEXING):
        return  # the indexer's own writes (extracted text) change nothing searchable
    pending: set[int] = session.info.setdefault(_PENDING, set())
    for obj in session.new:
        if isinstance(obj, DocumentVersion):
            pending.add(obj.document_id)
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Document) and obj.id is not None:
            pending.add(obj.id)


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, set())
    if pending and current_app.config.get("VIR_SEARCH_ENABLED", True):
        from vir.core.tasks import index_documents

        index_documents(sorted(pending))


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def init_app(app: Flask) -> None:
    from vir.search import scoring

    scoring.configure(app.config.get("VIR_SEARCH_CACHE_MB", 128))
    if getattr(init_app, "_registered", False):
        return
    # after_flush: keys are assigned, and new/dirty/deleted still show what was flushed.
    event.listen(Session, "after_flush", _track)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", lambda s, prev: _after_rollback(s))
    init_app._registered = True  # type: ignore[attr-defined]


# --- extraction and indexing -----------------------------------------------------------------


def text_for(version: DocumentVersion, row: DocumentText | None = None) -> DocumentText:
    """The stored text of a version (``row``, when the caller has loaded it), extracting it
    first if need be."""
    row = row or db.session.get(DocumentText, version.id)
    if row is not None and row.status in (IndexStatus.INDEXED, IndexStatus.NO_TEXT) \
            and row.extracted_at:
        return row
    row = row or DocumentText(version_id=version.id)
    db.session.add(row)
    with tempfile.NamedTemporaryFile(prefix="vir-extract-") as tmp:
        try:
            for chunk in get_storage().open(version.storage_key):
                tmp.write(chunk)
            tmp.flush()
            result = extract(Path(tmp.name), version.media_type)
        except (ExtractionError, StorageError) as exc:
            row.status, row.reason, row.text = IndexStatus.FAILED, str(exc)[:500], ""
        else:
            row.text = result.text
            row.status = IndexStatus.INDEXED if result.text.strip() else IndexStatus.NO_TEXT
            row.reason = "" if result.text.strip() else "no text in this file"
    row.extracted_at = row.updated_at = utcnow()
    return row


def _activity(folder: Any, known: dict[int, str]) -> str:
    """The activity a folder (or its parent) belongs to, remembered per folder for a run."""
    from vir.activities.operations import for_folder

    if folder.id not in known:
        found = for_folder(folder) or (folder.parent and for_folder(folder.parent))
        known[folder.id] = str(found[0].id) if found else ""
    return known[folder.id]


def _fields(document: Document, text: str, activities: dict[int, str]) -> dict[str, Any]:
    version = document.current
    folder = document.folder
    return {
        "id": str(document.id), "document_id": document.id, "version": version.version,
        "title": document.title, "filename": version.filename,
        "provider": folder.room.provider.slug, "area": folder.area, "folder": str(folder.id),
        "activity": _activity(folder, activities), "category": document.category,
        "organisation": version.uploaded_by_org, "uploaded_at": version.uploaded_at,
        "content": text, "exact": text,
    }


def index_document_ids(ids: Iterable[int],
                       progress: Callable[[Iterable[int]], Any] | None = None,
                       bulk: bool = False, replace: bool = False) -> int:
    """Bring the index in step for these documents, in one writer and one commit. ``bulk``:
    their old entries are already gone (a rebuild), so they are only added; ``replace``:
    they become the whole index."""
    done = 0
    db.session.info[_INDEXING] = True
    items = iter(progress(list(ids)) if progress else ids)
    activities: dict[int, str] = {}
    with idx.writer(bulk=bulk, replace=replace) as w:
        add = w.add_document if bulk else w.update_document
        # Documents, their folders and stored texts are loaded a few hundred at a time: one
        # query each per batch rather than several per document.
        while batch := list(islice(items, 250)):
            documents = {d.id: d for d in db.session.scalars(
                select(Document).where(Document.id.in_(batch))
                .options(joinedload(Document.folder).joinedload(Folder.room)
                         .joinedload(Room.provider)))}
            texts = {t.version_id: t for t in db.session.scalars(
                select(DocumentText).where(DocumentText.version_id.in_(
                    [d.current.id for d in documents.values() if d.versions])))}
            for document_id in batch:
                document = documents.get(document_id)
                if document is None or document.deleted_at is not None \
                        or not document.versions:
                    w.delete_by_term("id", str(document_id))
                    continue
                row = text_for(document.current, texts.get(document.current.id))
                add(**_fields(document, row.text, activities))
                row.indexed_at = utcnow()
                done += 1
    db.session.commit()
    return done


def reindex(provider: str | None = None,
            progress: Callable[[Iterable[int]], Any] | None = None) -> int:
    """Rebuild from stored text (extracting only what was never extracted)."""
    from vir.orgs.models import Organisation

    stmt = select(Document.id).where(Document.deleted_at.is_(None))
    if provider:
        stmt = (stmt.join(Folder, Document.folder_id == Folder.id).join(Room)
                .join(Organisation, Room.provider_id == Organisation.id)
                .where(Organisation.slug == provider))
        with idx.writer() as w:
            w.delete_by_term("provider", provider)
        return index_document_ids(db.session.scalars(stmt).all(), progress, bulk=True)
    # The whole index: written anew and swapped in at commit (searches go on meanwhile).
    return index_document_ids(db.session.scalars(stmt).all(), progress, bulk=True,
                              replace=True)


def check() -> dict[str, list[int]]:
    """Documents missing from the index, stale (an older version indexed), or indexed but
    deleted."""
    live = {d.id: d.current.version for d in db.session.scalars(
        select(Document).where(Document.deleted_at.is_(None))) if d.versions}
    with idx.searcher() as s:
        indexed = {int(f["document_id"]): int(f["version"]) for f in s.all_stored_fields()}
    return {
        "missing": sorted(set(live) - set(indexed)),
        "stale": sorted(i for i in live if i in indexed and indexed[i] != live[i]),
        "extra": sorted(set(indexed) - set(live)),
    }
