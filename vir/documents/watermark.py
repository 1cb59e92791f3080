"""Downloads that say who took them: each page of a PDF given to a reader carries their name,
organisation and the time ("Supplied to … on …; confidential"). The stored object never
changes; the mark is made on the way out.

``VIR_WATERMARK``: ``off``, ``drafts`` (the default: records and letters shared for a
factual-accuracy check, before their final version) or ``all`` (every PDF from a room).
The text is drawn with a TrueType font that has every Welsh letter (ŵ, ŷ and the rest):
DejaVu Sans from Debian's fonts-dejavu-core by default, or ``VIR_WATERMARK_FONT``.
"""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _

from vir.core.db import utcnow

log = logging.getLogger(__name__)

MODES = ("off", "drafts", "all")
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)
MARGIN = 14.0  # points from the page's bottom edge
SIZE = 7.5


class WatermarkError(RuntimeError):
    """The PDF could not be marked (encrypted, damaged, too large, or no font)."""


@dataclass(frozen=True)
class Decision:
    mark: bool
    required: bool = False  # a draft under check is never handed out unmarked


def mode() -> str:
    return (current_app.config.get("VIR_WATERMARK") or "drafts").strip().lower()


def decide(document: Any, version: Any) -> Decision:
    """Whether this version is marked when given out, and whether it must be."""
    if version.media_type != "application/pdf":
        return Decision(False)
    current = mode()
    if current == "off":
        return Decision(False)
    draft = _under_check(document, version)
    if draft:
        return Decision(True, required=True)
    return Decision(current == "all")


def _under_check(document: Any, version: Any) -> bool:
    from vir.letters.queries import letter_for_document

    letter = letter_for_document(document)
    if letter is None or letter.check_due_on is None:
        return False
    return letter.final_version is None or version.version < letter.final_version


def font_path() -> Path | None:
    configured = current_app.config.get("VIR_WATERMARK_FONT")
    for candidate in [configured] if configured else FONT_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def lines_for(user: Any, *, draft: bool) -> list[str]:
    """The mark's text in the reader's language."""
    locale = str(get_locale() or "en")
    org = user.organisation.name(locale) if user.organisation else ""
    supplied = _(
        "Supplied to %(name)s (%(org)s) on %(when)s; confidential",
        name=user.name,
        org=org,
        when=format_datetime(utcnow(), "d MMMM y, HH:mm"),
    )
    if draft:
        return [_("Draft for factual-accuracy check: not for circulation"), supplied]
    return [supplied]


@functools.lru_cache(maxsize=64)
def _overlay(width: float, height: float, lines: tuple[str, ...], font: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_font("mark", fname=font)
    pdf.add_page()
    pdf.set_font("mark", size=SIZE)
    pdf.set_text_color(150, 0, 0)
    y = height - MARGIN
    for line in reversed(lines):
        pdf.text(x=MARGIN, y=y, text=line)
        y -= SIZE + 3
    return bytes(pdf.output())


def stamp(data: bytes, lines: list[str], font: Path | None = None) -> bytes:
    """A copy of ``data`` with ``lines`` at the foot of every page (``font`` given, it needs
    no application context: the conference pack marks while it streams)."""
    from pypdf import PdfReader, PdfWriter, Transformation
    from pypdf.errors import PyPdfError

    font = font or font_path()
    if font is None:
        raise WatermarkError("no font for the watermark (install fonts-dejavu-core)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise WatermarkError("the PDF is encrypted")
        writer = PdfWriter(clone_from=reader)
        for page in writer.pages:
            box = page.mediabox
            width, height = float(box.width), float(box.height)
            overlay = PdfReader(io.BytesIO(_overlay(width, height, tuple(lines), str(font))))
            page.merge_transformed_page(
                overlay.pages[0], Transformation().translate(float(box.left), float(box.bottom))
            )
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except WatermarkError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise WatermarkError(f"the PDF could not be marked: {exc}") from exc


def max_bytes() -> int:
    return int(current_app.config.get("VIR_WATERMARK_MAX_MB") or 50) << 20
