"""Searching: the index is filtered by what the caller may read now, and every hit is checked
again against the database before it is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from whoosh import highlight, sorting
from whoosh.qparser import MultifieldParser, QueryParser
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.query import And, DateRange, NullQuery, Or, Query, Term

from vir.access import READ, can, readable_areas, visible_rooms
from vir.core.db import db
from vir.documents.models import Document
from vir.search import index as idx
from vir.search import scoring
from vir.search.models import DocumentText

FIELDS = ["title", "content", "exact", "filename"]


class SearchError(ValueError):
    pass


@dataclass
class Hit:
    document: Document
    score: float
    snippet: str


@dataclass
class Results:
    total: int
    page: int
    per_page: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None


FACETS = ("provider", "area", "category")


def allowed_filter(user: Any) -> Query:
    """Only (provider, area) pairs the user may read now, from the access policy."""
    pairs = [And([Term("provider", room.provider.slug), Term("area", area)])
             for room in db.session.scalars(visible_rooms(user))
             for area in readable_areas(user, room)]
    return Or(pairs) if pairs else NullQuery


def parse(text: str) -> Query:
    parser = MultifieldParser(FIELDS, schema=idx.SCHEMA)  # words must all match
    parser.add_plugin(DateParserPlugin())
    try:
        query = parser.parse(text)
    except Exception as exc:  # whoosh raises several kinds; all mean "cannot read this"
        raise SearchError(_("The search could not be understood. Check quotes and "
                            "brackets.")) from exc
    if query is NullQuery:
        raise SearchError(_("Enter words to search for."))
    return query


def search(user: Any, text: str, *, provider: str | None = None, area: str | None = None,
           category: str | None = None, since: datetime | None = None,
           until: datetime | None = None, sort: str = "relevance", page: int = 1,
           per_page: int = 10, facets: bool = True) -> Results:
    """``facets``: count results per provider, area and category (the results page shows
    them; it costs a pass over every match, so API callers ask for it)."""
    query = parse(text)
    filters: list[Query] = [allowed_filter(user)]
    for name, value in (("provider", provider), ("area", area), ("category", category)):
        if value:
            filters.append(Term(name, value))
    if since or until:
        filters.append(DateRange("uploaded_at", since, until, endexcl=True))
    allowed = And(filters)
    newest = sorting.FieldFacet("uploaded_at", reverse=True) if sort == "date" else None
    with idx.searcher() as s:
        docs = idx.allowed_docs(s, allowed)
        if not docs:  # Whoosh reads an empty filter as no filter at all: nothing to search
            return Results(total=0, page=page, per_page=per_page,
                           facets={name: {} for name in FACETS} if facets else {})
        start = (page - 1) * per_page
        if scoring.supports(query, s):
            # Words with AND/OR/NOT: scored a posting block at a time (vir.search.scoring).
            matches = scoring.run(s, query, idx.allowed_mask(s, allowed))
            top = (matches.newest(s, "uploaded_at", start + per_page) if newest
                   else matches.top(start + per_page))
            found = [(int(s.stored_fields(docnum)["document_id"]), score)
                     for docnum, score in top[start:]]
            total = matches.total
            counts = scoring.facets(s, matches.mask, FACETS) if facets else {}
        else:
            # Every match is collected in the one pass (limit=None), so the total and the
            # facets need no second pass over the postings.
            hits = s.search(query, limit=None, filter=docs, sortedby=newest,
                            groupedby=list(FACETS) if facets else None)
            found = [(int(h["document_id"]), h.score) for h in hits[start:start + per_page]]
            total = len(hits)
            # Facets count only what the filter lets through: documents the caller may read.
            counts = {name: {str(k): len(v) for k, v in hits.groups(name).items()}
                      for name in FACETS} if facets else {}
        suggestion = _suggest(s, query, text, docs) if total == 0 else None
    results = Results(total=total, page=page, per_page=per_page, facets=counts,
                      suggestion=suggestion)
    if not found:
        return results
    documents = {d.id: d for d in db.session.scalars(
        select(Document).where(Document.id.in_([i for i, _ in found])))}
    terms = [t for f, t in query.all_terms() if f in ("content", "exact", "title")]
    texts = _texts([d.current.id for d in documents.values()])
    for document_id, score in found:
        document = documents.get(document_id)
        # The database has the last word: deleted, moved or no longer readable means hidden.
        if document is None or document.deleted_at is not None or not can(
                user, READ, document.folder.room, document.folder.area):
            results.total -= 1
            continue
        results.hits.append(Hit(document, score,
                                snippet(texts.get(document.current.id, ""), terms)))
    return results


def _suggest(s: Any, query: Query, text: str, allowed: Any) -> str | None:
    """"Did you mean": offered only when the corrected search finds something the caller may
    read, so a suggestion never reveals a word from a document they cannot see."""
    # Corrections come from the unstemmed field, so they are words people wrote, not stems.
    exact = QueryParser("exact", schema=idx.SCHEMA).parse(text)
    if not allowed:  # an empty filter would let everything through
        return None
    corrected = s.correct_query(exact, text)
    if corrected.query == exact or not corrected.string or corrected.string == text:
        return None
    try:
        again = parse(corrected.string)
    except SearchError:
        return None
    if s.search(again, filter=allowed, limit=1).scored_length() == 0:
        return None
    return corrected.string


def more_like(user: Any, document: Document, limit: int = 5) -> list[Hit]:
    """Documents like this one, among those the caller may read."""
    row = db.session.get(DocumentText, document.current.id)
    if row is None or not row.text.strip():
        return []
    with idx.searcher() as s:
        docnum = s.document_number(id=str(document.id))
        if docnum is None:
            return []
        found = [(int(h["document_id"]), h.score) for h in
                 s.more_like(docnum, "content", text=row.text, top=limit,
                             filter=allowed_filter(user))]
    documents = {d.id: d for d in db.session.scalars(
        select(Document).where(Document.id.in_([i for i, _ in found])))}
    hits = []
    for document_id, score in found:
        other = documents.get(document_id)
        if other is None or other.deleted_at is not None or not can(
                user, READ, other.folder.room, other.folder.area):
            continue
        hits.append(Hit(other, score, ""))
    return hits


_fragmenter = highlight.ContextFragmenter(maxchars=220, surround=60)
_formatter = idx.MarkFormatter()


WINDOW = 600  # characters of text analysed around a match, instead of the whole document


def _windows(text: str, words: set[str]) -> str:
    """The stretches of text around the first places the words (or their stems, which are
    mostly prefixes) occur. Highlighting re-analyses what it is given, so giving it a few
    hundred characters rather than a whole document is most of the speed of a search."""
    spans: list[tuple[int, int]] = []
    for word in sorted(words):
        found = re.search(r"\b" + re.escape(word), text, re.IGNORECASE)
        if found:
            start = max(0, found.start() - WINDOW // 2)
            spans.append((start, min(len(text), start + WINDOW)))
    if not spans:
        return ""
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:3]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return " … ".join(text[a:b] for a, b in merged)


def _texts(version_ids: list[int]) -> dict[int, str]:
    """Stored text of several versions in one query, for their snippets."""
    if not version_ids:
        return {}
    return dict(db.session.execute(select(DocumentText.version_id, DocumentText.text)
                                   .where(DocumentText.version_id.in_(version_ids))).all())


def snippet(text: str, terms: list[Any]) -> str:
    """HTML-escaped text around the matched words, which are wrapped in <mark>."""
    if not text or not terms:
        return idx.html.escape(text[:200])
    words = {t.decode() if isinstance(t, bytes) else str(t) for t in terms}
    # Around the first matches when they can be found cheaply; the whole text otherwise.
    source = _windows(text, words) or text
    for field_name in ("content", "exact"):
        result = highlight.highlight(source, frozenset(words), idx.SCHEMA[field_name].analyzer,
                                     _fragmenter, _formatter, top=2)
        if result:
            return result
    return idx.html.escape(text[:200])


def statuses(version_ids: list[int]) -> dict[int, str]:
    """Index status per version, in one query (a version not yet seen is pending)."""
    if not version_ids:
        return {}
    found = dict(db.session.execute(select(DocumentText.version_id, DocumentText.status)
                                    .where(DocumentText.version_id.in_(version_ids))).all())
    return {v: found.get(v, "pending") for v in version_ids}
