"""The pack as an HTTP response, for the web page and the API alike."""

from __future__ import annotations

import logging

from flask import Response
from flask_babel import gettext as _

from vir.core.db import utcnow
from vir.core.errors import Refusal
from vir.core.i18n import locale
from vir.packs import operations as ops
from vir.rooms.models import Folder
from vir.storage import get_storage
from vir.storage.http import attachment_headers

log = logging.getLogger(__name__)


def pack_response(folder: Folder) -> Response:
    """Checked and audited before the first byte; then streamed. A store that cannot give
    every file refuses the pack with 503, rather than sending a zip cut off half way."""
    found = ops.entries(folder)
    try:
        ops.check_stored(found)
    except ops.PackUnavailable as exc:
        log.error("pack of folder %s: files missing from the store: %s", folder.id, exc)
        raise Refusal(
            _("The document store cannot give every paper just now. Try again later."),
            "storage_unavailable",
            503,
        ) from exc
    made = utcnow()
    indexes = [
        ("index.csv", ops.index_csv(found)),
        ("index.html", ops.index_html(folder, found, locale(), made)),
    ]
    headers = attachment_headers(ops.pack_name(folder))
    ops.record_pack(folder, found)
    from vir.documents import watermark

    body = ops.stream(
        found,
        indexes,
        made,
        get_storage(),
        font=watermark.font_path(),
        mark_limit=watermark.max_bytes(),
    )
    return Response(body, mimetype="application/zip", headers=headers)
