"""The embedded back end: a Whoosh index in VIR_DATA_DIR/index on this host (one host only;
`vir.search.pg_backend` is the one a cluster shares). Word queries are scored with numpy
(`vir.search.scoring`), patterns expanded to readable words (`vir.search.vocabulary`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select
from whoosh.query import And, DateRange, NullQuery, Or, Query, Term
from whoosh.searching import Searcher

from vir.core.db import db
from vir.documents.models import Document
from vir.search import index as idx
from vir.search import scoring, vocabulary
from vir.search.backend import FACETS, Change, Filters, Found, Scope


def allowed_filter(scope: Scope) -> Query:
    """Only the (provider, area) pairs of the scope."""
    pairs = [
        And([Term("provider", provider), Term("area", area)])
        for _room, provider, area in sorted(scope.areas)
    ]
    return Or(pairs) if pairs else NullQuery


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


class WhooshBackend:
    name = "whoosh"

    def write(
        self,
        changes: Iterable[Change],
        *,
        bulk: bool = False,
        replace: bool = False,
        provider: str | None = None,
    ) -> None:
        if provider:
            with idx.writer() as w:
                w.delete_by_term("provider", provider)
            bulk = True  # what it replaces is gone
        with idx.writer(bulk=bulk, replace=replace) as w:
            add = w.add_document if bulk else w.update_document
            for kind, value in changes:
                if kind == "delete":
                    w.delete_by_term("id", str(value))
                else:
                    add(**value)

    def search(
        self,
        text: str,
        query: Any,
        scope: Scope,
        filters: Filters,
        *,
        sort: str,
        start: int,
        limit: int,
        facets: bool,
    ) -> Found:
        from vir.search.queries import SearchError

        parts: list[Query] = [allowed_filter(scope)]
        for name in FACETS:
            value = getattr(filters, name)
            if value:
                parts.append(Term(name, value))
        if filters.since or filters.until:
            parts.append(DateRange("uploaded_at", filters.since, filters.until, endexcl=True))
        allowed = And(parts)
        with idx.searcher() as s:
            if not idx.allowed_mask(s, allowed).any():  # nothing readable: nothing to search
                return Found(facets={name: {} for name in FACETS} if facets else {})
            stats = scoring.Stats(s, _without_trashed(s, idx.allowed_mask(s, allowed)))
            try:
                q = vocabulary.restrict(s, query, stats).normalize()
            except vocabulary.PatternTooWide as exc:
                raise SearchError(
                    _("That pattern matches too many words. Put more letters before the * or ?.")
                ) from exc
            matches = _match(s, q, allowed, stats)
            top = (
                matches.newest(s, "uploaded_at", start + limit)
                if sort == "date"
                else matches.top(s, start + limit)
            )
            return Found(
                page=[
                    (int(s.stored_fields(docnum)["document_id"]), score)
                    for docnum, score in top[start:]
                ],
                total=matches.total,
                facets=scoring.facets(s, matches.mask, FACETS) if facets else {},
                suggestion=(self._suggest(s, text, allowed, stats) if matches.total == 0 else None),
                words=[
                    t.decode() if isinstance(t, bytes) else str(t)
                    for f, t in q.all_terms()
                    if f in ("content", "exact", "title")
                ],
            )

    def _suggest(self, s: Searcher, text: str, allowed: Query, stats: scoring.Stats) -> str | None:
        """ "Did you mean": every word it offers is in a document the caller may read, and it
        is offered only when the corrected search finds something the caller may read."""
        from vir.search.queries import SearchError, parse

        corrected = vocabulary.suggest(s, text, stats)
        if not corrected or corrected == text:
            return None
        try:
            again = vocabulary.restrict(s, parse(corrected), stats).normalize()
        except (SearchError, vocabulary.PatternTooWide):
            return None
        return corrected if _match(s, again, allowed, stats).total else None

    def warm(self) -> None:
        """The searcher, each segment's field lengths and the word lists of "did you mean"
        and patterns: at 5,000 documents the first search in a process took 450 ms and the
        first suggestion 500 ms, instead of 20-50."""
        with idx.searcher() as s:
            vocabulary.warm(s)
            scoring.warm(s, vocabulary.TEXT_FIELDS)

    def similar(
        self, document_id: int, words: dict[str, int], scope: Scope, limit: int
    ) -> list[tuple[int, float]]:
        from vir.search.queries import MORE_LIKE_TERMS

        with idx.searcher() as s:
            docnum = s.document_number(id=str(document_id))
            permitted = allowed_filter(scope)
            if docnum is None or not idx.allowed_mask(s, permitted).any():
                return []
            mask = _without_trashed(s, idx.allowed_mask(s, permitted))
            stats = scoring.Stats(s, mask)
            telling = sorted(
                ((n * stats.idf("content", w.encode("utf-8")), w) for w, n in words.items()),
                reverse=True,
            )[:MORE_LIKE_TERMS]
            if not telling:
                return []
            others = mask.copy()
            others[docnum] = False
            matches = scoring.run(s, Or([Term("content", w) for _, w in telling]), others, stats)
            return [
                (int(s.stored_fields(d)["document_id"]), score)
                for d, score in matches.top(s, limit)
            ]

    def indexed(self) -> dict[int, int]:
        with idx.searcher() as s:
            return {int(f["document_id"]): int(f["version"]) for f in s.all_stored_fields()}

    def describe(self) -> str:
        with idx.searcher() as s:
            return f"{s.doc_count()} documents indexed at {idx.index_dir()}"

    def reset(self) -> None:
        idx.reset()
