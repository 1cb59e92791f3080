"""Document writes. The object is written first, then the row; if the row fails, the object
is removed. A crash between the two leaves an orphan object, which `vir storage reconcile`
finds; never a row without its object."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from vir.activities.rules import LateDeclaration, check_paper
from vir.audit.operations import record, record_now
from vir.calendar import retention_cutoff
from vir.core.db import db, utcnow
from vir.core.errors import Refusal
from vir.core.metrics import count_upload
from vir.core.text import clean_name
from vir.documents.models import Category, Document, DocumentVersion
from vir.documents.validation import CheckedFile, UploadRefused, check_upload
from vir.rooms.models import Folder
from vir.storage import StorageError, get_storage

log = logging.getLogger(__name__)
MAX_TITLE = 300


class DocumentError(Refusal):
    """A document change refused (a conflict, or the store or database failing)."""


@dataclass
class Upload:
    """An accepted upload: the document, its new version, and any warnings."""

    document: Document
    version: DocumentVersion
    warnings: list[str] = field(default_factory=list)


def title_from_filename(filename: str) -> str:
    """A readable title from a file name: no extension, underscores and dots as spaces, a
    capital first letter ("improvement_plan_2027.docx" → "Improvement plan 2027"). Hyphens
    stay: they belong to names such as Pen-y-bont."""
    stem = filename.rpartition(".")[0] or filename
    words = clean_name(stem.replace("_", " ").replace(".", " "))
    if words[:1].islower():
        words = words[0].upper() + words[1:]
    return words[:MAX_TITLE]


def object_key(folder: Folder, uid: str, version: int) -> str:
    # Generated, never the user's file name; the random tail keeps a retry from ever
    # colliding with an object an interrupted attempt left behind.
    return (
        f"rooms/{folder.room.provider.slug}/{folder.area}/{uid}/v{version}-{secrets.token_hex(4)}"
    )


def duplicate_warnings(folder: Folder, sha256: str, exclude: Document | None = None) -> list[str]:
    stmt = (
        select(Document.title)
        .join(DocumentVersion)
        .where(
            Document.folder_id == folder.id,
            Document.deleted_at.is_(None),
            DocumentVersion.sha256 == sha256,
        )
    )
    if exclude is not None:
        stmt = stmt.where(Document.id != exclude.id)
    titles = sorted(set(db.session.scalars(stmt)))
    return [_("The same file is already in this folder as “%(title)s”.", title=t) for t in titles]


def _store(folder: Folder, uid: str, version: int, checked: CheckedFile) -> str:
    if checked.pipeline is not None and checked.plan.folder_id == folder.id:
        # Most of it was sent while it arrived; send the rest and make it visible.
        checked.pipeline.finish(checked.size)
        checked.pipeline.complete()
        return checked.plan.key
    key = object_key(folder, uid, version)
    get_storage().save_file(
        key, checked.path, checked.media_type, size=checked.size, sha256=checked.sha256
    )
    return key


def remove_quietly(key: str) -> None:
    """Delete an object whose row is already gone or never was; a failure is logged, and the
    reconciler will find the orphan."""
    try:
        get_storage().delete(key)
    except StorageError:
        log.exception("could not remove %s; `vir storage reconcile` will find it", key)


def record_or_remove(key: str, write: Callable[[], None], *, racing: bool = False) -> None:
    """Flush and commit the rows for an object already stored; on any failure roll back and
    remove the object, so there is never a row without its object. ``racing``: a unique
    clash means another request added the same version number first."""
    try:
        write()
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        remove_quietly(key)
        if not racing:
            log.exception("could not record %s", key)
            raise DocumentError(
                _("The document could not be recorded, so nothing was kept. Try again."),
                "database_error",
                503,
            ) from exc
        raise DocumentError(
            _(
                "Someone else changed this document at the same moment. Reload "
                "the page and try again."
            )
        ) from exc
    except SQLAlchemyError as exc:
        db.session.rollback()
        remove_quietly(key)
        log.exception("could not record %s", key)
        raise DocumentError(
            _("The document could not be recorded, so nothing was kept. Try again."),
            "database_error",
            503,
        ) from exc
    except BaseException:
        db.session.rollback()
        remove_quietly(key)
        raise


def version_row(
    document: Document, number: int, key: str, checked: Any, user: Any, note: str = ""
) -> DocumentVersion:
    """The row for a stored file: ``checked`` is a CheckedFile, or another version whose
    stored bytes were copied (it has the same attributes).

    uploaded_at and any lateness are set when the row is written (see decide_lateness)."""
    return DocumentVersion(
        document=document,
        version=number,
        filename=checked.filename,
        media_type=checked.media_type,
        size=checked.size,
        sha256=checked.sha256,
        storage_backend=get_storage().name,
        storage_key=key,
        note=note.strip(),
        uploaded_by_id=getattr(user, "id", None),
        uploaded_by_org=user.organisation.slug if getattr(user, "organisation", None) else "",
        scanned=checked.scanned,
        active_content=checked.active_content,
    )


def decide_lateness(
    folder: Folder, version: DocumentVersion, declaration: LateDeclaration | None
) -> None:
    """The one-week rule, decided once, by the server clock, inside the transaction that
    stores the row; the same instant becomes the upload time."""
    now = utcnow()
    with db.session.no_autoflush:  # the new row is not ready to be written yet
        outcome = check_paper(folder, now, declaration)
    version.uploaded_at = now
    version.late = outcome.late
    version.late_reason = outcome.reason
    version.information_date = outcome.information_date


def _category(value: str | None) -> str:
    value = value or Category.OTHER
    if value not in set(Category):
        raise UploadRefused(_("Choose a category from the list."), "validation_error")
    return value


@contextlib.contextmanager
def audited_refusal(
    action: str,
    *,
    object_type: str,
    object_id: Any,
    provider_id: int | None,
    filename: str | None = None,
) -> Iterator[None]:
    """A refused upload (wrong type, deadline, a bomb) is recorded as a denial, in a
    transaction of its own that survives the caller's rollback, then refused as before."""
    try:
        yield
    except Refusal as exc:
        record_now(
            f"{action}.refused",
            object_type=object_type,
            object_id=object_id,
            provider_id=provider_id,
            code=exc.code,
            filename=(filename or "")[:255],
        )
        raise


def upload_document(
    folder: Folder,
    stream: IO[bytes],
    filename: str | None,
    *,
    user: Any,
    title: str | None = None,
    category: str | None = None,
    description: str = "",
    declaration: LateDeclaration | None = None,
    before_store: Callable[[CheckedFile], None] | None = None,
) -> Upload:
    """Check, store and record a new document; raises UploadRefused with nothing kept.

    ``before_store`` lets later rules (the paper deadline) look at the checked file and refuse
    it before any object is written."""
    category = _category(category)
    with audited_refusal(
        "document.upload",
        object_type="folder",
        object_id=folder.id,
        provider_id=folder.room.provider_id,
        filename=filename,
    ):
        check_paper(folder, utcnow(), declaration)  # fail fast, before reading a large body
        checked = check_upload(stream, filename)
        try:
            check_paper(folder, utcnow(), declaration)
            if before_store:
                before_store(checked)
            title = clean_name(title or "")[:MAX_TITLE] or title_from_filename(checked.filename)
            warnings = duplicate_warnings(folder, checked.sha256)
            uid = checked.plan.uid if checked.plan is not None else secrets.token_hex(16)
            key = _store(folder, uid, 1, checked)
        finally:
            checked.discard()
    document = Document(
        uid=uid,
        folder=folder,
        folder_id=folder.id,
        title=title,
        category=category,
        description=(description or "").strip(),
        created_by_id=getattr(user, "id", None),
    )
    version = version_row(document, 1, key, checked, user)

    def write() -> None:
        decide_lateness(folder, version, declaration)
        db.session.add_all([document, version])
        db.session.flush()
        record(
            "document.upload",
            object_type="document",
            object_id=document.id,
            provider_id=folder.room.provider_id,
            version=1,
            filename=checked.filename,
            sha256=checked.sha256,
            size=checked.size,
            area=folder.area,
        )

    record_or_remove(key, write)
    count_upload("document", checked.size)
    return Upload(document, version, warnings)


def add_version(
    document: Document,
    stream: IO[bytes],
    filename: str | None,
    *,
    user: Any,
    note: str = "",
    declaration: LateDeclaration | None = None,
    before_store: Callable[[CheckedFile], None] | None = None,
) -> Upload:
    """A new version of an existing document; earlier versions stay downloadable."""
    folder = document.folder
    with audited_refusal(
        "document.new_version",
        object_type="document",
        object_id=document.id,
        provider_id=folder.room.provider_id,
        filename=filename,
    ):
        check_paper(folder, utcnow(), declaration)
        checked = check_upload(stream, filename)
        try:
            check_paper(folder, utcnow(), declaration)
            if before_store:
                before_store(checked)
            warnings = duplicate_warnings(folder, checked.sha256, exclude=document)
            if checked.sha256 == document.current.sha256:
                warnings.append(_("This file is the same as the current version."))
            number = document.current.version + 1
            key = _store(folder, document.uid, number, checked)
        finally:
            checked.discard()
    version = version_row(document, number, key, checked, user, note)

    def write() -> None:
        decide_lateness(folder, version, declaration)
        db.session.add(version)
        db.session.flush()
        record(
            "document.new_version",
            object_type="document",
            object_id=document.id,
            provider_id=folder.room.provider_id,
            version=number,
            filename=checked.filename,
            sha256=checked.sha256,
            size=checked.size,
        )

    record_or_remove(key, write, racing=True)
    count_upload("version", checked.size)
    return Upload(document, version, warnings)


def move(
    document: Document, target: Folder, user: Any, declaration: LateDeclaration | None = None
) -> None:
    """Move a document to another folder of the same area of the same room (moving between
    areas would let Link Inspectors material reach providers, or the reverse). A paper moved
    into an activity's papers folder meets the one-week rule like any other."""
    source = document.folder
    if target.room_id != source.room_id or target.area != source.area:
        raise DocumentError(
            _("Documents can be moved only between folders of the same area."),
            "validation_error",
            422,
        )
    if target.id == source.id:
        return
    now = utcnow()
    outcome = check_paper(target, now, declaration)
    document.folder, document.folder_id = target, target.id
    if outcome.late:
        current = document.current
        current.late, current.late_reason = True, outcome.reason
        current.information_date = outcome.information_date
    record(
        "document.move",
        object_type="document",
        object_id=document.id,
        provider_id=source.room.provider_id,
        source=source.id,
        target=target.id,
        late=outcome.late,
    )


def edit_details(
    document: Document,
    user: Any,
    *,
    title: str | None = None,
    category: str | None = None,
    description: str | None = None,
) -> list[str]:
    """Change a document's title, category or description (``None``: unchanged); audited with
    what each was and became. The fields changed."""
    changes: dict[str, tuple[str, str]] = {}
    if title is not None:
        cleaned = clean_name(title)[:MAX_TITLE]
        if not cleaned:
            raise DocumentError(_("Enter a title."), "validation_error", 422, field="title")
        changes["title"] = (document.title, cleaned)
    if category is not None:
        changes["category"] = (document.category, _category(category))
    if description is not None:
        changes["description"] = (document.description or "", description.strip()[:4000])
    changed = {k: v for k, v in changes.items() if v[0] != v[1]}
    for name, (_old, new) in changed.items():
        setattr(document, name, new)
    if changed:
        record(
            "document.edit",
            object_type="document",
            object_id=document.id,
            provider_id=document.folder.room.provider_id,
            **{f"{k}_was": v[0] for k, v in changed.items()},
            **{k: v[1] for k, v in changed.items()},
        )
    return sorted(changed)


def trash(document: Document, user: Any) -> None:
    if document.deleted_at is not None:
        return
    document.deleted_at = utcnow()
    document.deleted_by_id = getattr(user, "id", None)
    record(
        "document.delete",
        object_type="document",
        object_id=document.id,
        provider_id=document.folder.room.provider_id,
        title=document.title,
    )


def restore(document: Document, user: Any) -> None:
    if document.deleted_at is None:
        return
    document.deleted_at = None
    document.deleted_by_id = None
    record(
        "document.restore",
        object_type="document",
        object_id=document.id,
        provider_id=document.folder.room.provider_id,
        title=document.title,
    )


def purge(
    older_than: datetime | None = None, progress: Callable[[Iterable[Document]], Any] | None = None
) -> int:
    """Remove for good documents in the trash longer than the retention period."""
    cutoff = older_than or retention_cutoff(
        utcnow(), current_app.config["VIR_TRASH_RETENTION_DAYS"]
    )
    documents = list(
        db.session.scalars(
            select(Document).where(Document.deleted_at.is_not(None), Document.deleted_at < cutoff)
        )
    )
    items: Iterable[Document] = progress(documents) if progress else documents
    count = 0
    for document in items:
        keys = [v.storage_key for v in document.versions]
        record(
            "document.purge",
            object_type="document",
            object_id=document.id,
            provider_id=document.folder.room.provider_id,
            title=document.title,
            versions=len(keys),
        )
        db.session.delete(document)
        db.session.commit()
        # Rows first, then objects: an interrupted purge leaves orphans, never dangling rows.
        for key in keys:
            remove_quietly(key)
        count += 1
    return count


def record_download(
    document: Document, version: DocumentVersion, *, inline: bool, marked: bool = False
) -> None:
    record(
        "document.preview" if inline else "document.download",
        object_type="document",
        object_id=document.id,
        provider_id=document.folder.room.provider_id,
        version=version.version,
        marked=marked,
    )
    db.session.commit()


def record_view(document: Document) -> None:
    record(
        "document.view",
        object_type="document",
        object_id=document.id,
        provider_id=document.folder.room.provider_id,
    )
    db.session.commit()
