#!/usr/bin/env python3
"""Build docs/ from src/ with LibreOffice (standard library + soffice only).

Naming: src/NAME.EXT.md -> docs/NAME.EXT (EXT = docx, odt, pdf, rtf, txt, pptx, odp)
        src/NAME.EXT.csv -> docs/NAME.EXT (EXT = xlsx, ods)

The .md sources use a tiny markup: "# " title, "## " heading (a new slide in a
presentation), "- " bullet, "| a | b |" table rows (first row is the header), blank
lines between paragraphs. Writer documents go through HTML, presentations through flat
ODF (.fodp), spreadsheets straight from CSV (UTF-8). Intermediate files go to build/.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SRC, DOCS, BUILD = ROOT / "src", ROOT / "docs", ROOT / "build"

WRITER_FILTERS = {
    "docx": "docx:MS Word 2007 XML",
    "odt": "odt:writer8",
    "pdf": "pdf:writer_pdf_Export",
    "rtf": "rtf:Rich Text Format",
    "txt": "txt:Text (encoded):UTF8",
}
IMPRESS_FILTERS = {"pptx": "pptx:Impress MS PowerPoint 2007 XML", "odp": "odp:impress8"}
CALC_FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "ods": "ods:calc8"}


def blocks(text: str) -> list[tuple[str, object]]:
    """(kind, content) blocks: h1, h2, p, ul (list of items), table (list of rows)."""
    out: list[tuple[str, object]] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(("p", " ".join(para)))
            para.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("## "):
            flush()
            out.append(("h2", line[3:]))
        elif line.startswith("# "):
            flush()
            out.append(("h1", line[2:]))
        elif line.startswith("- "):
            flush()
            if out and out[-1][0] == "ul":
                out[-1][1].append(line[2:])  # type: ignore[union-attr]
            else:
                out.append(("ul", [line[2:]]))
        elif line.startswith("|"):
            flush()
            cells = [c.strip() for c in line.strip("|").split("|")]
            if out and out[-1][0] == "table":
                out[-1][1].append(cells)  # type: ignore[union-attr]
            else:
                out.append(("table", [cells]))
        else:
            para.append(line)
    flush()
    return out


def to_html(text: str, lang: str) -> str:
    e = html.escape
    title = next((c for k, c in blocks(text) if k == "h1"), "")
    parts = [
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{e(str(title))}</title></head><body>"
    ]
    for kind, content in blocks(text):
        if kind in ("h1", "h2", "p"):
            parts.append(f"<{kind}>{e(content)}</{kind}>")
        elif kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in content) + "</ul>")
        else:
            rows = content
            head = "<tr>" + "".join(f"<th>{e(c)}</th>" for c in rows[0]) + "</tr>"
            body = "".join(
                "<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows[1:]
            )
            parts.append(f'<table border="1">{head}{body}</table>')
    parts.append("</body></html>\n")
    return "\n".join(parts)


FODP_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation">
<office:styles>
 <style:style style:name="title" style:family="presentation">
  <style:paragraph-properties fo:text-align="start"/>
  <style:text-properties fo:font-size="28pt" fo:font-weight="bold"/></style:style>
 <style:style style:name="body" style:family="presentation">
  <style:text-properties fo:font-size="16pt"/></style:style>
</office:styles>
<office:automatic-styles>
 <style:page-layout style:name="PM1">
  <style:page-layout-properties fo:page-width="28cm" fo:page-height="15.75cm"
   style:print-orientation="landscape"/></style:page-layout>
</office:automatic-styles>
<office:master-styles>
 <style:master-page style:name="Default" style:page-layout-name="PM1"/>
</office:master-styles>
<office:body><office:presentation>
"""


def to_fodp(text: str) -> str:
    """One slide per title ("# " or "## "); paragraphs and bullets are the slide's body."""
    slides: list[tuple[str, list[str]]] = []
    for kind, content in blocks(text):
        if kind in ("h1", "h2"):
            slides.append((str(content), []))
        elif kind == "p":
            slides[-1][1].append(str(content))
        elif kind == "ul":
            slides[-1][1].extend(f"• {i}" for i in content)
        else:
            slides[-1][1].extend(" – ".join(r) for r in content)
    out = [FODP_HEAD]
    for n, (title, body) in enumerate(slides, 1):
        paras = "".join(f"<text:p>{html.escape(b)}</text:p>" for b in body)
        out.append(
            f'<draw:page draw:name="Slide{n}" draw:master-page-name="Default">'
            f'<draw:frame presentation:style-name="title" presentation:class="title" '
            f'svg:x="1.2cm" svg:y="0.6cm" svg:width="25.6cm" svg:height="2.4cm">'
            f"<draw:text-box><text:p>{html.escape(title)}</text:p></draw:text-box></draw:frame>"
            f'<draw:frame presentation:style-name="body" presentation:class="outline" '
            f'svg:x="1.2cm" svg:y="3.3cm" svg:width="25.6cm" svg:height="11.8cm">'
            f"<draw:text-box>{paras}</draw:text-box></draw:frame></draw:page>\n"
        )
    out.append("</office:presentation></office:body></office:document>\n")
    return "".join(out)


def soffice(src: Path, filt: str, outdir: Path, infilter: str | None = None) -> Path:
    cmd = ["soffice", "--headless", "--norestore"]
    if infilter:
        cmd.append(f"--infilter={infilter}")
    cmd += ["--convert-to", filt, "--outdir", str(outdir), str(src)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    out = outdir / (src.stem + "." + filt.split(":")[0])
    if not out.exists():
        raise SystemExit(f"LibreOffice wrote nothing for {src.name}")
    return out


def build(only: set[str]) -> None:
    BUILD.mkdir(exist_ok=True)
    DOCS.mkdir(exist_ok=True)
    for src in sorted(SRC.iterdir()):
        if src.suffix not in (".md", ".csv"):
            continue
        target = src.name[: -len(src.suffix)]  # en01-attendance.docx
        if only and target not in only:
            continue
        stem, ext = target.rsplit(".", 1)
        work = BUILD / ext
        work.mkdir(exist_ok=True)
        text = src.read_text(encoding="utf-8")
        lang = "cy" if stem.startswith("cy") else "en"
        if src.suffix == ".csv":
            tmp = work / f"{stem}.csv"
            shutil.copyfile(src, tmp)
            out = soffice(tmp, CALC_FILTERS[ext], work, infilter="CSV:44,34,76,1")
        elif ext in IMPRESS_FILTERS:
            tmp = work / f"{stem}.fodp"
            tmp.write_text(to_fodp(text), encoding="utf-8")
            out = soffice(tmp, IMPRESS_FILTERS[ext], work)
        else:
            tmp = work / f"{stem}.html"
            tmp.write_text(to_html(text, lang), encoding="utf-8")
            out = soffice(tmp, WRITER_FILTERS[ext], work, infilter="HTML (StarWriter)")
        shutil.copyfile(out, DOCS / target)
        print(f"{target:45} {(DOCS / target).stat().st_size:>7} bytes")


if __name__ == "__main__":
    build(set(sys.argv[1:]))
