"""Word queries scored a posting block at a time with numpy.

Whoosh matches and scores one posting at a time in Python (7–10 µs each), so a word found in
all of 10,000 documents costs over 100 ms before any snippet is made. Queries built from words
and exact phrases in fields joined by AND, OR and NOT, which is what people mostly type, are
scored here instead: the same BM25F as Whoosh (same idf, field lengths and parameters) over
whole posting arrays, restricted to the permission filter before anything is scored.
Prefixes, "near"~N phrases, ranges and anything else go to Whoosh unchanged.
`tests/test_search.py` checks this path against Whoosh's own results and scores.

Blocks written by `vir.search.codec` are taken as the arrays they are stored as; postings
written any other way are read through Whoosh's matcher interface, posting by posting. The
codec builds on Whoosh's W3 internals, hence the upper bound on whoosh-reloaded.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.scoring import BM25F, BM25FScorer, WeightScorer
from whoosh.searching import Searcher

from vir.search.codec import ArrayLeafMatcher, PackedPositions

# Per-segment arrays (field lengths, facet values, dates, and the postings of words searched
# for). Segments never change once written, so these stay valid across searchers until the
# segment is merged away; deletions are applied by the permission mask, not here.
_segment_cache: OrderedDict[tuple[str, str, Any], Any] = OrderedDict()
_cached_bytes = 0
MAX_CACHE_BYTES = 64 * 1024 * 1024  # VIR_SEARCH_CACHE_MB, set by configure()


def configure(megabytes: int) -> None:
    global MAX_CACHE_BYTES
    MAX_CACHE_BYTES = max(1, megabytes) * 1024 * 1024


class Stats:
    """Term statistics of the documents a caller may read, and only those.

    BM25's idf and average field length are counted over the whole index in Whoosh, so a
    hidden document holding a word would change the scores a caller sees for it: an oracle.
    Here both come from the permission mask (deleted documents are never in it)."""

    def __init__(self, s: Searcher, allowed: np.ndarray) -> None:
        self.searcher = s
        self.allowed = allowed
        self.n = int(allowed.sum())
        self._avgfl: dict[str, float] = {}
        self._df: dict[tuple[str, bytes], int] = {}

    def doc_frequency(self, fieldname: str, btext: bytes) -> int:
        key = (fieldname, btext)
        found = self._df.get(key)
        if found is None:
            found = 0
            for leaf, offset in self.searcher.leaf_searchers():
                local, _ = postings(leaf.reader(), fieldname, btext)
                if len(local):
                    found += int(self.allowed[local + offset].sum())
            self._df[key] = found
        return found

    def idf(self, fieldname: str, btext: bytes) -> float:
        # whoosh.scoring.WeightingModel.idf, over the readable documents
        return float(np.log(max(self.n, 1) / (self.doc_frequency(fieldname, btext) + 1)) + 1)

    def avgfl(self, fieldname: str) -> float:
        found = self._avgfl.get(fieldname)
        if found is None:
            lengths = np.concatenate(
                [_lengths(leaf.reader(), fieldname) for leaf, _ in self.searcher.leaf_searchers()]
                or [np.zeros(0)]
            )
            total = float(lengths[self.allowed[: len(lengths)]].sum()) if len(lengths) else 0.0
            found = self._avgfl[fieldname] = (total / self.n if self.n else 0.0) or 1.0
        return found


class _ReadableScorer(BM25FScorer):
    def __init__(
        self,
        searcher: Searcher,
        fieldname: str,
        text: bytes,
        B: float,
        K1: float,
        stats: Stats,
        qf: int = 1,
    ) -> None:
        # BM25FScorer's own __init__ asks the searcher for whole-index statistics.
        self.idf = stats.idf(fieldname, text)
        self.avgfl = stats.avgfl(fieldname)
        self.B, self.K1, self.qf = B, K1, qf
        self.setup(searcher, fieldname, text)


class ReadableBM25F(BM25F):
    """Whoosh's BM25F with the statistics of what the caller may read (`Stats`), for the
    queries Whoosh matches itself ("near"~N phrases, ranges, dates)."""

    def __init__(self, stats: Stats, base: BM25F) -> None:
        super().__init__(B=base.B, K1=base.K1)
        self._field_B = dict(base._field_B)
        self.stats = stats

    def scorer(self, searcher: Searcher, fieldname: str, text: bytes, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _ReadableScorer(
            searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1, self.stats, qf
        )


def supports(q: wq.Query, searcher: Searcher) -> bool:
    """Whether this query can be scored here with exactly Whoosh's result."""
    return type(searcher.weighting) is BM25F and _supported(q)


def _supported(q: wq.Query) -> bool:
    kind = type(q)
    if kind is wq.Term:
        return True
    if kind is wq.Not:
        return _supported(q.query)
    if kind in (wq.And, wq.Or):
        if kind is wq.Or and (q.scale or q.minmatch):
            return False
        return bool(q.subqueries) and all(_supported(s) for s in q.subqueries)
    if kind is wq.AndNot:
        return _supported(q.a) and _supported(q.b)
    if kind is wq.Phrase:  # exact phrases; "words near each other"~N is Whoosh's
        return q.slop == 1 and bool(q.words)
    return False


@dataclass
class Matches:
    """Which documents match (a mask over the searcher's document numbers) and their scores."""

    mask: np.ndarray
    scores: np.ndarray

    @property
    def total(self) -> int:
        return int(self.mask.sum())

    def top(self, s: Searcher, n: int) -> list[tuple[int, float]]:
        """The n best (document number, score), best first; ties by document id, which
        (unlike the document number) does not move when other documents come and go."""
        docs = np.flatnonzero(self.mask)
        if not len(docs) or n <= 0:
            return []
        scores = self.scores[docs]
        if len(docs) > n:
            # Everything scoring at least the n-th best, so ties at the edge stay in order.
            cut = np.partition(scores, len(scores) - n)[len(scores) - n]
            keep = scores >= cut
            docs, scores = docs[keep], scores[keep]
        ids = _column(s, "document_id")[docs]
        order = np.lexsort((ids, -scores))[:n]
        return [(int(docs[i]), float(scores[i])) for i in order]

    def newest(self, s: Searcher, field: str, n: int) -> list[tuple[int, float]]:
        """The n most recent by a sortable date field, newest first."""
        docs = np.flatnonzero(self.mask)
        if not len(docs) or n <= 0:
            return []
        dates = _column(s, field)[docs]
        ids = _column(s, "document_id")[docs]
        order = np.lexsort((ids, -dates))[:n]
        return [(int(docs[i]), float(self.scores[docs[i]])) for i in order]


def run(s: Searcher, q: wq.Query, allowed: np.ndarray, stats: Stats | None = None) -> Matches:
    """Match and score ``q`` among the documents ``allowed`` lets through (a boolean mask
    over the searcher's document numbers, deleted documents already out), with the term
    statistics of ``stats`` (by default, of the documents ``allowed`` lets through)."""
    stats = stats or Stats(s, allowed)
    mask, scores = _eval(s, q, allowed, stats)
    mask &= allowed
    scores[~mask] = 0.0
    return Matches(mask, scores)


def _eval(
    s: Searcher, q: wq.Query, allowed: np.ndarray, stats: Stats
) -> tuple[np.ndarray, np.ndarray]:
    kind = type(q)
    if kind is wq.Term:
        mask, scores = _term(s, q.fieldname, q.text, allowed, stats)
    elif kind is wq.Not:
        # Inside an AND, Whoosh's InverseMatcher adds a constant 1.0 to each document it lets
        # through; alone, it matches every document the word is not in, also with 1.0.
        inner, _ = _eval(s, q.query, allowed, stats)
        mask = ~inner
        scores = mask.astype(np.float64)
    elif (
        kind is wq.Or
        and len(q.subqueries) > 4
        and all(type(sub) is wq.Term for sub in q.subqueries)
    ):
        mask, scores = _any_term(s, q.subqueries, allowed, stats)
    elif kind is wq.And or kind is wq.Or:
        parts = [_eval(s, sub, allowed, stats) for sub in q.subqueries]
        mask = parts[0][0].copy()
        scores = parts[0][1].copy()
        for sub_mask, sub_scores in parts[1:]:
            if kind is wq.And:
                mask &= sub_mask
            else:
                mask |= sub_mask
            scores += sub_scores
        if kind is wq.And:
            scores[~mask] = 0.0
    elif kind is wq.AndNot:
        mask, scores = _eval(s, q.a, allowed, stats)
        excluded, _ = _eval(s, q.b, allowed, stats)
        mask = mask & ~excluded
        scores = np.where(mask, scores, 0.0)
    elif kind is wq.Phrase:
        mask, scores = _phrase(s, q, allowed, stats)
    else:  # supports() keeps anything else away
        raise TypeError(f"unsupported query {q!r}")
    # Whoosh applies a boost on a word, and on AND/OR of two or more parts (one part is
    # replaced by its only child); never on NOT or AND NOT.
    if q.boost != 1.0 and (
        kind in (wq.Term, wq.Phrase) or (kind in (wq.And, wq.Or) and len(q.subqueries) > 1)
    ):
        scores = scores * q.boost
    return mask, scores


def _term(
    s: Searcher, fieldname: str, text: Any, allowed: np.ndarray, stats: Stats
) -> tuple[np.ndarray, np.ndarray]:
    size = s.doc_count_all()
    mask = np.zeros(size, dtype=bool)
    scores = np.zeros(size, dtype=np.float64)
    for ids, found in _term_hits(s, fieldname, text, allowed, stats):
        mask[ids] = True
        scores[ids] = found
    return mask, scores


def _term_hits(
    s: Searcher, fieldname: str, text: Any, allowed: np.ndarray, stats: Stats
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The allowed documents holding a term, per segment: their numbers and scores."""
    if fieldname not in s.schema:
        return []
    field = s.schema[fieldname]
    try:
        btext = field.to_bytes(text)
    except ValueError:
        return []
    if field.scorable:
        weighting = s.weighting
        idf = stats.idf(fieldname, btext)
        avgfl = stats.avgfl(fieldname)
        b = weighting._field_B.get(fieldname, weighting.B)
        k1 = weighting.K1
    out = []
    for leaf, offset in s.leaf_searchers():
        reader = leaf.reader()
        local, stored = postings(reader, fieldname, btext)  # cached: never changed in place
        if not len(local):
            continue
        keep = allowed[local + offset]
        local = local[keep]
        if not len(local):
            continue
        weights = stored[keep].astype(np.float64)  # Whoosh scores in double precision
        if field.scorable:
            lengths = _lengths(reader, fieldname)[local]
            # whoosh.scoring.bm25, term by term in the same order of operations
            found = idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / avgfl)))
        else:
            found = weights  # WeightScorer: unscored fields score their weight
        out.append((local + offset, found))
    return out


def _any_term(
    s: Searcher, terms: list[wq.Term], allowed: np.ndarray, stats: Stats
) -> tuple[np.ndarray, np.ndarray]:
    """An OR of many words (what a prefix or a fuzzy word stands for): their postings
    gathered and summed at once, not a whole-index array per word."""
    size = s.doc_count_all()
    ids, found = [], []
    for term in terms:
        for term_ids, term_scores in _term_hits(s, term.fieldname, term.text, allowed, stats):
            ids.append(term_ids)
            found.append(term_scores * term.boost if term.boost != 1.0 else term_scores)
    if not ids:
        return np.zeros(size, dtype=bool), np.zeros(size)
    every = np.concatenate(ids)
    mask = np.zeros(size, dtype=bool)
    mask[every] = True
    return mask, np.bincount(every, weights=np.concatenate(found), minlength=size)


def _phrase(
    s: Searcher, q: wq.Phrase, allowed: np.ndarray, stats: Stats
) -> tuple[np.ndarray, np.ndarray]:
    """Documents where the words stand next to each other in this order, scored as Whoosh
    scores a phrase: the sum of its words' scores."""
    size = s.doc_count_all()
    mask = np.zeros(size, dtype=bool)
    scores = np.zeros(size, dtype=np.float64)
    fieldname = q.fieldname
    if fieldname not in s.schema:
        return mask, scores
    field = s.schema[fieldname]
    if not field.format or not field.format.supports("positions"):
        raise wq.QueryError(f"Phrase search: {fieldname!r} field has no positions")
    try:
        words = [field.to_bytes(w) for w in q.words]
    except ValueError:
        return mask, scores
    if any((fieldname, w) not in s.reader() for w in words):
        return mask, scores
    for leaf, offset in s.leaf_searchers():
        reader = leaf.reader()
        if any((fieldname, w) not in reader for w in words):
            continue
        # Each occurrence as one number, document and position together; the i-th word's
        # occurrences shifted back by i meet the first word's where the phrase stands.
        keys = None
        for i, word in enumerate(words):
            docs, positions = _positions(reader, fieldname, word)
            keep = allowed[docs + offset]
            found = (docs[keep].astype(np.int64) << 32) + (positions[keep].astype(np.int64) - i)
            keys = found if keys is None else np.intersect1d(keys, found, assume_unique=True)
            if not len(keys):
                break
        if keys is not None and len(keys):
            mask[np.unique(keys >> 32) + offset] = True
    if mask.any():
        _, summed = _eval(s, wq.And([wq.Term(fieldname, w) for w in q.words]), allowed, stats)
        scores = np.where(mask, summed, 0.0)
    return mask, scores


def _positions(reader: Any, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Every occurrence of a term in a segment: its document and its position (in order)."""

    def make() -> tuple[np.ndarray, np.ndarray]:
        fmt = reader.schema[fieldname].format
        m = _raw_matcher(reader, fieldname, btext)
        if isinstance(m, ArrayLeafMatcher) and type(fmt) is PackedPositions:
            ids, weights, counts, packed = [], [], [], []
            while m.is_active():
                block_ids, block_weights, (lengths, joined) = m.block_arrays()
                ids.append(block_ids)
                weights.append(_weights(block_weights, m._blocklength))
                counts.append(lengths)
                packed.append(joined)
                m._next_block()
            postings = (
                _uint32(ids).astype(np.int32),
                np.concatenate(weights) if weights else np.zeros(0, np.float32),
            )
            # The same blocks hold the weights a phrase is scored with: keep them too.
            _remember(_segment_key(reader, "postings", (fieldname, btext)), lambda: postings)
            return (np.repeat(postings[0], _uint32(counts) >> 2), _uint32(packed).astype(np.int32))
        docs: list[int] = []
        positions: list[int] = []
        while m.is_active():  # other formats (titles, file names): posting by posting
            where = fmt.decode_positions(m.value())
            docs.extend([m.id()] * len(where))
            positions.extend(where)
            m.next()
        return np.asarray(docs, dtype=np.int32), np.asarray(positions, dtype=np.int32)

    return _remember(_segment_key(reader, "positions", (fieldname, btext)), make)


def _uint32(parts: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(parts), dtype="<u4")


def _weights(stored: Any, n: int) -> np.ndarray:
    """A block's weights as ArrayCodec keeps them: float32 bytes, one float for all, or None
    for all 1.0."""
    if stored is None:
        return np.ones(n, dtype=np.float32)
    if isinstance(stored, float):
        return np.full(n, stored, dtype=np.float32)
    return np.frombuffer(stored, dtype="<f4")


def _raw_matcher(reader: Any, fieldname: str, btext: bytes) -> Any:
    """A term's postings with deleted documents still in (the permission mask leaves them
    out). Not reader.postings(): its deletion filter steps over deleted documents one by one
    in Python as soon as it is made, which after a large deletion is most of the list."""
    terms = getattr(reader, "_terms", None)
    if terms is not None:
        return terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    m = reader.postings(fieldname, btext)
    while not isinstance(m, W3LeafMatcher) and hasattr(m, "child"):
        m = m.child
    return m


def postings(reader: Any, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers (in the segment) and weights of one term, deleted ones included:
    the permission mask, built from live documents only, leaves those out. Remembered: reading
    them means decompressing every block of the term."""
    return _remember(
        _segment_key(reader, "postings", (fieldname, btext)),
        lambda: _read_postings(reader, fieldname, btext),
    )


_NONE = (np.zeros(0, np.int32), np.zeros(0, np.float32))


def _read_postings(reader: Any, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    if (fieldname, btext) not in reader:  # remembered too: absent words are asked again
        return _NONE
    m = _raw_matcher(reader, fieldname, btext)
    if isinstance(m, ArrayLeafMatcher):
        ids, weights = [], []
        while m.is_active():
            block_ids, block_weights, _values = m.block_arrays()
            ids.append(block_ids)
            weights.append(_weights(block_weights, m._blocklength))
            m._next_block()
        if not ids:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        return _uint32(ids).astype(np.int32), np.concatenate(weights)
    found: list[int] = []
    weights_: list[float] = []
    while m.is_active():  # postings written another way, or kept in the term's entry
        found.append(m.id())
        weights_.append(m.weight())
        m.next()
    return np.asarray(found, dtype=np.int32), np.asarray(weights_, dtype=np.float32)


def _size(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes + 100
    if isinstance(value, (tuple, list)):
        return sum(_size(v) for v in value) + 50
    return 100


def _remember(key: tuple[str, str, Any], make: Any) -> Any:
    """A per-segment value, made once and kept while it is among the most recently used
    (up to MAX_CACHE_BYTES in all)."""
    global _cached_bytes
    found = _segment_cache.get(key)
    if found is not None:
        _segment_cache.move_to_end(key)
        return found
    found = _segment_cache[key] = make()
    _cached_bytes += _size(found)
    while _cached_bytes > MAX_CACHE_BYTES and len(_segment_cache) > 1:
        _, dropped = _segment_cache.popitem(last=False)
        _cached_bytes -= _size(dropped)
    return found


def _segment_key(reader: Any, kind: str, fieldname: Any) -> tuple[str, str, Any]:
    segment = reader.segment()
    return (segment.segment_id() if segment is not None else str(id(reader)), kind, fieldname)


def _lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Each document's length of a field, as Whoosh's scorer reads it (1 when unknown)."""

    def make() -> np.ndarray:
        # Whoosh answers None, not the default, for a document whose field is empty (a file
        # whose text could not be read): as NaN it made the average length NaN, and with it
        # every score of a search that could read such a document ("score": NaN, not JSON).
        lengths = (reader.doc_field_length(d, fieldname, 1) for d in range(reader.doc_count_all()))
        return np.fromiter(
            (1 if n is None else n for n in lengths),
            dtype=np.float64,
            count=reader.doc_count_all(),
        )

    return _remember(_segment_key(reader, "lengths", fieldname), make)


def warm(s: Searcher, fieldnames: tuple[str, ...]) -> None:
    """Each segment's field lengths (the scorer's first read of a segment), made now."""
    for leaf, _ in s.leaf_searchers():
        for fieldname in fieldnames:
            _lengths(leaf.reader(), fieldname)


def column(s: Searcher, fieldname: str) -> np.ndarray:
    """A sortable numeric field's values as written (a document id, say) for every document
    number of the searcher."""
    return _column(s, fieldname, translate=True)


def _column(s: Searcher, fieldname: str, translate: bool = False) -> np.ndarray:
    """A sortable field's values for every document number of the searcher; untranslated,
    in Whoosh's sortable encoding (ordered as the values are, and cheaper to read)."""
    parts = []
    for leaf, _offset in s.leaf_searchers():
        reader = leaf.reader()

        def make(reader: Any = reader) -> np.ndarray:
            values = reader.column_reader(fieldname, translate=translate)
            return np.fromiter(
                (values[d] or 0 for d in range(reader.doc_count_all())),
                dtype=np.int64,
                count=reader.doc_count_all(),
            )

        kind = "values" if translate else "column"
        parts.append(_remember(_segment_key(reader, kind, fieldname), make))
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def facets(s: Searcher, mask: np.ndarray, fieldnames: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Counts of matching documents per value of each (ID) field."""
    out: dict[str, dict[str, int]] = {}
    for fieldname in fieldnames:
        counts: dict[str, int] = {}
        field = s.schema[fieldname]
        for leaf, offset in s.leaf_searchers():
            reader = leaf.reader()

            def make(
                reader: Any = reader, field: Any = field, fieldname: str = fieldname
            ) -> list[tuple[str, np.ndarray]]:
                return [
                    (field.from_bytes(term), _read_postings(reader, fieldname, term)[0])
                    for term in reader.lexicon(fieldname)
                ]

            for value, ids in _remember(_segment_key(reader, "facet", fieldname), make):
                n = int(mask[ids + offset].sum())
                if n:
                    counts[value] = counts.get(value, 0) + n
        out[fieldname] = counts
    return out


def forget(words_only: bool = False) -> None:
    """Drop what is remembered (``words_only``: only postings and positions of words, which
    is what a benchmark of first searches needs)."""
    global _cached_bytes
    for key in list(_segment_cache):
        if not words_only or key[1] in ("postings", "positions"):
            _cached_bytes -= _size(_segment_cache.pop(key))
