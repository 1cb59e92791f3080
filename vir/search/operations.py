"""Keeping the index in step with the database. Changes are collected as rows are flushed and
handed to the task worker only after the transaction commits, so only committed documents
ever reach the index."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from vir.core.db import db, utcnow
from vir.core.metrics import EXTRACTION_FAILURES
from vir.documents.models import Document, DocumentVersion
from vir.rooms.models import Folder, Room
from vir.search.backend import Change, get_backend
from vir.search.extract import ExtractionError, Limits, extract
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

    scoring.configure(app.config.get("VIR_SEARCH_CACHE_MB", 64))
    if getattr(init_app, "_registered", False):
        return
    # after_flush: keys are assigned, and new/dirty/deleted still show what was flushed.
    event.listen(Session, "after_flush", _track)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", lambda s, prev: _after_rollback(s))
    init_app._registered = True  # type: ignore[attr-defined]


# --- extraction and indexing -----------------------------------------------------------------


def _extraction_needed(row: DocumentText | None) -> bool:
    if row is None or row.extracted_at is None:
        return True
    if row.status == IndexStatus.FAILED:
        return True
    # A scan read before text recognition was installed is read again once it is.
    return row.reason in ("scan_no_ocr", "image_no_ocr") and _ocr_now()


def _ocr_now() -> bool:
    from vir.search.extract import ocr_available

    return bool(current_app.config.get("VIR_OCR_ENABLED", True)) and ocr_available()


def text_for(version: DocumentVersion, row: DocumentText | None = None) -> DocumentText:
    """The stored text of a version (``row``, when the caller has loaded it), extracting it
    first if need be."""
    row = row or db.session.get(DocumentText, version.id)
    if not _extraction_needed(row):
        return row
    row = row or DocumentText(version_id=version.id)
    db.session.add(row)
    with tempfile.NamedTemporaryFile(prefix="vir-extract-") as tmp:
        try:
            for chunk in get_storage().open(version.storage_key):
                tmp.write(chunk)
            tmp.flush()
            result = extract(
                Path(tmp.name), version.media_type, Limits.from_config(current_app.config)
            )
        except ExtractionError as exc:
            row.status, row.reason, row.text = IndexStatus.FAILED, exc.code, ""
            EXTRACTION_FAILURES.labels(exc.code).inc()
            log.info("extraction failed for version %s: %s", version.id, exc)
        except StorageError as exc:
            row.status, row.reason, row.text = IndexStatus.FAILED, "storage", ""
            EXTRACTION_FAILURES.labels("storage").inc()
            log.warning("extraction could not read version %s: %s", version.id, exc)
        else:
            row.text = result.text
            if not result.text.strip():
                row.status = IndexStatus.NO_TEXT
            elif result.partial:
                row.status = IndexStatus.PARTIAL
            else:
                row.status = IndexStatus.INDEXED
            row.reason = result.note if result.note != "no_text" or not result.text else ""
    row.extracted_at = row.updated_at = utcnow()
    return row


def _activity(folder: Any, known: dict[int, str]) -> str:
    """The activity a folder (or its parent) belongs to, remembered per folder for a run."""
    from vir.activities.operations import for_folder

    if folder.id not in known:
        found = for_folder(folder)  # a subfolder's is its parent's
        known[folder.id] = str(found[0].id) if found else ""
    return known[folder.id]


def _fields(document: Document, text: str, activities: dict[int, str]) -> dict[str, Any]:
    version = document.current
    folder = document.folder
    return {
        "id": str(document.id),
        "document_id": document.id,
        "version": version.version,
        "title": document.title,
        "filename": version.filename,
        "provider": folder.room.provider.slug,
        "area": folder.area,
        "folder": str(folder.id),
        "activity": _activity(folder, activities),
        "category": document.category,
        "organisation": version.uploaded_by_org,
        "uploaded_at": version.uploaded_at,
        "content": text,
        "exact": text,
    }


BATCH = 250


def _load(batch: list[int]) -> tuple[dict[int, Document], dict[int, DocumentText]]:
    """Documents with their folders, rooms and providers, and their stored texts: one query
    each per batch rather than several per document."""
    documents = {
        d.id: d
        for d in db.session.scalars(
            select(Document)
            .where(Document.id.in_(batch))
            .options(joinedload(Document.folder).joinedload(Folder.room).joinedload(Room.provider))
        )
    }
    texts = {
        t.version_id: t
        for t in db.session.scalars(
            select(DocumentText).where(
                DocumentText.version_id.in_(
                    [d.current.id for d in documents.values() if d.versions]
                )
            )
        )
    }
    return documents, texts


def _live(document: Document | None) -> bool:
    return document is not None and document.deleted_at is None and bool(document.versions)


def index_document_ids(
    ids: Iterable[int],
    progress: Callable[[Iterable[int]], Any] | None = None,
    bulk: bool = False,
    replace: bool = False,
    provider: str | None = None,
) -> int:
    """Bring the index in step for these documents, in one writer and one commit. ``bulk``:
    their old entries are already gone (a rebuild), so they are only added; ``replace``:
    they become the whole index; ``provider``: they become that provider's part of it.

    Text is extracted (and scans read) first, each file in its own limited process, and
    committed; only then is the index writer taken, so a slow file never holds it."""
    ids = list(ids)
    db.session.info[_INDEXING] = True
    for batch in _batches(progress(ids) if progress else ids):
        documents, texts = _load(batch)
        for document in documents.values():
            if _live(document) and _extraction_needed(texts.get(document.current.id)):
                text_for(document.current, texts.get(document.current.id))
                _commit_text()  # one file's text kept even if a later one fails
    versions: list[int] = []
    activities: dict[int, str] = {}

    def changes() -> Iterator[Change]:
        for batch in _batches(ids):
            documents, texts = _load(batch)
            for document_id in batch:
                document = documents.get(document_id)
                if document is None or not _live(document):
                    yield ("delete", document_id)
                    continue
                row = texts.get(document.current.id) or text_for(document.current)
                yield ("add", _fields(document, row.text, activities))
                versions.append(document.current.id)

    get_backend().write(changes(), bulk=bulk, replace=replace, provider=provider)
    _commit_text()
    for batch in _batches(versions):
        db.session.execute(
            update(DocumentText)
            .where(DocumentText.version_id.in_(batch))
            .values(indexed_at=utcnow())
        )
    db.session.commit()
    return len(versions)


def _commit_text() -> bool:
    """Commit extracted text; False when another worker (the periodic repair beside an
    upload's own task) stored the same version's text first, whose row is then kept."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.info("text already stored by another worker; keeping it")
        return False
    return True


def _batches(items: Iterable[int]) -> Iterator[list[int]]:
    it = iter(items)
    while batch := list(islice(it, BATCH)):
        yield batch


def warm() -> None:
    """Load what a process's first searches would otherwise load while a user waits: the
    Welsh and English word lists that parsing reads (170 ms), and the back end's own (for
    Whoosh: the searcher, field lengths and the word lists of "did you mean", another 300 ms
    and more as the index grows). A web worker calls it as it starts; a failure is logged,
    and the first search then loads what it needs, as before."""
    from vir.search import analysis
    from vir.search.queries import parse

    if not current_app.config.get("VIR_SEARCH_ENABLED", True):
        return
    try:
        analysis.welsh_words()
        analysis.welsh_names()
        analysis.english_words()
        parse('cynllun gwella* OR "school plan"')  # the parser's expressions, compiled
        get_backend().warm()
    except Exception:  # never stop a worker from starting over what is only a cache
        log.warning("search: warming up failed; first searches load it", exc_info=True)


def reindex(
    provider: str | None = None, progress: Callable[[Iterable[int]], Any] | None = None
) -> int:
    """Rebuild from stored text (extracting only what was never extracted)."""
    from vir.orgs.models import Organisation

    stmt = select(Document.id).where(Document.deleted_at.is_(None))
    if provider:
        stmt = (
            stmt.join(Folder, Document.folder_id == Folder.id)
            .join(Room)
            .join(Organisation, Room.provider_id == Organisation.id)
            .where(Organisation.slug == provider)
        )
        return index_document_ids(db.session.scalars(stmt).all(), progress, provider=provider)
    # The whole index: written anew and swapped in at commit (searches go on meanwhile).
    return index_document_ids(db.session.scalars(stmt).all(), progress, bulk=True, replace=True)


def check() -> dict[str, Any]:
    """Documents missing from the index, stale (an older version indexed), or indexed but
    deleted; and documents whose text could not be read (``failed``), is only partly
    searchable (``partial``) or has none (``no_text``, scans without text recognition
    among them), each with its reason code."""
    live = {
        d.id: d.current
        for d in db.session.scalars(select(Document).where(Document.deleted_at.is_(None)))
        if d.versions
    }
    indexed = get_backend().indexed()
    by_version = {v.id: document_id for document_id, v in live.items()}
    texts: dict[str, list[tuple[int, str]]] = {
        IndexStatus.FAILED: [],
        IndexStatus.PARTIAL: [],
        IndexStatus.NO_TEXT: [],
    }
    for batch in _batches(list(by_version)):
        for version_id, status, reason in db.session.execute(
            select(DocumentText.version_id, DocumentText.status, DocumentText.reason).where(
                DocumentText.version_id.in_(batch), DocumentText.status.in_(list(texts))
            )
        ):
            texts[status].append((by_version[version_id], reason))
    return {
        "missing": sorted(set(live) - set(indexed)),
        "stale": sorted(i for i in live if i in indexed and indexed[i] != live[i].version),
        "extra": sorted(set(indexed) - set(live)),
        **{str(status): sorted(found) for status, found in texts.items()},
    }


REPAIR_GRACE = timedelta(minutes=2)


def repair() -> int:
    """Index again whatever `check` finds out of step; how many documents that was. Versions
    uploaded in the last two minutes are left to their own queued task."""
    found = check()
    ids = set(found["missing"]) | set(found["stale"])
    if ids:
        recent = set(
            db.session.scalars(
                select(DocumentVersion.document_id).where(
                    DocumentVersion.uploaded_at > utcnow() - REPAIR_GRACE
                )
            )
        )
        ids -= recent
    ids = sorted(ids | set(found["extra"]))
    if ids:
        log.warning("search index out of step for %d document(s); repairing", len(ids))
        index_document_ids(ids)
    return len(ids)
