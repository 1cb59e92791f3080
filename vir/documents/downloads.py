"""Giving a stored version to a browser: one place decides the headers."""

from __future__ import annotations

from flask import Response, abort

from vir.documents import operations as ops
from vir.documents.models import Document
from vir.storage import StorageError, get_storage
from vir.storage.http import previewable


def file_response(
    document: Document, version_number: int | None, *, inline: bool = False
) -> Response:
    version = document.version(version_number)
    if version is None:
        abort(404)
    if inline and not previewable(version.media_type, version.active_content):
        abort(404)  # only PDF and images are ever shown inline, and no PDF that runs code
    ops.record_download(document, version, inline=inline)
    return send_stored(version.storage_key, version.filename, version.media_type, inline=inline)


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
