"""Searching: the index is filtered by what the caller may read now, and every hit is checked
again against the database before it is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from whoosh import highlight
from whoosh.qparser import FuzzyTermPlugin, MultifieldPlugin, QueryParser
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.query import And, DateRange, NullQuery, Or, Query, Term
from whoosh.searching import Searcher

from vir.access import READ, can, readable_areas, visible_rooms
from vir.core.db import db
from vir.core.i18n import locale
from vir.documents.models import Document
from vir.rooms.models import Folder, Room
from vir.search import index as idx
from vir.search import scoring, vocabulary
from vir.search.analysis import fold, query_is_welsh, variants
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
    pairs = [
        And([Term("provider", room.provider.slug), Term("area", area)])
        for room in db.session.scalars(visible_rooms(user))
        for area in readable_areas(user, room)
    ]
    return Or(pairs) if pairs else NullQuery


class _Parser(QueryParser):
    """Today's query language, with each plain word widened to its Welsh mutated forms
    (`vir.search.analysis.variants`) and ``word~`` / ``word~2`` as fuzzy words."""

    mutations = True
    welsh = False  # the search is in Welsh (analysis.query_is_welsh)

    def term_query(
        self,
        fieldname: str,
        text: str,
        termclass: Any,
        boost: float = 1.0,
        tokenize: bool = True,
        removestops: bool = True,
    ) -> Query | None:
        forms = (
            variants(text, self.welsh)
            if (self.mutations and termclass is Term and fieldname in vocabulary.TEXT_FIELDS)
            else (text,)
        )
        if len(forms) == 1:
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        parts = [
            q
            for q in (
                super(_Parser, self).term_query(
                    fieldname, form, termclass, boost, tokenize, removestops
                )
                for form in dict.fromkeys(forms)
            )
            if q is not None
        ]
        return Or(parts).normalize() if parts else None


def parse(text: str) -> Query:
    parser = _Parser(None, schema=idx.SCHEMA)  # words must all match
    if has_app_context():
        parser.mutations = bool(current_app.config.get("VIR_SEARCH_MUTATIONS", True))
        parser.welsh = parser.mutations and query_is_welsh(text, locale())
    parser.add_plugin(MultifieldPlugin(FIELDS))
    parser.add_plugin(DateParserPlugin())
    parser.add_plugin(FuzzyTermPlugin())
    try:
        query = parser.parse(text)
    except Exception as exc:  # whoosh raises several kinds; all mean "cannot read this"
        raise SearchError(
            _("The search could not be understood. Check quotes and brackets.")
        ) from exc
    if query is NullQuery:
        raise SearchError(_("Enter words to search for."))
    _check_patterns(query)
    return query


def _check_patterns(q: Query) -> None:
    """A pattern stands for every word it matches: one with too few letters ("*", "a?*",
    "x~2") stands for most of the index, costing seconds and meaning little."""
    from whoosh.query import Every, FuzzyTerm, Prefix, TermRange, Wildcard

    leaves = list(q.leaves()) if not q.is_leaf() else [q]
    patterns = {
        (type(sub), sub.text) for sub in leaves if isinstance(sub, (FuzzyTerm, Prefix, Wildcard))
    }
    if len(patterns) > vocabulary.MAX_PATTERNS:
        raise SearchError(
            _(
                "Use at most %(n)d patterns (with *, ? or ~) in one search.",
                n=vocabulary.MAX_PATTERNS,
            )
        )
    for sub in leaves:
        if isinstance(sub, TermRange) and sub.fieldname in vocabulary.TEXT_FIELDS:
            # Every word of the index between two others: the costliest pattern of all.
            raise SearchError(
                _(
                    "Ranges like [a TO b] work on dates (uploaded_at:[2026 TO "
                    "2027]). For words, use word* or word~."
                )
            )
        if isinstance(sub, Every):
            short = True
        elif isinstance(sub, FuzzyTerm):
            # two edits on a short word match most short words of the index
            short = len(sub.text) < vocabulary.MIN_PATTERN_LETTERS + (1 if sub.maxdist < 2 else 3)
        elif isinstance(sub, Prefix):
            short = len(sub.text) < vocabulary.MIN_PATTERN_LETTERS
        elif isinstance(sub, Wildcard):
            short = len(re.split(r"[*?]", sub.text, maxsplit=1)[0]) < vocabulary.MIN_PATTERN_LETTERS
        else:
            continue
        if short:
            raise SearchError(
                _("Put at least two letters before * or ?, three before ~ and five before ~2.")
            )


def _without_trashed(s: Searcher, mask: np.ndarray) -> np.ndarray:
    """The permission mask less documents in the trash, from the database: the index learns
    of a trashing only when the worker gets to it, and until then totals, facets and "did you
    mean" would still count the document."""
    trashed = db.session.scalars(select(Document.id).where(Document.deleted_at.is_not(None)))
    ids = np.fromiter(trashed, dtype=np.int64)
    if not len(ids):
        return mask
    return mask & ~np.isin(scoring.column(s, "document_id"), ids)


def _match(s: Searcher, q: Query, allowed: Query, stats: scoring.Stats) -> scoring.Matches:
    """Every readable document ``q`` matches, scored with readable statistics only.
    ``allowed``: the permission (and facet) filter, which Whoosh's own matching needs."""
    if q is NullQuery:
        size = s.doc_count_all()
        return scoring.Matches(np.zeros(size, dtype=bool), np.zeros(size))
    if scoring.supports(q, s):
        # Words with AND/OR/NOT: scored a posting block at a time (vir.search.scoring).
        return scoring.run(s, q, stats.allowed, stats)
    # "near"~N phrases, dates and ranges: matched by Whoosh, scored by the same statistics.
    readable = Searcher(
        s.reader(), weighting=scoring.ReadableBM25F(stats, s.weighting), closereader=False
    )
    mask = np.zeros(s.doc_count_all(), dtype=bool)
    scores = np.zeros(s.doc_count_all())
    for hit in readable.search(q, limit=None, filter=idx.allowed_docs(s, allowed)):
        mask[hit.docnum] = True
        scores[hit.docnum] = hit.score
    return scoring.Matches(mask & stats.allowed, scores)


def search(
    user: Any,
    text: str,
    *,
    provider: str | None = None,
    area: str | None = None,
    category: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 10,
    facets: bool = True,
) -> Results:
    """``facets``: count results per provider, area and category (the results page shows
    them; it costs a pass over every match, so API callers ask for it).

    Every part of the answer (hits, total, facets, scores, suggestion) is computed from the
    documents the caller may read now, and from nothing else."""
    query = parse(text)
    filters: list[Query] = [allowed_filter(user)]
    for name, value in (("provider", provider), ("area", area), ("category", category)):
        if value:
            filters.append(Term(name, value))
    if since or until:
        filters.append(DateRange("uploaded_at", since, until, endexcl=True))
    allowed = And(filters)
    with idx.searcher() as s:
        if not idx.allowed_mask(s, allowed).any():  # nothing readable: nothing to search
            return Results(
                total=0,
                page=page,
                per_page=per_page,
                facets={name: {} for name in FACETS} if facets else {},
            )
        stats = scoring.Stats(s, _without_trashed(s, idx.allowed_mask(s, allowed)))
        try:
            q = vocabulary.restrict(s, query, stats).normalize()
        except vocabulary.PatternTooWide as exc:
            raise SearchError(
                _("That pattern matches too many words. Put more letters before the * or ?.")
            ) from exc
        matches = _match(s, q, allowed, stats)
        start = (page - 1) * per_page
        top = (
            matches.newest(s, "uploaded_at", start + per_page)
            if sort == "date"
            else matches.top(s, start + per_page)
        )
        found = [
            (int(s.stored_fields(docnum)["document_id"]), score) for docnum, score in top[start:]
        ]
        total = matches.total
        counts = scoring.facets(s, matches.mask, FACETS) if facets else {}
        suggestion = _suggest(s, text, allowed, stats) if total == 0 else None
        terms = [t for f, t in q.all_terms() if f in ("content", "exact", "title")]
    results = Results(
        total=total, page=page, per_page=per_page, facets=counts, suggestion=suggestion
    )
    if not found:
        return results
    documents = {
        d.id: d
        for d in db.session.scalars(
            select(Document)
            .where(Document.id.in_([i for i, _ in found]))
            # what the access check and the hit show, in the same statement
            .options(joinedload(Document.folder).joinedload(Folder.room).joinedload(Room.provider))
        )
    }
    texts = _texts([d.current.id for d in documents.values()])
    for document_id, score in found:
        document = documents.get(document_id)
        # The database has the last word: deleted, moved or no longer readable means hidden.
        if (
            document is None
            or document.deleted_at is not None
            or not can(user, READ, document.folder.room, document.folder.area)
        ):
            results.total -= 1
            continue
        results.hits.append(
            Hit(document, score, snippet(texts.get(document.current.id, ""), terms))
        )
    return results


def _suggest(s: Searcher, text: str, allowed: Query, stats: scoring.Stats) -> str | None:
    """ "Did you mean": every word it offers is in a document the caller may read, and it is
    offered only when the corrected search finds something the caller may read."""
    corrected = vocabulary.suggest(s, text, stats)
    if not corrected or corrected == text:
        return None
    try:
        again = vocabulary.restrict(s, parse(corrected), stats).normalize()
    except (SearchError, vocabulary.PatternTooWide):
        return None
    return corrected if _match(s, again, allowed, stats).total else None


MORE_LIKE_TERMS = 15


def more_like(user: Any, document: Document, limit: int = 5) -> list[Hit]:
    """Documents like this one, among those the caller may read: its most telling words
    (frequent in it, rare among readable documents) searched for, with readable
    statistics."""
    row = db.session.get(DocumentText, document.current.id)
    if row is None or not row.text.strip():
        return []
    counts: dict[str, int] = {}
    for token in idx.SCHEMA["content"].analyzer(row.text[:50_000]):
        counts[token.text] = counts.get(token.text, 0) + 1
    with idx.searcher() as s:
        docnum = s.document_number(id=str(document.id))
        permitted = allowed_filter(user)
        if docnum is None or not idx.allowed_mask(s, permitted).any():
            return []
        mask = _without_trashed(s, idx.allowed_mask(s, permitted))
        stats = scoring.Stats(s, mask)
        telling = sorted(
            ((n * stats.idf("content", w.encode("utf-8")), w) for w, n in counts.items()),
            reverse=True,
        )[:MORE_LIKE_TERMS]
        if not telling:
            return []
        others = mask.copy()
        others[docnum] = False
        matches = scoring.run(s, Or([Term("content", w) for _, w in telling]), others, stats)
        found = [
            (int(s.stored_fields(d)["document_id"]), score) for d, score in matches.top(s, limit)
        ]
    documents = {
        d.id: d
        for d in db.session.scalars(
            select(Document)
            .where(Document.id.in_([i for i, _ in found]))
            # what the access check and the hit show, in the same statement
            .options(joinedload(Document.folder).joinedload(Folder.room).joinedload(Room.provider))
        )
    }
    hits = []
    for document_id, score in found:
        other = documents.get(document_id)
        if (
            other is None
            or other.deleted_at is not None
            or not can(user, READ, other.folder.room, other.folder.area)
        ):
            continue
        hits.append(Hit(other, score, ""))
    return hits


_fragmenter = highlight.ContextFragmenter(maxchars=220, surround=60)
_formatter = idx.MarkFormatter()


WINDOW = 600  # characters of text analysed around a match, instead of the whole document
MAX_MARKED = 50  # words looked for (a prefix* may stand for hundreds)


def _windows(text: str, words: set[str]) -> str:
    """The stretches of text around the first places the words (or their stems, which are
    mostly prefixes) occur. Highlighting re-analyses what it is given, so giving it a few
    hundred characters rather than a whole document is most of the speed of a search."""
    if not words:
        return ""
    pattern = re.compile(
        r"\b(?:"
        + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)[:MAX_MARKED])
        + ")",
        re.IGNORECASE,
    )
    spans: list[tuple[int, int]] = []
    seen: set[str] = set()
    # One pass over the folded text (the same length as the text: the index holds folded
    # words): the first place of each of the first three words found.
    for found in pattern.finditer(fold(text)):
        word = found.group(0).lower()
        if word in seen:
            continue
        seen.add(word)
        start = max(0, found.start() - WINDOW // 2)
        spans.append((start, min(len(text), start + WINDOW)))
        if len(spans) == 3:
            break
    if not spans:
        return ""
    merged = [spans[0]]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return " … ".join(text[a:b] for a, b in merged)


def _texts(version_ids: list[int]) -> dict[int, str]:
    """Stored text of several versions in one query, for their snippets."""
    if not version_ids:
        return {}
    return dict(
        db.session.execute(
            select(DocumentText.version_id, DocumentText.text).where(
                DocumentText.version_id.in_(version_ids)
            )
        ).all()
    )


def snippet(text: str, terms: list[Any]) -> str:
    """HTML-escaped text around the matched words, which are wrapped in <mark>."""
    if not text or not terms:
        return idx.html.escape(text[:200])
    words = {t.decode() if isinstance(t, bytes) else str(t) for t in terms}
    # Around the first matches when they can be found cheaply; the whole text otherwise.
    source = _windows(text, words) or text
    for field_name in ("content", "exact"):
        result = highlight.highlight(
            source,
            frozenset(words),
            idx.SCHEMA[field_name].analyzer,
            _fragmenter,
            _formatter,
            top=2,
        )
        if result:
            return result
    return idx.html.escape(text[:200])


def statuses(version_ids: list[int]) -> dict[int, str]:
    """Index status per version, in one query (a version not yet seen is pending)."""
    if not version_ids:
        return {}
    found = dict(
        db.session.execute(
            select(DocumentText.version_id, DocumentText.status).where(
                DocumentText.version_id.in_(version_ids)
            )
        ).all()
    )
    return {v: found.get(v, "pending") for v in version_ids}
