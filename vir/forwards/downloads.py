"""Giving a forwarded file to a browser, with the same headers as any document."""

from __future__ import annotations

from flask import Response, abort

from vir.documents.downloads import send_stored
from vir.forwards import operations as ops
from vir.forwards.models import Forward
from vir.storage.http import previewable


def forward_file_response(forward: Forward, *, inline: bool = False) -> Response:
    if forward.purged_at is not None:
        abort(410)  # kept as history; the file went after the retention period
    if inline and not previewable(forward.media_type, forward.active_content):
        abort(404)
    ops.record_download(forward, inline=inline)
    return send_stored(forward.storage_key, forward.filename, forward.media_type, inline=inline)
