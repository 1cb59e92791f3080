"""The words a caller's search may draw on: only those of documents the caller may read.

A search answer carries more than its hits: the words a prefix*, a wild?card, a fuzzy~ word or
a [range] stands for, "did you mean", and the scores. Each of these is decided here, or in
`vir.search.scoring`, from the permission mask, so no word of a hidden document (the Link
Inspectors area, another provider) changes anything in the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh import query as wq
from whoosh.searching import Searcher

from vir.search import scoring
from vir.search.analysis import fold, variants

MAX_EXPANSIONS = 500  # readable words a pattern may stand for
MIN_PATTERN_LETTERS = 2  # letters before the first * or ? (one more before a fuzzy ~)
MAX_FUZZY = 2
# Words of the whole index a pattern may be checked against: each costs a read of its
# postings, so an unbounded pattern would let anyone hold a worker for minutes.
MAX_CANDIDATES = 20_000


class PatternTooWide(ValueError):
    """A pattern matches more words in the index than a search may look at."""


TEXT_FIELDS = ("title", "content", "exact", "filename")
FUZZY_FIELDS = ("title", "exact")  # each fuzzy word is compared with a field's every word
MAX_PATTERNS = 8  # prefixes, wildcards and fuzzy words in one search
MAX_CORRECTED = 12  # words of a search "did you mean" looks at


class _Everything(wq.Query):
    """What NOT of nothing readable stands for: every document (removed again below)."""


EVERYTHING = _Everything()


def restrict(s: Searcher, q: wq.Query, stats: scoring.Stats) -> wq.Query:
    """``q`` with every pattern replaced by the readable words it matches (an OR of them,
    or nothing), and every word or phrase that no readable document holds replaced by
    nothing, so matching and scoring see only what the caller may read. (Whoosh, which
    matches "near"~N phrases and dates itself, would otherwise read a hidden word's postings,
    taking measurably longer for a word that exists only where the caller cannot look.)"""
    found = _restrict(s, q, stats)
    return wq.Every() if found is EVERYTHING else found


def _restrict(s: Searcher, q: wq.Query, stats: scoring.Stats) -> wq.Query:
    if isinstance(q, wq.FuzzyTerm):
        if q.fieldname not in FUZZY_FIELDS:
            return wq.NullQuery  # "exact" holds the same words, unstemmed
        words = fuzzy(
            s, q.fieldname, q.text, min(int(q.maxdist), MAX_FUZZY), stats, prefix=q.prefixlength
        )
        return _any_of(q.fieldname, words, q.boost)
    if isinstance(q, wq.MultiTerm):  # prefix*, wild?card
        words = []
        field = q.field()
        for examined, (_fieldname, btext) in enumerate(q.expanded_terms(s.reader())):
            if examined >= MAX_CANDIDATES:
                raise PatternTooWide(field)
            if stats.doc_frequency(field, btext):
                words.append(btext)
                if len(words) >= MAX_EXPANSIONS:
                    break
        return _any_of(field, words, q.boost)
    if isinstance(q, wq.Term) and q.fieldname in TEXT_FIELDS:
        return q if _readable(s, stats, q.fieldname, q.text) else wq.NullQuery
    if isinstance(q, wq.Phrase) and q.fieldname in TEXT_FIELDS:
        if all(_readable(s, stats, q.fieldname, w) for w in q.words):
            return q
        return wq.NullQuery
    if isinstance(q, wq.Not):
        inner = _restrict(s, q.query, stats)
        if inner is wq.NullQuery:
            return EVERYTHING
        return q if inner is q.query else wq.Not(inner, boost=q.boost)
    if isinstance(q, wq.AndNot):
        a, b = _restrict(s, q.a, stats), _restrict(s, q.b, stats)
        return a if b is wq.NullQuery else wq.AndNot(a, b)
    if isinstance(q, (wq.And, wq.Or)):
        parts = [_restrict(s, sub, stats) for sub in q.subqueries]
        if isinstance(q, wq.Or) and any(p is EVERYTHING for p in parts):
            return EVERYTHING
        parts = [p for p in parts if p is not EVERYTHING]
        if not parts:
            return EVERYTHING
        return type(q)(parts, boost=q.boost)
    if q.is_leaf():
        return q
    return q.apply(lambda sub: restrict(s, sub, stats))


def _readable(s: Searcher, stats: scoring.Stats, fieldname: str, text: Any) -> bool:
    try:
        btext = s.schema[fieldname].to_bytes(text)
    except ValueError:
        return False
    return bool(stats.doc_frequency(fieldname, btext))


def _any_of(fieldname: str, words: list[bytes], boost: float) -> wq.Query:
    if not words:
        return wq.NullQuery
    terms = [wq.Term(fieldname, w.decode("utf-8")) for w in words]
    return terms[0] if len(terms) == 1 else wq.Or(terms, boost=boost)


# Each segment's words of a field, kept apart from the postings cache: a large index has a
# million words, which rebuilt for every fuzzy word cost seconds. Segments never change, so
# a segment's list stays right until the segment is merged away (and then drops out here).
_VOCABULARIES: dict[tuple[str, str], list[str]] = {}
MAX_VOCABULARIES = 64


def _vocabulary(s: Searcher, fieldname: str) -> list[tuple[int, list[str]]]:
    """Each segment's words of a field (with its document offset), remembered per segment."""
    out = []
    live = set()
    for leaf, offset in s.leaf_searchers():
        reader = leaf.reader()
        segment = reader.segment()
        key = (segment.segment_id() if segment is not None else str(id(reader)), fieldname)
        live.add(key[0])
        words = _VOCABULARIES.get(key)
        if words is None:
            words = _VOCABULARIES[key] = [t.decode("utf-8") for t in reader.lexicon(fieldname)]
        out.append((offset, words))
    if len(_VOCABULARIES) > MAX_VOCABULARIES:
        for key in [k for k in _VOCABULARIES if k[0] not in live]:
            del _VOCABULARIES[key]
    return out


def warm(s: Searcher) -> None:
    """Each segment's word lists, read before anyone waits for them."""
    for fieldname in TEXT_FIELDS:
        _vocabulary(s, fieldname)


def fuzzy(
    s: Searcher, fieldname: str, text: str, maxdist: int, stats: scoring.Stats, prefix: int = 0
) -> list[bytes]:
    """Readable words within ``maxdist`` edits of ``text``, nearest first."""
    if fieldname not in TEXT_FIELDS:
        return []
    return [w.encode("utf-8") for w, _d in _near(s, fieldname, text, maxdist, stats, prefix)]


def _near(
    s: Searcher, fieldname: str, text: str, maxdist: int, stats: scoring.Stats, prefix: int = 0
) -> list[tuple[str, int]]:
    found: dict[str, int] = {}
    for _offset, words in _vocabulary(s, fieldname):
        for word, distance, _i in process.extract(
            text, words, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None
        ):
            if word[:prefix] == text[:prefix]:
                found[word] = int(distance)
    if len(found) > MAX_CANDIDATES:
        raise PatternTooWide(fieldname)
    readable = [
        (w, d) for w, d in found.items() if stats.doc_frequency(fieldname, w.encode("utf-8"))
    ]
    # nearest, then most used among readable documents, then alphabetical
    readable.sort(key=lambda wd: (wd[1], -stats.doc_frequency(fieldname, wd[0].encode()), wd[0]))
    return readable[:MAX_EXPANSIONS]


# --- did you mean ------------------------------------------------------------------------------

# A word of the query as people type it: an optional field, the word, and what follows it.
_WORD = re.compile(r'(?P<field>\w+:)?(?P<word>\w+)(?P<suffix>[*?~^][^\s()"]*)?')
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def suggest(s: Searcher, text: str, stats: scoring.Stats) -> str | None:
    """The query with each word that no readable document holds replaced by the nearest
    word that one does; None if nothing would change."""
    return corrected(text, lambda word: _correct(s, word, stats))


def corrected(text: str, correct: Callable[[str], str | None]) -> str | None:
    """The query with each word a correction is worth looking for (not an operator, number,
    pattern or non-text field) replaced by ``correct(word)`` where that gives one; None if
    nothing would change. Each back end says how a word is corrected."""
    out: list[str] = []
    last = 0
    changed = False
    for n, m in enumerate(_WORD.finditer(text)):
        if n >= MAX_CORRECTED:
            break  # each correction compares a word with the whole vocabulary
        word, field, suffix = m.group("word"), m.group("field"), m.group("suffix") or ""
        if (
            word in _OPERATORS
            or word.isdigit()
            or len(word) < 3
            or suffix[:1] in ("*", "?")
            or (field and field[:-1] not in TEXT_FIELDS)
        ):
            continue
        better = correct(word)
        if better is None:
            continue
        out.append(text[last : m.start("word")])
        out.append(better)
        last = m.end("word")
        changed = True
    if not changed:
        return None
    out.append(text[last:])
    return "".join(out)


def _correct(s: Searcher, word: str, stats: scoring.Stats) -> str | None:
    key = fold(word.lower())
    if any(stats.doc_frequency("exact", v.encode("utf-8")) for v in variants(key)):
        return None  # found as it is (or as a mutated form of it)
    try:
        near = _near(s, "exact", key, 1 if len(key) <= 4 else 2, stats)
    except PatternTooWide:
        return None
    return near[0][0] if near else None
