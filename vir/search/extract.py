"""Text extraction, run in a separate process with limits on time, memory, output and
uncompressed bytes, so a hostile or broken file fails its own indexing and nothing else.

- PDF: pypdfium2 (a wheel, so every machine the run command works on reads PDFs; see
  bench/extraction.py for its speed against poppler's pdftotext). Pages without a text layer
  are scans: they are rendered and read by Tesseract (Debian's tesseract-ocr, English and
  Welsh) when it is installed, within a page and time budget.
- PNG and JPEG: read by Tesseract likewise.
- OOXML (DOCX, XLSX, PPTX) and ODF (ODT, ODS, ODP): the standard library's zip and XML
  parsers, reading a bounded number of decompressed bytes, walking every text node and the
  text after each inline element (headers, footers, notes, comments, text boxes, tables,
  cells, sheet names, speaker notes).
- RTF: striprtf, linear in its input, which decodes \\uN and \\'xx and skips pictures.
- Text and CSV: the first bytes up to the text limit.

The child answers with JSON: the text and, when the text is not all there or not there at
all, a note: a code from NOTES, which `vir.search.reasons` words in the reader's language.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

MAX_TEXT_MB = 4  # text kept and indexed per document (VIR_SEARCH_MAX_TEXT_MB)
MAX_UNZIPPED = 64 * 1024 * 1024
TIMEOUT = 60
OCR_TIMEOUT = 300  # VIR_OCR_TIMEOUT: a whole document's recognition
OCR_PAGES = 30  # VIR_OCR_MAX_PAGES
MEMORY = 768 * 1024 * 1024
PDF_PAGES = 2000
MAX_PIXELS = 60_000_000  # a page image or photo larger than this is not read
OCR_DPI = 300
OCR_LANGUAGES = "cym+eng"

# What a note means; the words people read are in vir.search.reasons.
NOTES = {
    "truncated",  # partial: only the first MAX_TEXT_MB of text
    "pdf_pages",  # partial: only the first PDF_PAGES pages
    "ocr_pages",  # partial: only the first OCR_PAGES scanned pages were read
    "ocr_time",  # partial: recognition stopped at its time limit
    "ocr",  # indexed: some or all text was recognised from a scan
    "scan_no_ocr",  # no text: a scan, and text recognition is not installed here
    "image_no_ocr",  # no text: an image, likewise
    "no_text",  # no text in the file
    "image_too_large",  # no text: too many pixels to read
    "timeout",
    "too_big",
    "memory",
    "encrypted",
    "unreadable",  # failed
}


class ExtractionError(RuntimeError):
    """Extraction failed; ``code`` is one of NOTES, ``detail`` says more (not translated)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code if not detail else f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class Extracted:
    text: str
    note: str = ""  # a code from NOTES, or ""

    @property
    def partial(self) -> bool:
        return self.note in ("truncated", "pdf_pages", "ocr_pages", "ocr_time")


@dataclass
class Limits:
    max_text_mb: float = MAX_TEXT_MB
    ocr_timeout: int = OCR_TIMEOUT
    ocr_pages: int = OCR_PAGES
    ocr: bool = True

    @classmethod
    def from_config(cls, config: Any) -> Limits:
        return cls(
            max_text_mb=float(config.get("VIR_SEARCH_MAX_TEXT_MB", MAX_TEXT_MB)),
            ocr_timeout=int(config.get("VIR_OCR_TIMEOUT", OCR_TIMEOUT)),
            ocr_pages=int(config.get("VIR_OCR_MAX_PAGES", OCR_PAGES)),
            ocr=bool(config.get("VIR_OCR_ENABLED", True)),
        )


def ocr_available() -> bool:
    """Whether Tesseract is installed here with English and Welsh."""
    if not shutil.which("tesseract"):
        return False
    try:
        listed = subprocess.run(
            ["tesseract", "--list-langs"],  # noqa: S607 - Debian package
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    langs = set(listed.stdout.decode("utf-8", "replace").split())
    return {"eng", "cym"} <= langs


SCANNABLE = ("application/pdf", "image/png", "image/jpeg")


def _limits(cpu: int) -> Any:
    def apply() -> None:  # runs in the child before exec
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes nothing to disk

    return apply


def extract(path: Path, media_type: str, limits: Limits | None = None) -> Extracted:
    """Extract in a child process; raises ExtractionError with a code people can be told."""
    limits = limits or Limits()
    ocr = limits.ocr and media_type in SCANNABLE and ocr_available()
    timeout = TIMEOUT + (limits.ocr_timeout if ocr else 0)
    options = {
        "max_text": int(limits.max_text_mb * 1024 * 1024),
        "ocr": ocr,
        "ocr_pages": limits.ocr_pages,
        "deadline": limits.ocr_timeout,
    }
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_THREAD_LIMIT": "1"}
    try:
        result = subprocess.run(  # noqa: S603 - our own module, arguments from our database
            # The file itself, not `-m vir.search.extract`, which would import Flask and the
            # rest of VIR (0.1 s) before reading a byte: this module needs none of it.
            [sys.executable, __file__, media_type, str(path), json.dumps(options)],
            capture_output=True,
            timeout=timeout,
            env=env,
            preexec_fn=_limits(timeout),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError("timeout") from exc
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else ""
        code, _, detail = last.partition(":")
        if code not in NOTES:  # killed by a limit, or an error we did not name
            code, detail = ("timeout", "") if result.returncode == -9 else ("unreadable", last)
        raise ExtractionError(code, detail.strip()[:200])
    try:
        answer = json.loads(result.stdout)
    except ValueError as exc:
        raise ExtractionError("unreadable", "no answer") from exc
    return Extracted(answer["text"], answer.get("note", ""))


# --- run in the child ------------------------------------------------------------------------


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Walker:
    """Text of an XML tree in document order: each element's text, its children, then the
    text after it (its tail), which is where the rest of a sentence sits after an inline
    element such as a span or a bold run."""

    def __init__(
        self,
        *,
        text: set[str] | None,
        skip: set[str],
        block: set[str],
        newline: set[str],
        tab: set[str],
        space: str = "",
    ) -> None:
        self.text_tags = text  # None: text of every element counts
        self.skip, self.block, self.newline, self.tab = skip, block, newline, tab
        self.space = space  # an element standing for N spaces (ODF text:s, attribute c)
        self.out: list[str] = []

    def walk(self, element: ET.Element) -> None:
        stack: list[tuple[ET.Element, bool]] = [(element, False)]
        out = self.out
        while stack:  # iterative: deep documents do not reach the recursion limit
            el, done = stack.pop()
            tag = _local(el.tag)
            if done:
                if tag in self.block:
                    out.append("\n")
                if el.tail and el is not element:
                    out.append(el.tail)
                continue
            if tag in self.skip:
                if el.tail:
                    out.append(el.tail)
                continue
            if tag in self.newline or tag in self.block:  # a block starts on a line of its own
                out.append("\n")
            elif tag in self.tab:
                out.append("\t")
            elif tag == self.space:
                count = next((v for k, v in el.attrib.items() if _local(k) == "c"), "1")
                out.append(" " * min(int(count) if count.isdigit() else 1, 100))
            if el.text and (self.text_tags is None or tag in self.text_tags):
                out.append(el.text)
            stack.append((el, True))
            stack.extend((child, False) for child in reversed(el))

    def text(self) -> str:
        return "".join(self.out)


def _parse(data: bytes) -> ET.Element:
    head = data[:4096]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data:  # office files never declare entities
        raise ExtractionError("unreadable", "entity declarations")
    return ET.fromstring(data)  # noqa: S314 - bounded input, no DTD (checked above)


class _Archive:
    """A zip read with one budget of decompressed bytes for all its members."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.budget = MAX_UNZIPPED
        self.names = self.zip.namelist()

    def read(self, name: str) -> bytes:
        info = self.zip.getinfo(name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ExtractionError("unreadable", "unusual compression")
        with self.zip.open(info) as fh:
            data = fh.read(self.budget + 1)
        self.budget -= len(data)
        if self.budget < 0:
            raise ExtractionError("too_big")
        return data

    def matching(self, pattern: str) -> list[str]:
        found = [n for n in self.names if re.fullmatch(pattern, n)]
        # slide2 before slide10, as people number them
        return sorted(
            found, key=lambda n: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", n)]
        )


_WORD = dict(
    text={"t"},
    skip={"delText", "instrText", "Fallback", "rPh"},
    block={"p", "tr", "tc"},
    newline={"br", "cr"},
    tab={"tab"},
)


def _docx(archive: _Archive) -> str:
    parts = (
        archive.matching(r"word/document\.xml")
        + archive.matching(r"word/header\d*\.xml")
        + archive.matching(r"word/footer\d*\.xml")
        + archive.matching(r"word/(footnotes|endnotes|comments)\.xml")
    )
    return _walk_parts(archive, parts, _WORD)


def _pptx(archive: _Archive) -> str:
    parts = (
        archive.matching(r"ppt/slides/slide\d+\.xml")
        + archive.matching(r"ppt/notesSlides/notesSlide\d+\.xml")
        + archive.matching(r"ppt/comments/[^/]+\.xml")
    )
    return _walk_parts(archive, parts, dict(_WORD, text={"t", "text"}))


def _walk_parts(archive: _Archive, parts: list[str], rules: dict[str, Any]) -> str:
    out = []
    for name in parts:
        walker = _Walker(**rules)
        walker.walk(_parse(archive.read(name)))
        out.append(walker.text())
    return "\n".join(out)


def _xlsx(archive: _Archive) -> str:
    """Sheet names, then each sheet's cells: shared strings looked up, inline strings and
    formula results as they are, numbers as written; then comments."""
    shared: list[str] = []
    if "xl/sharedStrings.xml" in archive.names:
        for si in _parse(archive.read("xl/sharedStrings.xml")):
            walker = _Walker(**dict(_WORD, block=set()))
            walker.walk(si)
            shared.append(walker.text())
    out: list[str] = []
    if "xl/workbook.xml" in archive.names:
        for el in _parse(archive.read("xl/workbook.xml")).iter():
            if _local(el.tag) == "sheet" and el.get("name"):
                out.append(el.get("name", ""))
    for name in archive.matching(r"xl/worksheets/sheet\d+\.xml"):
        for row in _parse(archive.read(name)).iter():
            if _local(row.tag) != "row":
                continue
            cells = []
            for cell in row:
                if _local(cell.tag) != "c":
                    continue
                kind = cell.get("t", "n")
                value = next((c.text for c in cell if _local(c.tag) == "v"), None)
                if kind == "s" and value is not None and value.strip().isdigit():
                    index = int(value)
                    cells.append(shared[index] if index < len(shared) else "")
                elif kind == "inlineStr":
                    walker = _Walker(**dict(_WORD, block=set()))
                    for child in cell:
                        if _local(child.tag) == "is":
                            walker.walk(child)
                    cells.append(walker.text())
                elif value is not None:
                    cells.append(value)
            out.append("\t".join(cells))
    comments = archive.matching(r"xl/comments\d*\.xml") + archive.matching(
        r"xl/threadedComments/[^/]+\.xml"
    )
    out.append(_walk_parts(archive, comments, dict(_WORD, text={"t", "text"})))
    return "\n".join(out)


_ODF = dict(
    text=None,
    skip={
        "tracked-changes",
        "note-citation",
        "creator",
        "date",
        "sequence-decls",
        "variable-decls",
        "user-field-decls",
        "forms",
        "script",
    },
    block={"p", "h", "list-item", "table-row", "table-cell", "note", "annotation", "frame", "page"},
    newline={"line-break"},
    tab={"tab"},
    space="s",
)


def _odf(archive: _Archive) -> str:
    out = []
    if "styles.xml" in archive.names:  # headers and footers live with the page styles
        for el in _parse(archive.read("styles.xml")).iter():
            if _local(el.tag) == "master-styles":
                walker = _Walker(**_ODF)
                walker.walk(el)
                out.append(walker.text())
    root = _parse(archive.read("content.xml"))
    sheets = any(_local(el.tag) == "spreadsheet" for el in root.iter())
    for el in root.iter() if sheets else ():
        if _local(el.tag) == "table":  # sheet names
            name = next((v for k, v in el.attrib.items() if _local(k) == "name"), "")
            if name:
                out.append(name)
    for el in root.iter():
        if _local(el.tag) == "body":
            walker = _Walker(**_ODF)
            walker.walk(el)
            out.append(walker.text())
    return "\n".join(out)


def _rtf(path: Path, max_text: int) -> str:
    from striprtf.striprtf import rtf_to_text

    # RTF is 7-bit: anything beyond is escaped, so latin-1 reads every byte as one character.
    with path.open("rb") as fh:
        raw = fh.read(MAX_UNZIPPED).decode("latin-1")
    return rtf_to_text(raw, errors="ignore")


def _plain(path: Path, max_text: int) -> tuple[str, bool]:
    with path.open("rb") as fh:
        data = fh.read(max_text + 4)
        more = bool(fh.read(1)) or len(data) > max_text
    data = data[:max_text]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), more
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" and more and exc.start >= len(data) - 4:
                return data[: exc.start].decode("utf-8"), more  # a character cut at the end
            continue
    return data.decode("utf-8", "replace"), more


class _OCR:
    def __init__(self, options: dict[str, Any]) -> None:
        self.enabled = bool(options.get("ocr"))
        self.pages = int(options.get("ocr_pages", OCR_PAGES))
        self.deadline = time.monotonic() + float(options.get("deadline", OCR_TIMEOUT))
        self.done = 0
        self.note = ""

    def image(self, data: bytes) -> str:
        """Text read from an image (PNG, say) by Tesseract, in English and Welsh."""
        left = self.deadline - time.monotonic()
        if left <= 1:
            self.note = "ocr_time"
            return ""
        try:
            result = subprocess.run(  # noqa: S603 - fixed arguments
                ["tesseract", "stdin", "stdout", "-l", OCR_LANGUAGES, "--psm", "3"],  # noqa: S607
                input=data,
                capture_output=True,
                timeout=left,
                check=False,
            )
        except subprocess.TimeoutExpired:
            self.note = "ocr_time"
            return ""
        self.done += 1
        return result.stdout.decode("utf-8", "replace") if result.returncode == 0 else ""


def _png(image: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _pdf(path: Path, options: dict[str, Any], ocr: _OCR) -> tuple[str, str]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ExtractionError("encrypted") from exc
        raise ExtractionError("unreadable", str(exc)) from exc
    note = ""
    out: list[str] = []
    scans = 0
    try:
        count = len(pdf)
        if count > PDF_PAGES:
            note = "pdf_pages"
        for number in range(min(count, PDF_PAGES)):
            page = pdf[number]
            try:
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                textpage.close()
                if len(text.strip()) < 3:  # no text layer: a scanned page
                    scans += 1
                    if ocr.enabled and ocr.done < ocr.pages and not ocr.note:
                        width, height = page.get_size()
                        scale = OCR_DPI / 72
                        if width * height * scale * scale > MAX_PIXELS:
                            scale = (MAX_PIXELS / (width * height)) ** 0.5
                        bitmap = page.render(scale=scale, grayscale=True)
                        text = ocr.image(_png(bitmap.to_pil()))
                        bitmap.close()
                    elif ocr.enabled and not ocr.note:
                        ocr.note = "ocr_pages"
                out.append(text)
            finally:
                page.close()
    finally:
        pdf.close()
    text = "\n".join(out)
    if scans:
        if not ocr.enabled:
            return text, note or ("scan_no_ocr" if not text.strip() else "")
        note = ocr.note or note or "ocr"
    return text, note


def _image(path: Path, ocr: _OCR) -> tuple[str, str]:
    from PIL import Image

    if not ocr.enabled:
        return "", "image_no_ocr"
    with Image.open(path) as image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            return "", "image_too_large"
        image.draft("L", image.size)
        data = _png(image.convert("L"))
    text = ocr.image(data)
    return text, ocr.note or "ocr"


def run(media_type: str, path: Path, options: dict[str, Any] | None = None) -> Extracted:
    options = options or {}
    max_text = int(options.get("max_text", MAX_TEXT_MB * 1024 * 1024))
    note = ""
    ocr = _OCR(options)
    if media_type == "application/pdf":
        text, note = _pdf(path, options, ocr)
    elif media_type in ("image/png", "image/jpeg"):
        text, note = _image(path, ocr)
    elif "openxmlformats" in media_type or "opendocument" in media_type:
        archive = _Archive(path)
        if "wordprocessingml" in media_type:
            text = _docx(archive)
        elif "spreadsheetml" in media_type:
            text = _xlsx(archive)
        elif "presentationml" in media_type:
            text = _pptx(archive)
        else:
            text = _odf(archive)
    elif media_type == "text/rtf":
        text = _rtf(path, max_text)
    elif media_type in ("text/plain", "text/csv"):
        text, more = _plain(path, max_text)
        note = "truncated" if more else ""
    else:
        text = ""
    # Spaces collapsed, but lines kept: they are the paragraphs "what changed" compares.
    text = "\n".join(line for line in (" ".join(p.split()) for p in text.splitlines()) if line)
    if len(text) > max_text:
        text, note = text[:max_text].rsplit(" ", 1)[0], "truncated"
    if not text and not note:
        note = "no_text"
    if note == "ocr" and not text:
        note = "no_text"
    return Extracted(text, note)


def _main() -> None:
    options = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    try:
        result = run(sys.argv[1], Path(sys.argv[2]), options)
    except ExtractionError as exc:
        sys.stderr.write(f"{exc.code}: {exc.detail}\n")
        sys.exit(2)
    except MemoryError:
        sys.stderr.write("memory:\n")
        sys.exit(2)
    except Exception as exc:  # any library's error means the same: this file cannot be read
        sys.stderr.write(f"unreadable: {type(exc).__name__}\n")
        sys.exit(2)
    sys.stdout.write(json.dumps({"text": result.text, "note": result.note}))


if __name__ == "__main__":
    _main()
