"""HTTP headers for handing a stored file to a browser safely."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

# Only these may be shown inline (in the preview page); everything else is an attachment.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


def previewable(media_type: str, active_content: str = "") -> bool:
    """Shown in the browser rather than downloaded: PDFs and images, and never a PDF that
    runs something when opened."""
    return media_type in INLINE_TYPES and not active_content


def ascii_fallback(filename: str) -> str:
    """RFC 6266: an ASCII-only filename= for old clients, alongside filename*= in UTF-8."""
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    safe = "".join(ch if ch.isalnum() or ch in " ._-()" else "_" for ch in folded).strip()
    return safe or "document"


def attachment_headers(filename: str, *, inline: bool = False) -> dict[str, str]:
    disposition = "inline" if inline else "attachment"
    return {
        "Content-Disposition": (
            f'{disposition}; filename="{ascii_fallback(filename)}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'"
        if inline
        else "default-src 'none'",
    }
