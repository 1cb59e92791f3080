"""Giving a stored version to a browser: one place decides the headers."""

from __future__ import annotations

import logging

from flask import Response, abort
from flask_babel import gettext as _
from flask_login import current_user

from vir.documents import operations as ops
from vir.documents import watermark
from vir.documents.models import Document, DocumentVersion
from vir.storage import StorageError, get_storage
from vir.storage.http import attachment_headers, previewable

log = logging.getLogger(__name__)


def file_response(
    document: Document, version_number: int | None, *, inline: bool = False
) -> Response:
    version = document.version(version_number)
    if version is None:
        abort(404)
    if inline and not previewable(version.media_type, version.active_content):
        abort(404)  # only PDF and images are ever shown inline, and no PDF that runs code
    marked = marked_response(document, version, inline=inline)
    ops.record_download(document, version, inline=inline, marked=marked is not None)
    if marked is not None:
        return marked
    return send_stored(version.storage_key, version.filename, version.media_type, inline=inline)


def marked_response(
    document: Document, version: DocumentVersion, *, inline: bool = False
) -> Response | None:
    """The version with its reader's mark on every page, when VIR_WATERMARK asks for one;
    None to give out the stored file as it is. A draft under check that cannot be marked
    is refused (409), never given out unmarked."""
    decision = watermark.decide(document, version)
    if not decision.mark:
        return None
    marked = _marked(version, draft=decision.required)
    if marked is not None:
        return _send_bytes(marked, version, inline=inline)
    if decision.required:
        from vir.api.common import fail

        fail(
            409,
            _(
                "This draft is given out only with your name on every page, and that "
                "could not be done for this file. Ask the inspectors for a copy."
            ),
            code="watermark_failed",
        )
    return None


def _marked(version: DocumentVersion, *, draft: bool) -> bytes | None:
    """The version with the reader's mark on every page, or None (logged) if it cannot be
    marked; the stored object is only read."""
    if version.size > watermark.max_bytes():
        log.warning("version %s is too large to mark (%s bytes)", version.id, version.size)
        return None
    try:
        data = b"".join(get_storage().open(version.storage_key))
        return watermark.stamp(data, watermark.lines_for(current_user, draft=draft))
    except StorageError:
        abort(503)
    except watermark.WatermarkError as exc:
        log.warning("version %s not marked: %s", version.id, exc)
        return None


def _send_bytes(data: bytes, version: DocumentVersion, *, inline: bool) -> Response:
    response = Response(data, mimetype=version.media_type)
    response.headers.update(attachment_headers(version.filename, inline=inline))
    response.headers["X-Frame-Options"] = "SAMEORIGIN" if inline else "DENY"
    return response


def send_stored(key: str, filename: str, media_type: str, *, inline: bool = False) -> Response:
    """A stored file for the browser (documents and forwarded evidence alike): framed only by
    VIR's own preview page, 503 when the store cannot be reached."""
    try:
        return get_storage().send(
            key,
            filename=filename,
            content_type=media_type,
            inline=inline,
            headers={"X-Frame-Options": "SAMEORIGIN" if inline else "DENY"},
        )
    except StorageError:
        abort(503)
