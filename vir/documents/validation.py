"""Checks every uploaded file passes before anything is stored.

The type is decided by libmagic on the bytes (never the client's Content-Type) and must agree
with the file's extension. Sniffing alone is not enough (a polyglot passes libmagic; see
shared/MEASUREMENTS.md), so zip-based formats are opened and walked too, counting the bytes
actually decompressed, and files go to the virus scanner when one is configured.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import stat
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import magic
from flask import current_app
from flask_babel import gettext as _

from vir.core.errors import Refusal
from vir.core.text import clean_name

# libmagic's answer -> the extensions a file of that type may carry.
TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods",),
    "application/vnd.oasis.opendocument.presentation": ("odp",),
    "text/rtf": ("rtf",),
    "text/plain": ("txt", "csv"),
    "text/csv": ("csv", "txt"),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    # Legacy Office (OLE2) files: libmagic names these reliably from their directory entries.
    "application/msword": ("doc",),
    "application/vnd.ms-excel": ("xls",),
    "application/vnd.ms-powerpoint": ("ppt",),
}
ZIP_BASED = {t for t in TYPES if "openxmlformats" in t or "opendocument" in t}

# An inner extension like these, in "minutes.exe.pdf", is an attempt to disguise a file.
RISKY_INNER = {
    "exe",
    "com",
    "bat",
    "cmd",
    "scr",
    "pif",
    "msi",
    "dll",
    "js",
    "jse",
    "vbs",
    "vbe",
    "wsf",
    "ps1",
    "sh",
    "jar",
    "app",
    "html",
    "htm",
    "xhtml",
    "svg",
    "xml",
    "php",
    "hta",
    "lnk",
    "reg",
    "docm",
    "xlsm",
    "pptm",
    "iso",
    "img",
    "zip",
    "rar",
    "7z",
}
MAX_NAME = 200
MAX_ZIP_ENTRIES = 10_000

_magic_lock = threading.Lock()
_magic: magic.Magic | None = None


class UploadRefused(Refusal):
    """The file was refused; ``message`` is for the uploader, ``code`` for API clients."""

    def __init__(self, message: str, code: str = "upload_refused", status: int = 422) -> None:
        super().__init__(message, code, status, field="file")


@dataclass
class CheckedFile:
    """A file that passed every check, spooled to a temporary path until it is stored."""

    path: Path
    filename: str
    media_type: str
    size: int
    sha256: str
    warnings: list[str] = field(default_factory=list)
    plan: Any = None  # where a pipelined upload is already being stored
    pipeline: Any = None
    scanned: bool = False  # by clamd; False when no scanner is configured
    active_content: str = ""  # see pdf_active_content

    def discard(self) -> None:
        """Remove the spooled file, and abandon a pipelined upload not completed."""
        if self.pipeline is not None and not self.pipeline.finished:
            self.pipeline.abort()
        self.path.unlink(missing_ok=True)


def sniff(path: Path) -> str:
    """libmagic's MIME type for a file; one instance is reused (creating one is ~0.4 ms)."""
    global _magic
    with _magic_lock:  # a libmagic handle is not safe to share between threads at once
        if _magic is None:
            _magic = magic.Magic(mime=True)
        return _magic.from_file(str(path))


def clean_filename(raw: str | None) -> str:
    """The name shown to people: NFC, no controls or bidi overrides, length capped."""
    if not raw:
        raise UploadRefused(_("The file has no name."), "bad_filename")
    if "\x00" in raw or "/" in raw or "\\" in raw:
        raise UploadRefused(
            _("File names cannot contain slashes or NUL characters."), "bad_filename"
        )
    name = clean_name(raw).strip(" .")
    if not name or name.startswith("."):
        raise UploadRefused(_("The file name is not usable."), "bad_filename")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        raise UploadRefused(
            _("The file name needs an extension, such as .pdf or .docx."), "bad_filename"
        )
    if len(name) > MAX_NAME:
        name = stem[: MAX_NAME - len(ext) - 1].rstrip() + "." + ext
    return name


def extension(filename: str) -> str:
    return filename.rpartition(".")[2].lower()


def allowed_types() -> dict[str, tuple[str, ...]]:
    narrowed = current_app.config.get("VIR_ALLOWED_TYPES")
    if not narrowed:
        return TYPES
    wanted = {e.strip().lower().lstrip(".") for e in narrowed.split(",") if e.strip()}
    return {
        t: tuple(e for e in exts if e in wanted)
        for t, exts in TYPES.items()
        if any(e in wanted for e in exts)
    }


def _check_disguise(filename: str) -> None:
    parts = filename.lower().split(".")
    if any(p.strip() in RISKY_INNER for p in parts[1:-1]):
        raise UploadRefused(
            _(
                "“%(name)s” looks like one kind of file disguised as another. Rename it with a "
                "single extension.",
                name=filename,
            ),
            "disguised_file",
        )


# Office suites write only these; bzip2 and LZMA members are how a 2 KB file holds a
# gigabyte of zeros, and cost seconds of CPU to find out.
ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
ZIP_MAX_RATIO = 200  # decompressed bytes per stored byte, beyond a floor that any file may use
ZIP_RATIO_FLOOR = 64 * 1024 * 1024
ZIP_CHECK_SECONDS = 5.0


# Where office files keep code that runs: VBA projects and ActiveX controls in OOXML
# (a .docm saved as .docx still has them), Basic and script libraries in ODF.
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")
MACRO_FOLDERS = ("activex/", "basic/", "scripts/")


def _check_macros(archive: zipfile.ZipFile, filename: str) -> None:
    names = [n.lower() for n in archive.namelist()]
    found = any(n.rsplit("/", 1)[-1] in MACRO_PARTS for n in names) or any(
        n.startswith(MACRO_FOLDERS) or f"/{MACRO_FOLDERS[0]}" in n for n in names
    )
    if not found and "[content_types].xml" in names:
        info = archive.getinfo(
            next(n for n in archive.namelist() if n.lower() == "[content_types].xml")
        )
        if info.file_size < 1024 * 1024 and info.compress_type in ZIP_METHODS:
            types = archive.read(info).lower()
            found = b"macroenabled" in types or b"vbaproject" in types
    if found:
        raise UploadRefused(
            _(
                "“%(name)s” contains macros or other code that runs when it is opened, which "
                "VIR does not accept. Save it without macros (as an ordinary .docx, .xlsx or "
                ".pptx) and upload that.",
                name=filename,
            ),
            "macros_refused",
        )


def _check_zip(path: Path, filename: str) -> None:
    """Walk the archive: no links, no escaping paths, only the compression office suites
    write, and a bound on what it expands to (absolute, as a ratio to the file's size, and in
    time), counted from the bytes actually decompressed (sizes in headers can lie)."""
    limit = current_app.config["VIR_ZIP_MAX_UNCOMPRESSED_MB"] * 1024 * 1024
    limit = min(limit, max(ZIP_RATIO_FLOOR, ZIP_MAX_RATIO * path.stat().st_size))
    deadline = time.monotonic() + ZIP_CHECK_SECONDS
    refused = UploadRefused(
        _(
            "“%(name)s” is damaged or expands to far more than its size, so it was refused.",
            name=filename,
        ),
        "unsafe_archive",
    )
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise refused
            if any(entry.compress_type not in ZIP_METHODS for entry in entries):
                raise UploadRefused(
                    _(
                        "“%(name)s” is compressed in a way office programs do not use, so it was "
                        "refused. Save it again from the program that made it.",
                        name=filename,
                    ),
                    "unsafe_archive",
                )
            _check_macros(archive, filename)
            total = 0
            for entry in entries:
                mode = entry.external_attr >> 16
                name = entry.filename
                if stat.S_ISLNK(mode) or name.startswith("/") or ".." in name.split("/"):
                    raise UploadRefused(
                        _(
                            "“%(name)s” contains links or unsafe paths, so it was refused.",
                            name=filename,
                        ),
                        "unsafe_archive",
                    )
                with archive.open(entry) as member:
                    while chunk := member.read(1024 * 1024):
                        total += len(chunk)
                        if total > limit or time.monotonic() > deadline:
                            raise refused
    except UploadRefused:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        EOFError,
        RuntimeError,
    ) as exc:
        raise refused from exc


def spool(stream: IO[bytes], limit: int) -> tuple[Path, int, str, Any]:
    """The upload as a private temporary file, with its size and SHA-256.

    A request's file part already is one (VirRequest hashed it while writing), so it is taken
    over rather than copied; any other stream is copied, counting and hashing on the way."""
    from vir.core.uploads import HashingSpool

    if isinstance(stream, HashingSpool):
        if stream.size > limit:
            raise UploadRefused(_("The file is too large."), "too_large", 413)
        stream.flush()
        stream.claimed = True
        return stream.path, stream.size, stream.sha256, stream
    tmp_dir = Path(current_app.config["VIR_DATA_DIR"]) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise UploadRefused(_("The file is too large."), "too_large", 413)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), size, digest.hexdigest(), None


def check_upload(stream: IO[bytes], raw_filename: str | None) -> CheckedFile:
    """Every check; returns the spooled file, or raises UploadRefused having kept nothing."""
    from vir.documents.scanning import scan_file

    filename = clean_filename(raw_filename)
    _check_disguise(filename)
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 2 * 1024**3
    path, size, sha256, spooled = spool(stream, limit)
    plan = getattr(spooled, "plan", None)
    pipeline = getattr(spooled, "pipeline", None)
    try:
        if size == 0:
            raise UploadRefused(_("“%(name)s” is empty.", name=filename), "empty_file")
        media_type = sniff(path)
        types = allowed_types()
        if media_type not in types:
            raise UploadRefused(
                _(
                    "“%(name)s” is not a type of file VIR accepts. Use PDF, Word, Excel, "
                    "PowerPoint, OpenDocument, RTF, plain text, CSV, PNG or JPEG.",
                    name=filename,
                ),
                "type_not_allowed",
                415,
            )
        if extension(filename) not in types[media_type]:
            raise UploadRefused(
                _(
                    "“%(name)s” does not contain what its extension says. Its contents are "
                    "%(kind)s.",
                    name=filename,
                    kind=media_type,
                ),
                "type_mismatch",
                415,
            )
        if media_type in ZIP_BASED:
            _check_zip(path, filename)
        active = pdf_active_content(path) if media_type == "application/pdf" else ""
        scanned = scan_file(path, filename)
    except BaseException:
        if pipeline is not None:
            pipeline.abort()
        path.unlink(missing_ok=True)
        raise
    return CheckedFile(
        path=path,
        filename=filename,
        media_type=media_type,
        size=size,
        sha256=sha256,
        plan=plan,
        pipeline=pipeline,
        scanned=scanned,
        active_content=active,
    )


# PDF names that make a reader run something: scripts, actions on opening or on events,
# launching programs, embedded media and XML forms (after pdfid's list).
ACTIVE_NAMES = {
    b"javascript": "javascript",
    b"js": "javascript",
    b"openaction": "openaction",
    b"aa": "additional-actions",
    b"launch": "launch",
    b"richmedia": "richmedia",
    b"xfa": "xfa",
}
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]{1,64})")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _active_names(data: Any, found: set[str], whole: Any = None) -> set[str]:
    """Add the active-content kinds ``data`` names to ``found``; the names it holds, after
    #xx escapes are undone (/J#61vaScript is /JavaScript), lower-cased. ``whole``: the file,
    where an /OpenAction's indirect object is looked up."""
    names = set()
    for match in _PDF_NAME.finditer(data):
        name = match.group(1)
        if b"#" in name:
            name = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
        name = name.lower()
        names.add(name)
        kind = ACTIVE_NAMES.get(name)
        if kind == "openaction" and _opens_at_a_page(data, match.end(), whole):
            continue
        if kind:
            found.add(kind)
    return names


_REFERENCE = re.compile(rb"\s*(\d+)\s+(\d+)\s+R")


def _opens_at_a_page(data: Any, at: int, whole: Any) -> bool:
    """Whether the /OpenAction ending at ``at`` is a destination (a page to open at, as
    LibreOffice writes in every PDF) rather than an action: an array, or a reference to an
    object that is one. Anything else counts as an action."""
    rest = bytes(data[at : at + 64]).lstrip()
    if rest.startswith(b"["):
        return True
    ref = _REFERENCE.match(rest)
    if ref is None or whole is None:
        return False
    target = re.compile(rb"(?<!\d)%s\s+%s\s+obj\s*(\S)" % (ref.group(1), ref.group(2)))
    # Every definition (an incremental update may redefine it), and at least one.
    starts = {m.group(1) for m in target.finditer(whole)}
    return starts == {b"["}


def _streams(data: Any) -> Iterator[tuple[int, int]]:
    """Where each stream keyword starts and its data begins (found with find(), which is
    many times faster over binary data than a regular expression that must look behind)."""
    at = data.find(b"stream")
    while at >= 0:
        after = at + 6
        if not (at and data[at - 1 : at].isalpha()):  # not endstream
            if data[after : after + 2] == b"\r\n":
                yield at, after + 2
            elif data[after : after + 1] in (b"\n", b"\r"):
                yield at, after + 1
        at = data.find(b"stream", after)


_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")
# Object streams are read whole up to these bounds; past them the file is "uninspected",
# which is treated as active (never previewed inline).
OBJSTM_MAX_COMPRESSED = 16 * 1024 * 1024
OBJSTM_MAX_TOTAL = 64 * 1024 * 1024
_FLATE = {b"flatedecode", b"fl"}
_PARMS = {b"decodeparms", b"dp"}  # predictors: the inflated bytes are not yet the objects
_OTHER_FILTERS = {
    b"asciihexdecode",
    b"ahx",
    b"ascii85decode",
    b"a85",
    b"lzwdecode",
    b"lzw",
    b"runlengthdecode",
    b"rl",
    b"crypt",
    b"brotlidecode",
}


def _object_stream(data: Any, start: int, budget: int) -> bytes | None:
    """The decompressed object stream starting at ``start``; None if it cannot be read
    whole within ``budget`` bytes (or by zlib at all)."""
    inflate = zlib.decompressobj()
    out = bytearray()
    end = min(len(data), start + OBJSTM_MAX_COMPRESSED)
    for at in range(start, end, 65536):
        try:
            out += inflate.decompress(data[at : min(end, at + 65536)], budget - len(out) + 1)
        except zlib.error:
            return bytes(out) if out else None  # a damaged tail: what readers recover
        if len(out) > budget or inflate.unconsumed_tail:
            return None
        if inflate.eof:
            return bytes(out)
    return bytes(out) if inflate.eof else None


def pdf_active_content(path: Path) -> str:
    """The active content a PDF names, e.g. "javascript,openaction"; "" if none. Names are
    read in the file itself and inside its compressed object streams (PDF 1.5), where a
    catalog's /OpenAction or a /JavaScript action can sit out of sight of a plain scan. An
    object stream that cannot be read within bounds (another filter, a predictor,
    encryption, or too large) makes the file "uninspected"."""
    found: set[str] = set()
    if path.stat().st_size == 0:
        return ""
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        _active_names(data, found, data)
        budget = OBJSTM_MAX_TOTAL
        for at, body_at in _streams(data):
            head = data[max(0, at - 4096) : at]
            objects = list(_OBJ.finditer(head))
            names = _active_names(head[objects[-1].end() :] if objects else head, set())
            if b"objstm" not in names:
                continue
            if not names & {b"filter", b"f"}:
                continue  # stored as written: its names were read with the file's
            body = None
            if names & _FLATE and not names & (_PARMS | _OTHER_FILTERS):
                body = _object_stream(data, body_at, budget)
            if body is None:
                found.add("uninspected")
                continue
            budget -= len(body)
            _active_names(body, found, data)
    return ",".join(sorted(found))
