"""The conference pack: a folder's papers (and its subfolders') as one zip, built as it is
sent, so memory stays flat however large the folder: each file is read from the store a
chunk at a time into a stored (uncompressed: papers are PDFs and office files, compressed
already) zip entry, and the bytes go out as soon as the zip writer has them.

Beside the files, ``index.csv`` and ``index.html`` list every paper (title, category, file
name, uploader and organisation, upload time, version, late flag and reason, SHA-256), in
Welsh and English."""

from __future__ import annotations

import csv
import html
import io
import logging
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from vir.audit.operations import record
from vir.audit.queries import csv_cell
from vir.core.db import db
from vir.core.labels import CATEGORY_LABELS
from vir.core.text import clean_name
from vir.documents import watermark
from vir.documents.models import Document, DocumentVersion
from vir.rooms.models import Folder
from vir.storage import get_storage
from vir.storage.base import Storage

# Zip64 for any entry that might pass 2 GiB: zipfile must know before it writes the header.
ZIP64_FROM = 2**31
log = logging.getLogger(__name__)


@dataclass
class Entry:
    """What the pack needs of a paper, copied out of the database before anything is sent
    (nothing is loaded while the zip streams)."""

    document_id: int
    title: str
    category: str
    path: str  # inside the zip
    version: int
    storage_key: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploader: str | None
    organisation: str
    late: bool
    late_reason: str
    # The reader's mark for this file (VIR_WATERMARK), made as the zip streams; a draft
    # that must be marked and cannot be is left out rather than sent unmarked.
    mark: tuple[str, ...] | None = None
    mark_required: bool = False


def _subtree(folder: Folder) -> list[tuple[Folder, str]]:
    """The folder and its subfolders, each with its path inside the pack."""
    out, todo = [], [(folder, "")]
    while todo:
        current, prefix = todo.pop(0)
        out.append((current, prefix))
        for child in current.children:
            todo.append((child, posixpath.join(prefix, _safe(child.label(), "folder"))))
    return out


def _safe(name: str, fallback: str) -> str:
    cleaned = clean_name(name).replace("/", "-").replace("\\", "-").strip(". ")
    return cleaned or fallback


def entries(folder: Folder) -> list[Entry]:
    """Every document in the folder's subtree (not in the trash), current version, by folder
    then title; names made unique within the pack."""
    places = _subtree(folder)
    prefix = {f.id: p for f, p in places}
    documents = db.session.scalars(
        select(Document)
        .where(Document.folder_id.in_(list(prefix)), Document.deleted_at.is_(None))
        .options(selectinload(Document.versions).joinedload(DocumentVersion.uploaded_by))
        .options(joinedload(Document.folder))
        .order_by(Document.folder_id, Document.title, Document.id)
    )
    order = {f.id: n for n, (f, _p) in enumerate(places)}
    used: set[str] = {"index.csv", "index.html"}
    out = []
    for document in sorted(documents, key=lambda d: (order[d.folder_id], d.title.lower(), d.id)):
        if not document.versions:
            continue
        version = document.current
        name = posixpath.join(prefix[document.folder_id], _safe(version.filename, "document"))
        stem, ext = posixpath.splitext(name)
        n = 2
        while name.lower() in used:
            name, n = f"{stem} ({n}){ext}", n + 1
        used.add(name.lower())
        decision = watermark.decide(document, version)
        lines = (
            tuple(watermark.lines_for(current_user, draft=decision.required))
            if decision.mark
            else None
        )
        out.append(
            Entry(
                mark=lines,
                mark_required=decision.required,
                document_id=document.id,
                title=document.title,
                category=document.category,
                path=name,
                version=version.version,
                storage_key=version.storage_key,
                size=version.size,
                sha256=version.sha256,
                uploaded_at=version.uploaded_at,
                uploader=version.uploaded_by.name if version.uploaded_by else None,
                organisation=version.uploaded_by_org or "",
                late=bool(version.late),
                late_reason=version.late_reason or "",
            )
        )
    return out


class _Sink(io.RawIOBase):
    """Where the zip writer writes: held only until the response takes it. No tell() or
    seek(), so zipfile writes each entry's sizes after its data (a data descriptor)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> Iterator[bytes]:
        chunks, self.chunks = self.chunks, []
        yield from chunks


class PackUnavailable(Exception):
    """A file the pack needs is not in the store (said before anything is sent)."""


def check_stored(found: list[Entry]) -> None:
    """Every file is there: once the zip has started, a missing one could only cut it off."""
    from vir.storage import StorageError

    storage = get_storage()
    try:
        missing = [e for e in found if not storage.exists(e.storage_key)]
    except StorageError as exc:
        raise PackUnavailable(str(exc)) from exc
    if missing:
        raise PackUnavailable(", ".join(e.path for e in missing[:5]))


def record_pack(folder: Folder, found: list[Entry]) -> None:
    """One download per document, as the guidance's audit expects, and the pack itself."""
    for entry in found:
        record(
            "document.download",
            object_type="document",
            object_id=entry.document_id,
            provider_id=folder.room.provider_id,
            version=entry.version,
            via="pack",
            marked=entry.mark is not None,
        )
    record(
        "folder.pack",
        object_type="folder",
        object_id=folder.id,
        provider_id=folder.room.provider_id,
        documents=len(found),
    )
    db.session.commit()


def _rows(found: list[Entry], locale: str) -> list[list[str]]:
    with force_locale(locale):
        return [
            [
                e.title,
                str(CATEGORY_LABELS.get(e.category, e.category)),
                e.path,
                e.uploader or _("a former user"),
                e.organisation,
                format_datetime(e.uploaded_at, "d MMMM y, HH:mm"),
                str(e.version),
                _("Late") if e.late else "",
                e.late_reason if e.late else "",
                e.sha256,
            ]
            for e in found
        ]


def _headers(locale: str) -> list[str]:
    with force_locale(locale):
        return [
            _("Title"),
            _("Category"),
            _("File"),
            _("Uploaded by"),
            _("Organisation"),
            _("Uploaded"),
            _("Version"),
            _("Late"),
            _("Reason given for lateness"),
            _("SHA-256"),
        ]


def index_csv(found: list[Entry]) -> bytes:
    """One row per paper; each heading and label in Welsh and English ("Teitl / Title")."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    both = [_rows(found, "cy"), _rows(found, "en")]
    headers = zip(_headers("cy"), _headers("en"), strict=True)
    writer.writerow([cy if cy == en else f"{cy} / {en}" for cy, en in headers])
    for cy_row, en_row in zip(*both, strict=True):
        writer.writerow(
            [
                csv_cell(cy if cy == en or not cy else f"{cy} / {en}")
                for cy, en in zip(cy_row, en_row, strict=True)
            ]
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # the BOM: Excel reads it as UTF-8


def index_html(folder: Folder, found: list[Entry], first: str, made: datetime) -> bytes:
    """A page listing the papers, in both languages, the reader's first."""
    sections = []
    for locale in (first, "en" if first == "cy" else "cy"):
        with force_locale(locale):
            heading = _("Papers in %(folder)s", folder=folder.label())
            provider = folder.room.provider.name(locale)
            when = _("Pack made on %(date)s.", date=format_datetime(made, "d MMMM y, HH:mm"))
            head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in _headers(locale))
        body = []
        for row, e in zip(_rows(found, locale), found, strict=True):
            cells = [html.escape(v) for v in row]
            cells[2] = f"<a href='{html.escape(e.path, quote=True)}'>{cells[2]}</a>"
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        sections.append(
            f"<section lang='{locale}'><h1>{html.escape(heading)}</h1>"
            f"<p>{html.escape(provider)}. {html.escape(when)}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            "</section>"
        )
    page = (
        f"<!DOCTYPE html><html lang='{first}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(folder.label())}</title>"
        "<style>body{font-family:Arial,sans-serif;margin:2em}table{border-collapse:collapse}"
        "th,td{border:1px solid #b1b4b6;padding:.3em .5em;text-align:left;vertical-align:top}"
        "section{margin-bottom:3em}</style></head><body>" + "".join(sections) + "</body></html>"
    )
    return page.encode("utf-8")


def pack_name(folder: Folder) -> str:
    return f"{_safe(folder.room.provider.slug, 'provider')} - {_safe(folder.label(), 'folder')}.zip"


def _marked(e: Entry, storage: Storage, font: Path | None, limit: int) -> bytes | None:
    """The entry's file with its reader's mark, or None when it cannot be marked (too large
    to hold, no font, a PDF pypdf cannot rewrite)."""
    if e.size > limit or font is None:
        log.warning("pack: document %s not marked (too large, or no font)", e.document_id)
        return None
    try:
        return watermark.stamp(b"".join(storage.open(e.storage_key)), list(e.mark or ()), font)
    except watermark.WatermarkError as exc:
        log.warning("pack: document %s not marked: %s", e.document_id, exc)
        return None


def stream(
    found: list[Entry],
    indexes: list[tuple[str, bytes]],
    made: datetime,
    storage: Storage,
    font: Path | None = None,
    mark_limit: int = 50 << 20,
) -> Iterator[bytes]:
    """The zip, as it is written: the papers, then the indexes. It needs no application or
    request context (everything was read before), so the response streams without one."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for e in found:
            info = zipfile.ZipInfo(e.path, date_time=e.uploaded_at.timetuple()[:6])
            if e.mark is not None:
                marked = _marked(e, storage, font, mark_limit)
                if marked is not None:
                    zf.writestr(info, marked)
                    yield from sink.take()
                    continue
                if e.mark_required:
                    continue  # a draft is never sent unmarked: left out of the pack
            # Unmarked, the stored file is copied through as it streams (memory stays flat).
            with zf.open(info, "w", force_zip64=e.size >= ZIP64_FROM) as out:
                for chunk in storage.open(e.storage_key):
                    out.write(chunk)
                    yield from sink.take()
            yield from sink.take()
        for name, data in indexes:
            info = zipfile.ZipInfo(name, date_time=made.timetuple()[:6])
            zf.writestr(info, data, zipfile.ZIP_DEFLATED)
            yield from sink.take()
    yield from sink.take()
