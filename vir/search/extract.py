"""Text extraction, run in a separate process with limits on time, memory, output and
uncompressed bytes, so a hostile or broken file fails its own indexing and nothing else.

pdftotext (Debian poppler-utils) is used for PDF: the fastest of the tools measured here
(shared/MEASUREMENTS.md: 0.17 s for 50 pages, 0.83 s for 496, all probe words recovered).
OOXML and ODF are read with the standard library's zip and XML parsers, reading at most a
bounded number of decompressed bytes. Images carry no text; legacy binary Office files are
not extracted (status no_text)."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

MAX_TEXT = 2_000_000  # characters kept per document
MAX_UNZIPPED = 64 * 1024 * 1024
TIMEOUT = 60
MEMORY = 512 * 1024 * 1024
PDF_PAGES = 2000


class ExtractionError(RuntimeError):
    pass


@dataclass
class Extracted:
    text: str
    reason: str = ""


def _limits() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (TIMEOUT, TIMEOUT))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes nothing to disk


def extract(path: Path, media_type: str) -> Extracted:
    """Extract in a child process; raises ExtractionError with a reason people can read."""
    try:
        result = subprocess.run(  # noqa: S603 - our own module, arguments from our database
            [sys.executable, "-m", "vir.search.extract", media_type, str(path)],
            capture_output=True, timeout=TIMEOUT, preexec_fn=_limits, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError("extraction took too long") from exc
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ExtractionError(reason[-1][:300] if reason else "the file could not be read")
    return Extracted(result.stdout.decode("utf-8", "replace")[:MAX_TEXT])


# --- run in the child ------------------------------------------------------------------------


def _xml_text(data: bytes, tags: set[str]) -> list[str]:
    out: list[str] = []
    for element in ET.fromstring(data).iter():  # noqa: S314 - the zip read is bounded; no DTDs
        local = element.tag.rsplit("}", 1)[-1]
        if local in tags and element.text:
            out.append(element.text)
        if local in ("p", "br", "tab", "si", "row", "c", "h") and out and out[-1] != "\n":
            out.append("\n")
    return out


def _zip_members(path: Path, pattern: str) -> list[bytes]:
    budget = MAX_UNZIPPED
    members = []
    with zipfile.ZipFile(path) as archive:
        for name in sorted(n for n in archive.namelist() if re.fullmatch(pattern, n)):
            with archive.open(name) as fh:
                data = fh.read(budget + 1)
            budget -= len(data)
            if budget < 0:
                raise ExtractionError("the document expands too far")
            members.append(data)
    return members


def _ooxml(path: Path, media_type: str) -> str:
    if "wordprocessingml" in media_type:
        parts = _zip_members(path, r"word/(document|header\d*|footer\d*|footnotes)\.xml")
        tags = {"t"}
    elif "spreadsheetml" in media_type:
        parts = _zip_members(path, r"xl/sharedStrings\.xml|xl/worksheets/sheet\d+\.xml")
        tags = {"t", "v"}
    else:
        parts = _zip_members(path, r"ppt/slides/slide\d+\.xml|ppt/notesSlides/notesSlide\d+\.xml")
        tags = {"t"}
    return " ".join("".join(_xml_text(p, tags)) for p in parts)


def _odf(path: Path) -> str:
    parts = _zip_members(path, r"content\.xml")
    return " ".join("".join(_xml_text(p, {"p", "h", "span", "s"})) for p in parts)


def _rtf(path: Path) -> str:
    raw = path.read_bytes()[:MAX_UNZIPPED].decode("latin-1")
    raw = re.sub(r"\\'([0-9a-f]{2})", lambda m: bytes.fromhex(m.group(1)).decode("cp1252"), raw)
    raw = re.sub(r"\\(par|line)\b ?", "\n", raw)
    raw = re.sub(r"\{\\\*[^{}]*\}|\{\\fonttbl[^{}]*(\{[^{}]*\})*[^{}]*\}", "", raw)
    raw = re.sub(r"\\[a-z]+-?\d* ?|[{}]", "", raw)
    return raw


def _plain(path: Path) -> str:
    data = path.read_bytes()[:MAX_UNZIPPED]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _pdf(path: Path) -> str:
    result = subprocess.run(["pdftotext",  # noqa: S603, S607 - Debian poppler-utils on PATH "-q", "-enc", "UTF-8", "-l", str(PDF_PAGES),
                             str(path), "-"], capture_output=True, timeout=TIMEOUT - 5,
                            check=False)
    if result.returncode != 0:
        raise ExtractionError("the PDF could not be read")
    return result.stdout.decode("utf-8", "replace")


def run(media_type: str, path: Path) -> str:
    if media_type == "application/pdf":
        return _pdf(path)
    if "openxmlformats" in media_type:
        return _ooxml(path, media_type)
    if "opendocument" in media_type:
        return _odf(path)
    if media_type == "text/rtf":
        return _rtf(path)
    if media_type in ("text/plain", "text/csv"):
        return _plain(path)
    return ""


if __name__ == "__main__":
    try:
        text = run(sys.argv[1], Path(sys.argv[2]))
    except ExtractionError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(2)
    except (zipfile.BadZipFile, ET.ParseError, OSError, ValueError) as exc:
        sys.stderr.write(f"the file could not be read ({type(exc).__name__})\n")
        sys.exit(2)
    except MemoryError:
        sys.stderr.write("the file needs too much memory to read\n")
        sys.exit(2)
    sys.stdout.write(" ".join(text.split())[:MAX_TEXT])
