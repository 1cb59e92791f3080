"""Benchmark: PDF text extraction through VIR (pypdfium2, in its limited child process) against
poppler's pdftotext, and OCR of a scanned page.

    .venv/bin/python -m bench.extraction [--runs 5]

The PDFs are the LibreOffice-written tests/fixtures/real/pdf-text.pdf repeated to 48 and 498
pages. pdftotext is timed only where Debian's poppler-utils is installed (VIR does not need
it); OCR only where Tesseract is. Medians of ``--runs``, process start included for both.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REAL = Path(__file__).parent.parent / "tests" / "fixtures" / "real"


def _pdf(pages: int, work: Path) -> Path:
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(str(REAL / "pdf-text.pdf"))
    out = pdfium.PdfDocument.new()
    while len(out) < pages:
        out.import_pages(source, list(range(min(len(source), pages - len(out)))))
    path = work / f"{pages}.pdf"
    out.save(str(path))
    return path


def _time(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from vir.search.extract import Limits, extract, ocr_available

    work = Path(tempfile.mkdtemp(prefix="vir-extract-bench-"))
    pdftotext = shutil.which("pdftotext")
    for pages in (48, 498):
        path = _pdf(pages, work)
        vir = _time(
            lambda path=path: extract(path, "application/pdf", Limits(ocr=False)), args.runs
        )
        line = f"{pages:4} pages: VIR (pypdfium2) {vir:5.2f} s ({pages / vir:4.0f} pages/s)"
        if pdftotext:
            poppler = _time(
                lambda path=path: subprocess.run(
                    [pdftotext, "-q", "-enc", "UTF-8", str(path), "-"],
                    capture_output=True,
                    check=True,
                ),
                args.runs,
            )
            line += f" | pdftotext {poppler:5.2f} s ({pages / poppler:4.0f} pages/s)"
        else:
            line += " | pdftotext not installed (apt-get install poppler-utils to compare)"
        print(line)
    if ocr_available():
        ocr = _time(lambda: extract(REAL / "scan-en-cy.pdf", "application/pdf"), args.runs)
        print(f"OCR of one scanned A4 page (300 dpi, English and Welsh): {ocr:5.2f} s")
    else:
        print(
            "OCR: Tesseract is not installed (apt-get install tesseract-ocr "
            "tesseract-ocr-eng tesseract-ocr-cym)"
        )


if __name__ == "__main__":
    main()
