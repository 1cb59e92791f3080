"""Extraction keeps all the text: files written by real tools (tests/fixtures/real, made by
LibreOffice, Pillow and img2pdf; manifest.json says where each probe word sits), the
constructions office suites write, scans read by OCR, limits that mark a document partly
indexed instead of failing it, and reasons in the reader's language."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests import files
from tests.test_search import _search, _status, _upload
from vir.core.db import db
from vir.search import extract as ex
from vir.search.models import DocumentText

REAL = Path(__file__).parent / "fixtures" / "real"
MANIFEST = json.loads((REAL / "manifest.json").read_text())["files"]
OCR = ex.ocr_available()


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {"VIR_SEARCH_ENABLED": True}


def test_ocr_is_installed_where_the_tests_run():
    """scripts/system-deps installs Tesseract with English and Welsh; without it the OCR
    tests below would prove nothing, so this fails rather than skips."""
    assert OCR, "tesseract-ocr with tesseract-ocr-eng and tesseract-ocr-cym is not installed"


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_files_written_by_real_tools_keep_all_their_text(name):
    info = MANIFEST[name]
    result = ex.extract(REAL / name, info["media_type"])
    words = set(result.text.split())
    for probe in info["probes"]:
        assert probe["word"] in result.text, (probe, result.text[:2000])
    for absent in info.get("absent", []):
        assert absent["word"] not in words and absent["word"] not in result.text, absent
    if name.startswith("scan"):
        assert result.note == "ocr"
    else:
        assert result.note == "", result.note


def _odt(body: str, styles: str = "") -> Path:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr(
            "content.xml",
            f"<office:document-content {ns}><office:body><office:text>"
            f"{body}</office:text></office:body></office:document-content>",
        )
        if styles:
            z.writestr(
                "styles.xml",
                f"<office:document-styles {ns}><office:master-styles>"
                f"{styles}</office:master-styles></office:document-styles>",
            )
    return buf.getvalue()


def _run(tmp_path: Path, data: bytes, media_type: str, **options: Any) -> ex.Extracted:
    path = tmp_path / "f"
    path.write_bytes(data)
    return ex.run(media_type, path, options)


ODT = "application/vnd.oasis.opendocument.text"


def test_odf_text_after_inline_elements_and_between_paragraphs(tmp_path):
    got = _run(
        tmp_path,
        _odt(
            "<text:p>Cyngor <text:span>Sir</text:span> Caerdydd</text:p><text:p>Second</text:p>"
            "<text:p>a<text:s text:c='3'/>b<text:tab/>c<text:line-break/>d</text:p>"
            "<text:list><text:list-item><text:p>item</text:p></text:list-item></text:list>"
            "<table:table><table:table-row><table:table-cell><text:p>cell</text:p>"
            "</table:table-cell></table:table-row></table:table>"
            "<text:p>x<text:note><text:note-citation>1</text:note-citation><text:note-body>"
            "<text:p>footnote</text:p></text:note-body></text:note>y</text:p>",
            "<style:master-page><style:header><text:p>header</text:p></style:header>"
            "</style:master-page>",
        ),
        ODT,
    ).text
    assert "Cyngor Sir Caerdydd\nSecond" in got  # paragraphs kept as lines
    for word in ("a", "b", "c", "d", "item", "cell", "footnote", "header"):
        assert word in got.split(), (word, got)
    assert "1" not in got.split()  # the note's number is not text of the document


def test_rtf_welsh_letters_pictures_and_a_crafted_file(tmp_path):
    rtf = (
        b"{\\rtf1\\ansi\\uc1 G\\u373?yr a Ll\\u375?n \\'e9t\\'e9 "
        b"{\\pict\\pngblip 89504e470d0a1a0a0000000d49484452}after}"
    )
    got = _run(tmp_path, rtf, "text/rtf").text
    assert got == "Gŵyr a Llŷn été after"
    # Nested destinations and escapes that made the old regular expressions backtrack until
    # the CPU limit: a linear parser reads them in the child within its limits.
    crafted = b"{\\rtf1 " + b"{\\*\\x " * 60_000 + b"}" * 60_000 + b"\\'" * 30_000 + b" end}"
    assert len(crafted) > 300_000
    path = tmp_path / "crafted.rtf"
    path.write_bytes(crafted)
    assert "end" in ex.extract(path, "text/rtf").text


def test_xlsx_shared_strings_not_their_numbers(tmp_path):
    got = _run(
        tmp_path,
        files.xlsx("Exclusions narwhal"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ).text
    assert "Exclusions narwhal" in got and "93.5" in got and "Sheet" in got
    assert "0" not in got.split()  # the shared string's index


def test_pdf_pages_are_limited_and_said_so(tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "PDF_PAGES", 2)
    got = ex.run("application/pdf", REAL / "pdf-text.pdf", {})
    assert "pdfbraxtonel" in got.text and "pdfzultrimmet" not in got.text
    assert got.note == "pdf_pages" and got.partial


def test_pdf_text_needs_no_system_tools(tmp_path, monkeypatch):
    """PDFs are read by a wheel (pypdfium2): with nothing on PATH, text PDFs are still read,
    and a scan says plainly that text recognition is missing."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert not ex.ocr_available()
    assert "pdfquimbarrow" in ex.extract(REAL / "pdf-text.pdf", "application/pdf").text
    scan = ex.extract(REAL / "scan-en-cy.pdf", "application/pdf")
    assert (scan.text, scan.note) == ("", "scan_no_ocr")
    assert ex.extract(REAL / "scan.png", "image/png").note == "image_no_ocr"


def test_very_large_text_is_partly_indexed_not_failed(tmp_path):
    path = tmp_path / "big.txt"
    line = "Attendance figures for every school in the authority, week by week.\n"
    with path.open("w") as fh:
        for _ in range(300 * 1024 * 1024 // len(line)):
            fh.write(line)
    got = ex.extract(path, "text/plain", ex.Limits(max_text_mb=2))
    assert got.note == "truncated" and got.partial
    assert 1_900_000 < len(got.text) <= 2 * 1024 * 1024


def test_unusual_zip_compression_is_not_decompressed(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_BZIP2) as z:
        z.writestr("word/document.xml", "<w:document xmlns:w='w'><w:t>x</w:t></w:document>")
    path = tmp_path / "bomb.docx"
    path.write_bytes(buf.getvalue())
    with pytest.raises(ex.ExtractionError) as failed:
        ex.extract(path, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert failed.value.code == "unreadable"


def test_real_files_are_found_through_the_api(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    for name in (
        "odt-spans.odt",
        "docx-parts.docx",
        "xlsx-cells.xlsx",
        "pptx-slides.pptx",
        "rtf-welsh.rtf",
        "scan-en-cy.pdf",
        "scan.png",
    ):
        doc = _upload(client, editor, folder, name, (REAL / name).read_bytes())
        assert _status(app, doc["id"]).status == "indexed", name
        probe = next(
            p["word"]
            for p in MANIFEST[name]["probes"]
            if p["word"].isascii() and p["word"].isalpha() and len(p["word"]) > 8
        )
        hits = _search(client, editor, probe).get_json()["results"]
        assert [h["document_id"] for h in hits] == [doc["id"]], (name, probe)
    welsh = _search(client, editor, "Gwyr").get_json()
    assert welsh["total"] >= 3  # the ODT, the DOCX and the RTF (and the scan) say Gŵyr
    assert any("<mark>Gŵyr</mark>" in h["snippet"] for h in welsh["results"])


def test_scans_without_ocr_say_so_in_both_languages(app, client, auth, world, runner):
    app.config["VIR_OCR_ENABLED"] = False
    editor = auth.token("provider_editor")
    doc = _upload(
        client,
        editor,
        world.folders[("cardiff", "provider")],
        "scan.pdf",
        (REAL / "scan-en-cy.pdf").read_bytes(),
    )
    row = _status(app, doc["id"])
    assert (row.status, row.reason) == ("no_text", "scan_no_ocr")
    body = client.get(f"/api/v1/documents/{doc['id']}", headers=editor).get_json()
    assert body["index_reason"] == "scan_no_ocr"
    assert body["index_message"] == (
        "This is a scan; text recognition is not available on this server."
    )
    cy = client.get(
        f"/api/v1/documents/{doc['id']}", headers={**editor, "Accept-Language": "cy"}
    ).get_json()
    assert cy["index_message"] and cy["index_message"] != body["index_message"]
    auth.login("provider_viewer")
    page = client.get(f"/documents/{doc['id']}").get_data(as_text=True)
    assert "text recognition is not available on this server" in page
    report = runner.invoke(args=["search", "check"])
    assert f"document {doc['id']}: This is a scan" in report.output, report.output
    # Once recognition is available, a rebuild reads the scan.
    app.config["VIR_OCR_ENABLED"] = True
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    assert _status(app, doc["id"]).reason == "ocr"
    assert _search(client, editor, "presenoldeb").get_json()["total"] == 1


def test_failures_and_partial_texts_carry_reasons(app, client, auth, world, runner):
    app.config["VIR_SEARCH_MAX_TEXT_MB"] = 0.25
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    big = _upload(client, editor, folder, "big.txt", b"attendance figures " * 20_000)
    broken = _upload(client, editor, folder, "broken.pdf", b"%PDF-1.4\n" + b"\x00junk" * 300)
    assert (_status(app, big["id"]).status, _status(app, big["id"]).reason) == (
        "partial",
        "truncated",
    )
    assert _search(client, editor, "attendance").get_json()["total"] >= 1
    assert (_status(app, broken["id"]).status, _status(app, broken["id"]).reason) == (
        "failed",
        "unreadable",
    )
    cy = client.get(
        f"/api/v1/documents/{broken['id']}", headers={**editor, "Accept-Language": "cy"}
    ).get_json()
    assert cy["index_reason"] == "unreadable" and "could not" not in cy["index_message"]
    # Why a file failed is for its uploader and co-ordinators only.
    viewer = client.get(
        f"/api/v1/documents/{broken['id']}", headers=auth.token("provider_viewer")
    ).get_json()
    assert viewer["index_status"] == "failed" and viewer["index_reason"] is None
    report = runner.invoke(args=["search", "check"])
    assert report.exit_code == 0, report.output
    assert "failed: 1" in report.output and "partial: 1" in report.output
    assert f"document {big['id']}: Only the beginning of its text" in report.output


def test_extraction_runs_before_the_index_writer_is_taken(app, client, auth, world, monkeypatch):
    """A slow file (OCR can take minutes) never holds the index writer: while a file's text
    is being extracted, another writer can be had at once."""
    from whoosh.index import LockError

    from vir.search import index as idx
    from vir.search import operations

    held = []
    plain = operations.extract

    def extract(*args: Any, **kwargs: Any) -> Any:
        try:
            idx.open_index().writer(timeout=0).cancel()
        except LockError:
            held.append(args)
        return plain(*args, **kwargs)

    monkeypatch.setattr(operations, "extract", extract)
    doc = _upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        "plan.txt",
        b"attendance",
    )
    assert held == [] and _status(app, doc["id"]).status == "indexed"


def test_ocr_reads_welsh_letters_in_scans():
    got = ex.extract(REAL / "scan-en-cy.pdf", "application/pdf")
    assert "Gŵyr" in got.text and "Attendance improved" in got.text, got.text


def test_ocr_limits_pages_and_time(tmp_path, monkeypatch):
    import pypdfium2 as pdfium

    # Three scanned pages; only two may be read.
    scan = pdfium.PdfDocument(str(REAL / "scan-en-cy.pdf"))
    three = pdfium.PdfDocument.new()
    for _ in range(3):
        three.import_pages(scan, [0])
    path = tmp_path / "three.pdf"
    three.save(str(path))
    got = ex.extract(path, "application/pdf", ex.Limits(ocr_pages=2))
    assert got.note == "ocr_pages" and got.partial and "presenoldeb" in got.text
    got = ex.extract(path, "application/pdf", ex.Limits(ocr_timeout=0))
    assert got.note == "ocr_time" and got.partial
    assert os.path.getsize(path) > 0


def test_two_workers_extracting_one_file_both_finish(app, client, auth, world, monkeypatch):
    """The periodic repair and an upload's own indexing task can read the same file at once
    (`vir serve` at start-up): whichever stores its text second keeps the first's row and
    still indexes the document, rather than failing on the unique version."""
    from sqlalchemy import insert

    from vir.documents.models import Document
    from vir.search import operations

    plain = operations.extract
    app.config["VIR_SEARCH_ENABLED"] = False  # uploaded, not yet indexed
    doc = _upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        "plan.txt",
        b"attendance rivals",
    )
    app.config["VIR_SEARCH_ENABLED"] = True

    def extract(*args: Any, **kwargs: Any) -> Any:
        got = plain(*args, **kwargs)
        with db.engine.begin() as other:  # the other worker, in its own transaction
            version_id = db.session.get(Document, doc["id"]).current.id
            other.execute(
                insert(DocumentText).values(
                    version_id=version_id, status="indexed", text=got.text, reason=""
                )
            )
        return got

    monkeypatch.setattr(operations, "extract", extract)
    with app.app_context():
        assert operations.index_document_ids([doc["id"]]) == 1
    monkeypatch.setattr(operations, "extract", plain)
    found = client.get(
        "/api/v1/search", headers=auth.token("inspector"), query_string={"q": "rivals"}
    ).get_json()
    assert found["total"] == 1


def test_repair_leaves_fresh_uploads_to_their_own_task(app, client, auth, world):
    """At start-up the repair would otherwise race every queued upload for the same file."""
    from datetime import timedelta

    from vir.documents.models import Document
    from vir.search import operations

    app.config["VIR_SEARCH_ENABLED"] = False  # queued, not yet indexed
    doc = _upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        "plan.txt",
        b"attendance",
    )
    with app.app_context():
        assert operations.repair() == 0
        version = db.session.get(Document, doc["id"]).current
        version.uploaded_at -= operations.REPAIR_GRACE + timedelta(seconds=1)
        db.session.commit()
        assert operations.repair() == 1  # its task was lost: the repair indexes it
        assert operations.check()["missing"] == []
