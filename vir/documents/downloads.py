"""Giving a stored version to a browser: one place decides the headers."""

from __future__ import annotations

from flask import Response, abort

from vir.documents import operations as ops
from vir.documents.models import Document
from vir.storage import StorageError, get_storage
from vir.storage.http import INLINE_TYPES


def file_response(document: Document, version_number: int | None, *,
                  inline: bool = False) -> Response:
    version = document.version(version_number)
    if version is None:
        abort(404)
    if inline and version.media_type not in INLINE_TYPES:
        abort(404)  # only PDF and images are ever shown inline
    ops.record_download(document, version, inline=inline)
    try:
        response = get_storage().send(
            version.storage_key, filename=version.filename, content_type=version.media_type,
            inline=inline,
            headers={"X-Frame-Options": "SAMEORIGIN" if inline else "DENY"})
    except StorageError:
        abort(503)
    return response
