"""Small real files of every accepted type, and hostile ones, made by the tests themselves."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from vir.orgs.demo import sample_pdf

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def pdf(text: str = "Improvement plan") -> bytes:
    return sample_pdf(text)


def docx(text: str = "Improvement plan") -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def xlsx(text: str = "Attendance") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = text
    wb.active["B1"] = 93.5
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pptx(text: str = "Progress") -> bytes:
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = text
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def odf(kind: str = "text", text: str = "Cynllun gwella") -> bytes:
    """ODT/ODS/ODP: a zip whose first entry is the stored, uncompressed mimetype."""
    mimetype = f"application/vnd.oasis.opendocument.{kind}"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
            f'manifest:full-path="/" manifest:media-type="{mimetype}"/>'
            "</manifest:manifest>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
        z.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
            '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:'
            'names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>'
            f"{text}</text:p></office:text></office:body></office:document-content>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return buf.getvalue()


def rtf(text: str = "Council paper") -> bytes:
    return ("{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Arial;}}\\f0\\fs24 " + text + "\\par}").encode()


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


VALID = {
    "plan.pdf": pdf,
    "plan.docx": docx,
    "data.xlsx": xlsx,
    "slides.pptx": pptx,
    "cynllun.odt": lambda: odf("text"),
    "data.ods": lambda: odf("spreadsheet"),
    "slides.odp": lambda: odf("presentation"),
    "paper.rtf": rtf,
    "notes.txt": lambda: b"Attendance rose by 2%.\nPresenoldeb.\n",
    "figures.csv": lambda: b"school,attendance\nYsgol Gymraeg,93.5\nHigh School,91.2\n",
    "chart.png": png,
    "photo.jpg": jpeg,
}


def zip_bomb() -> bytes:
    """A DOCX-looking zip with an entry that inflates to 2 GB from a few MB."""
    buf = io.BytesIO()
    good = zipfile.ZipFile(io.BytesIO(docx()))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in good.infolist():
            z.writestr(info.filename, good.read(info.filename))
        z.writestr("word/media/huge.bin", b"\0" * (64 * 1024 * 1024))
    return buf.getvalue()


def docx_compressed(method: int) -> bytes:
    """A DOCX whose members use a compression office suites never write (bzip2, LZMA): how a
    2 KB file holds a gigabyte of zeros. A few MB here; the method alone refuses it."""
    buf = io.BytesIO()
    good = zipfile.ZipFile(io.BytesIO(docx()))
    with zipfile.ZipFile(buf, "w", method) as z:
        for info in good.infolist():
            z.writestr(info.filename, good.read(info.filename))
        z.writestr("word/media/zeros.bin", b"\0" * (8 * 1024 * 1024))
    return buf.getvalue()


def docx_with_macros(content_type_only: bool = False) -> bytes:
    """A macro-enabled document renamed .docx: a VBA project, and the macroEnabled type."""
    buf = io.BytesIO()
    good = zipfile.ZipFile(io.BytesIO(docx()))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in good.infolist():
            data = good.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.wordprocessingml."
                    b"document.main+xml",
                    b"application/vnd.ms-word.document.macroEnabled.main+xml",
                )
            z.writestr(info.filename, data)
        if not content_type_only:
            z.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 512)
    return buf.getvalue()


def docx_with_symlink() -> bytes:
    buf = io.BytesIO()
    good = zipfile.ZipFile(io.BytesIO(docx()))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in good.infolist():
            z.writestr(info.filename, good.read(info.filename))
        link = zipfile.ZipInfo("word/evil")
        link.external_attr = 0o120777 << 16
        z.writestr(link, "/etc/passwd")
    return buf.getvalue()


def windows_exe() -> bytes:
    header = bytearray(b"MZ" + b"\x90\x00" * 29 + b"\x00" * 2)
    header += b"\x00" * (0x3C - len(header))
    header += struct.pack("<I", 0x80)
    header += b"\x00" * (0x80 - len(header))
    header += b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x14C, 1, 0, 0, 0, 0xE0, 0x0102)
    header += b"\x00" * 512
    return bytes(header)


BAD = {
    # name: (bytes, what the refusal is about)
    "empty.pdf": (lambda: b"", "empty_file"),
    "page.html": (
        lambda: b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        "type_not_allowed",
    ),
    "drawing.svg": (
        lambda: (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
            b"<script>alert(1)</script></svg>"
        ),
        "type_not_allowed",
    ),
    "data.xml": (lambda: b'<?xml version="1.0"?><root><a>1</a></root>', "type_not_allowed"),
    "html-as.pdf": (
        lambda: b"<html><body>" + b"x" * 600 + b"</body></html>" + pdf(),
        "type_not_allowed",
    ),
    "setup.exe": (windows_exe, "type_not_allowed"),
    "renamed-exe.pdf": (windows_exe, "type_not_allowed"),
    "renamed-exe.docx": (windows_exe, "type_not_allowed"),
    "minutes.exe.pdf": (pdf, "disguised_file"),
    "plan.pdf.docx": (pdf, "type_mismatch"),
    "plan.docx.pdf": (docx, "type_mismatch"),
    "archive.zip": (lambda: zipfile_bytes(), "type_not_allowed"),
    "bomb.docx": (zip_bomb, "unsafe_archive"),
    "bzip2.docx": (lambda: docx_compressed(zipfile.ZIP_BZIP2), "unsafe_archive"),
    "lzma.docx": (lambda: docx_compressed(zipfile.ZIP_LZMA), "unsafe_archive"),
    "linked.docx": (docx_with_symlink, "unsafe_archive"),
    "macros.docx": (docx_with_macros, "macros_refused"),
    "macro-type.docx": (lambda: docx_with_macros(content_type_only=True), "macros_refused"),
    "noextension": (pdf, "bad_filename"),
}


def zipfile_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    return buf.getvalue()


def pdf_object_stream(hidden: bytes = b"/OpenAction 5 0 R", compress: bool = True) -> bytes:
    """A PDF 1.5 whose catalog, pages and an action object sit inside a compressed object
    stream (as Word, LibreOffice and qpdf write them), with a cross-reference stream: the
    catalog holds ``hidden``, and object 5 is a JavaScript action."""
    objects = [
        b"<< /Type /Catalog /Pages 3 0 R " + hidden + b" >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 200 200] >>",
        b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
    ]
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    header = b" ".join(b"%d %d" % (n + 2, off) for n, off in enumerate(offsets)) + b"\n"
    data = header + body
    stream = zlib.compress(data) if compress else data
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    objstm_at = len(out)
    out += b"1 0 obj\n<< /Type /ObjStm /N 4 /First %d /Length %d%s >>\nstream\n" % (
        len(header),
        len(stream),
        b" /Filter /FlateDecode" if compress else b"",
    )
    out += stream + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535), struct.pack(">BIH", 1, objstm_at, 0)]
    rows += [struct.pack(">BIH", 2, 1, i) for i in range(4)]
    rows.append(struct.pack(">BIH", 1, xref_at, 0))
    table = b"".join(rows)
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 2 0 R /Length %d >>\nstream\n" % (
        len(table)
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)
