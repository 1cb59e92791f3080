"""Comparing two versions of a document by their extracted text, word by word.

Paragraphs are matched first (difflib over lines), then the words of each run of changed
paragraphs, so a long plan with a few edits costs little, and a run too long to compare word
by word (a rewritten plan) is shown as paragraphs removed and added."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from flask_babel import gettext as _

from vir.core.db import db
from vir.core.errors import Refusal
from vir.documents.models import Document, DocumentVersion
from vir.search.models import IndexStatus

PARAGRAPHS_PER_PAGE = 200
# Beyond this many words on either side, a changed run is shown as paragraphs removed and
# added: difflib's word matching is quadratic in the worst case.
MAX_WORDS_MATCHED = 5000
_WORDS = re.compile(r"\S+")


@dataclass
class Change:
    op: str  # "equal", "insert" or "delete"
    text: str


@dataclass
class Comparison:
    document: Document
    earlier: DocumentVersion
    later: DocumentVersion
    paragraphs: list[list[Change]]  # this page's
    page: int
    pages: int
    changed_pages: list[int]  # the pages holding a change
    inserted: int  # words, in the whole comparison
    deleted: int
    first: int = 1  # the number of this page's first paragraph
    total_paragraphs: int = 0

    @property
    def identical(self) -> bool:
        return not (self.inserted or self.deleted)


def versions_to_compare(
    document: Document, earlier: int | None, later: int | None
) -> tuple[DocumentVersion, DocumentVersion]:
    """The two versions asked for; by default the current one and the one before it."""
    if len(document.versions) < 2:
        raise Refusal(
            _("This document has only one version: there is nothing to compare."),
            "one_version",
            422,
        )
    later_version = document.version(later) if later else document.current
    if later_version is None:
        raise Refusal(_("This document has no version %(num)s.", num=later), "no_version", 404)
    if earlier is None:
        earlier_version = next(
            (v for v in reversed(document.versions) if v.version < later_version.version),
            document.versions[0] if later_version.version == 1 else None,
        )
    else:
        earlier_version = document.version(earlier)
        if earlier_version is None:
            raise Refusal(
                _("This document has no version %(num)s.", num=earlier), "no_version", 404
            )
    if earlier_version is None or earlier_version.version == later_version.version:
        raise Refusal(_("Choose two different versions to compare."), "same_version", 422)
    return earlier_version, later_version


def _text(version: DocumentVersion) -> str:
    """The version's extracted text (read now if it never was); a clear refusal if it has
    none that can be compared."""
    from vir.core.labels import index_reason
    from vir.search.operations import text_for

    row = text_for(version)
    db.session.commit()  # keep what was extracted
    if row.status == IndexStatus.FAILED or (row.status == IndexStatus.NO_TEXT and not row.text):
        reason = index_reason(row.reason)
        raise Refusal(
            _(
                "Version %(num)s has no text that can be compared.",
                num=version.version,
            )
            + (f" {reason}" if reason else ""),
            "no_text",
            422,
        )
    return row.text


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
LONG_PARAGRAPH = 300  # words


def _paragraphs(text: str) -> list[str]:
    """The text's lines; a very long one (text extracted before VIR kept lines had none) is
    cut at its sentences, so a small edit is not a whole document removed and added."""
    out = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        if line.count(" ") >= LONG_PARAGRAPH:
            out.extend(_SENTENCE_END.split(line))
        else:
            out.append(line)
    return out


def _merge(changes: list[Change]) -> list[Change]:
    out: list[Change] = []
    for change in changes:
        if out and out[-1].op == change.op:
            out[-1].text += " " + change.text
        else:
            out.append(Change(change.op, change.text))
    return out


def _words_changed(before: list[str], after: list[str]) -> list[list[Change]]:
    """A run of changed paragraphs, word by word: paragraphs as the later version has them,
    with what was removed shown where it stood."""
    a = [w for p in before for w in [*_WORDS.findall(p), "\n"]]
    b = [w for p in after for w in [*_WORDS.findall(p), "\n"]]
    if max(len(a), len(b)) > MAX_WORDS_MATCHED:
        return [[Change("delete", p)] for p in before] + [[Change("insert", p)] for p in after]
    out: list[list[Change]] = [[]]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)

    def emit(op: str, words: list[str]) -> None:
        for word in words:
            if word == "\n":
                if out[-1]:
                    out.append([])
            else:
                out[-1].append(Change(op, word))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            emit("equal", b[j1:j2])
        else:
            # Removed words first, where a paragraph break of the earlier text does not
            # split the later one's paragraph.
            emit("delete", [w for w in a[i1:i2] if w != "\n"])
            emit("insert", b[j1:j2])
    return [_merge(p) for p in out if p]


def diff(before: str, after: str) -> list[list[Change]]:
    """Paragraphs of the comparison of two texts, each a list of equal, inserted and deleted
    runs of words."""
    a, b = _paragraphs(before), _paragraphs(after)
    out: list[list[Change]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend([Change("equal", p)] for p in b[j1:j2])
        elif tag == "delete":
            out.extend([Change("delete", p)] for p in a[i1:i2])
        elif tag == "insert":
            out.extend([Change("insert", p)] for p in b[j1:j2])
        else:
            out.extend(_words_changed(a[i1:i2], b[j1:j2]))
    return out


def compare(
    document: Document, earlier: int | None = None, later: int | None = None, page: int = 1
) -> Comparison:
    """Compare two versions (by default the current one with the one before), a page of
    paragraphs at a time; out-of-range pages give the nearest."""
    from vir.audit.operations import record

    earlier_version, later_version = versions_to_compare(document, earlier, later)
    paragraphs = diff(_text(earlier_version), _text(later_version))
    changed = [i for i, p in enumerate(paragraphs) if any(c.op != "equal" for c in p)]
    count = {"insert": 0, "delete": 0}
    for p in paragraphs:
        for c in p:
            if c.op in count:
                count[c.op] += len(c.text.split())
    pages = max(1, -(-len(paragraphs) // PARAGRAPHS_PER_PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * PARAGRAPHS_PER_PAGE
    record(
        "document.compare",
        object_type="document",
        object_id=document.id,
        provider_id=document.folder.room.provider_id,
        versions=f"{earlier_version.version}-{later_version.version}",
    )
    db.session.commit()
    return Comparison(
        document=document,
        earlier=earlier_version,
        later=later_version,
        paragraphs=paragraphs[start : start + PARAGRAPHS_PER_PAGE],
        page=page,
        pages=pages,
        changed_pages=sorted({i // PARAGRAPHS_PER_PAGE + 1 for i in changed}),
        inserted=count["insert"],
        deleted=count["delete"],
        first=start + 1,
        total_paragraphs=len(paragraphs),
    )
