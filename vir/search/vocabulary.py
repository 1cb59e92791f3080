"""The words a caller's search may draw on: only those of documents the caller may read.

A search answer carries more than its hits: the words a prefix*, a wild?card, a fuzzy~ word or
a [range] stands for, "did you mean", and the scores. Each of these is decided here, or in
`vir.search.scoring`, from the permission mask, so no word of a hidden document (the Link
Inspectors area, another provider) changes anything in the answer.
"""

from __future__ import annotations

import re
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


def restrict(s: Searcher, q: wq.Query, stats: scoring.Stats) -> wq.Query:
    """``q`` with every pattern replaced by the readable words it matches (an OR of them,
    or nothing), so matching and scoring see only what the caller may read."""
    if isinstance(q, wq.FuzzyTerm):
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
    if q.is_leaf():
        return q
    return q.apply(lambda sub: restrict(s, sub, stats))


def _any_of(fieldname: str, words: list[bytes], boost: float) -> wq.Query:
    if not words:
        return wq.NullQuery
    terms = [wq.Term(fieldname, w.decode("utf-8")) for w in words]
    return terms[0] if len(terms) == 1 else wq.Or(terms, boost=boost)


def _vocabulary(s: Searcher, fieldname: str) -> list[tuple[int, list[str]]]:
    """Each segment's words of a field (with its document offset), remembered per segment."""
    out = []
    for leaf, offset in s.leaf_searchers():
        reader = leaf.reader()

        def make(reader: Any = reader) -> list[str]:
            return [t.decode("utf-8") for t in reader.lexicon(fieldname)]

        out.append((offset, scoring.remember_segment(reader, "lexicon", fieldname, make)))
    return out


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
    out: list[str] = []
    last = 0
    changed = False
    for m in _WORD.finditer(text):
        word, field, suffix = m.group("word"), m.group("field"), m.group("suffix") or ""
        if (
            word in _OPERATORS
            or word.isdigit()
            or len(word) < 3
            or suffix[:1] in ("*", "?")
            or (field and field[:-1] not in TEXT_FIELDS)
        ):
            continue
        better = _correct(s, word, stats)
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
