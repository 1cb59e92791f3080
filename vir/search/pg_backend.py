"""The PostgreSQL back end: the index is a table in the production database, so every web
node and worker shares one index, and a search sees a document the moment its indexing
commits.

One ``tsvector`` per document holds every field's terms, each told apart by a one-letter
prefix (``t`` title, ``c`` content, ``e`` exact, ``f`` filename), so that one GIN index
answers a query over several fields and a phrase never runs from one field into another. The
terms are made in Python by the same analysis as the Whoosh back end
(`vir.search.index.term_positions`), not by PostgreSQL's text search configurations, and a
query parsed by `vir.search.queries.parse` is translated here into a ``tsquery`` (and SQL for
field filters and dates): the same words match the same documents on either back end.

The permission filter is a join, made at query time, on what `vir.access` lets the caller read
now (the rooms and areas of the `Scope`) and on documents not in the trash. Scores come from
``ts_rank``, which reads only the document it scores, so no hidden document changes anyone's
scores; the words a fuzzy~ word or wild?card stands for come from `SearchWord`, and "did you
mean" offers a word only when a readable document holds it.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import heapq
import logging
import math
import multiprocessing
import operator
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC
from itertools import islice
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from rapidfuzz.distance import Levenshtein
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    delete,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased
from whoosh import query as wq
from whoosh.lang.porter import stem

from vir.core.db import db, utcnow
from vir.documents.models import Document
from vir.orgs.models import Organisation
from vir.rooms.models import Folder, Room
from vir.search import vocabulary
from vir.search.analysis import fold, stemming_analyzer, variants
from vir.search.backend import FACETS, Change, Filters, Found, Scope
from vir.search.index import term_positions
from vir.search.models import SearchEntry, SearchWord

log = logging.getLogger(__name__)

PREFIX = {"title": "t", "content": "c", "exact": "e", "filename": "f"}
STEMMED = ("title", "content")
# tsvector limits: positions 1..16383, 256 positions a lexeme, 1 MB of lexemes
MAX_POSITION = 16383
MAX_POSITIONS = 256
MAX_LEXEME_BYTES = 900_000
# ts_rank's weights for D, C, B, A: content and exact words D, filename C, title A (twice a
# content word, as the Whoosh back end's title boost)
RANK_WEIGHTS = "{0.1, 0.1, 0.1, 0.2}"
FIELD_WEIGHT = {"title": "A", "filename": "C", "content": "", "exact": ""}
# Scores are ts_rank, which decompresses each matching document's vector to score it: for a
# word in thousands of documents that was most of the search. So a search matching more than
# FULL_RANK_LIMIT readable documents is scored from a small vector kept beside (inline in the
# row, not TOASTed): the title's terms and the content's RANK_TERMS most frequent, with their
# first RANK_POSITIONS positions (ts_rank weighs a word's n-th position by 1/n², so later ones
# add little). A word that common is among a document's most frequent where it matters; a
# document where it is not scores 0 and comes after those where it is. Fewer matches are
# scored from the whole vector.
RANK_TERMS = 60
RANK_POSITIONS = 4
FULL_RANK_LIMIT = 200
BATCH = 200
# Words a fuzzy~ word or "did you mean" compares exactly, the most similar first: the
# trigram index finds them, the distance is counted in Python.
MAX_NEAR_CANDIDATES = 2000
SUGGEST_COUNT_CAP = 1000


# --- indexing ------------------------------------------------------------------------------


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def vector(fields: dict[str, Any]) -> tuple[str, str, set[str]]:
    """The tsvector literals of a document's fields (all its terms; and the title's and
    content's with their first positions, which is what scores are computed from), and its
    plain words (for `SearchWord`). Written for speed: a rebuild makes a million lexemes per
    thousand documents."""
    title = fields.get("title") or ""
    filename = fields.get("filename") or ""
    content = fields.get("content") or ""
    per_field = {
        "title": _analysed(title, stemmed=True),
        "filename": term_positions(filename, stemmed=False, start=1),
        "content": term_positions(content, stemmed=True, start=1),
        "exact": term_positions(content, stemmed=False, start=1),
    }
    words = set(per_field["exact"]) | set(term_positions(title, stemmed=False))
    words |= set(per_field["filename"])
    parts: list[str] = []
    budget = MAX_LEXEME_BYTES
    for name in ("title", "filename", "content", "exact"):
        budget = _entries(parts, PREFIX[name], FIELD_WEIGHT[name], per_field[name], budget)
        if budget < 0:
            break
    ranked = [
        _rank_entry(PREFIX["title"], term, where, FIELD_WEIGHT["title"])
        for term, where in per_field["title"].items()
    ]
    frequent = heapq.nlargest(RANK_TERMS, per_field["content"].items(), key=_count)
    ranked += [_rank_entry(PREFIX["content"], term, where, "") for term, where in frequent]
    return " ".join(parts), " ".join(ranked), words


_POSITION = [str(p) for p in range(MAX_POSITION + 1)]
_last_position = operator.itemgetter(-1)


def _count(term_where: tuple[str, list[int]]) -> int:
    return len(term_where[1])


def _entries(
    parts: list[str], mark: str, weight: str, positions: dict[str, list[int]], budget: int
) -> int:
    """Append one field's tsvector entries to ``parts``; the lexeme budget left after them."""
    if not positions:
        return budget
    terms = positions.keys()
    cost = sum(map(len, terms)) + 4 * len(positions)
    joined = "".join(terms)
    if (
        not weight
        and cost <= budget
        and "'" not in joined
        and "\\" not in joined
        and max(map(_last_position, positions.values())) <= MAX_POSITION
    ):
        # The usual case, in one comprehension: nothing to quote or clamp. A word used more
        # than MAX_POSITIONS times keeps its first ones, as PostgreSQL would (common words
        # in long documents: most of a Zipf corpus's large texts have one).
        text_of = _POSITION.__getitem__
        parts += [
            f"'{mark}{term}':"
            + ",".join(
                map(text_of, where if len(where) <= MAX_POSITIONS else where[:MAX_POSITIONS])
            )
            for term, where in positions.items()
        ]
        return budget - cost
    return _careful_entries(parts, mark, weight, positions, budget)


def _careful_entries(
    parts: list[str], mark: str, weight: str, positions: dict[str, list[int]], budget: int
) -> int:
    """`_entries` term by term: quoted, cut to PostgreSQL's limits, weighted."""
    for term, where in positions.items():
        budget -= len(term) + 4
        if budget < 0:  # a huge text: its first terms (by first appearance) are kept
            return budget
        # positions come in order, each once; past the last PostgreSQL keeps, it keeps the last
        if len(where) > MAX_POSITIONS:
            where = where[:MAX_POSITIONS]
        if where[-1] > MAX_POSITION:
            where = sorted({min(p, MAX_POSITION) for p in where})
        lexeme = _quote(mark + term) if ("'" in term or "\\" in term) else f"'{mark}{term}'"
        if weight:
            parts.append(f"{lexeme}:" + ",".join(f"{p}{weight}" for p in where))
        else:
            parts.append(f"{lexeme}:" + ",".join(map(str, where)))
    return budget


def _rank_entry(mark: str, term: str, where: list[int], weight: str) -> str:
    lexeme = _quote(mark + term) if ("'" in term or "\\" in term) else f"'{mark}{term}'"
    positions = sorted({min(p, MAX_POSITION) for p in where[:RANK_POSITIONS]})
    return f"{lexeme}:" + ",".join(f"{p}{weight}" for p in positions)


def _analysed(value: str, *, stemmed: bool) -> dict[str, list[int]]:
    """Terms and positions of a short field through its Whoosh analyzer (a title's are the
    same as `term_positions` gives, which is for long text)."""
    positions: dict[str, list[int]] = {}
    for token in stemming_analyzer()(value, positions=True):
        positions.setdefault(token.text, []).append(token.pos + 1)
    return positions


def _batches(items: Iterable[Change]) -> Iterator[list[Change]]:
    it = iter(items)
    while batch := list(islice(it, BATCH)):
        yield batch


# --- query translation ------------------------------------------------------------------------


class Untranslatable(ValueError):
    pass


@dataclass
class _TS:
    """A part of a query that is a tsquery."""

    tsquery: str


@dataclass
class _SQL:
    """A part that needs SQL (field filters, dates, or a mix of them with words)."""

    clause: ColumnElement[bool]


Part = _TS | _SQL


def _clause(part: Part) -> ColumnElement[bool]:
    if isinstance(part, _SQL):
        return part.clause
    return SearchEntry.terms.op("@@")(cast(literal(part.tsquery), TSQUERY))


class Translator:
    """A parsed query as SQL over `SearchEntry` joined to its document, folder and provider.
    ``words``: the terms matched, for snippets; ``ranked``: the tsquery scores are taken
    from (the words the query looks for, without its field filters)."""

    def __init__(self, held: Callable[[list[str]], list[str]] | None = None) -> None:
        self.words: list[str] = []
        self.ranked: list[str] = []
        self.required: str | None = None
        # The lexemes of a list that a readable document holds: what a pattern may stand
        # for (a hidden word in the tsquery would change ts_rank's scores, an oracle).
        self.held = held or (lambda lexemes: lexemes)

    def where(self, q: wq.Query) -> ColumnElement[bool]:
        """The condition on the joined rows; when the whole query is words (a tsquery), that
        is in ``required`` instead, for `PostgresBackend._matching`, and this is true."""
        part = self.part(q)
        if isinstance(part, _TS):
            self.ranked.append(part.tsquery)
            self.required = part.tsquery
            return true()
        return _clause(part)

    def rank_query(self) -> str | None:
        return " | ".join(f"({t})" for t in self.ranked) if self.ranked else None

    def part(self, q: wq.Query) -> Part:
        if q is wq.NullQuery:
            return _SQL(false())
        if isinstance(q, wq.Every):
            return _SQL(true())
        if isinstance(q, wq.FuzzyTerm):
            return self._fuzzy(q)
        if isinstance(q, wq.Prefix) and q.fieldname in PREFIX:
            return _TS(_quote(PREFIX[q.fieldname] + fold(q.text.lower())) + ":*")
        if isinstance(q, wq.Wildcard) and q.fieldname in PREFIX:
            return self._wildcard(q)
        if isinstance(q, wq.Term):
            return self._term(q)
        if isinstance(q, wq.Phrase):
            return self._phrase(q)
        if isinstance(q, (wq.DateRange, wq.NumericRange, wq.TermRange)):
            return _SQL(self._range(q))
        if isinstance(q, wq.Not):
            inner = self.part(q.query)
            if isinstance(inner, _TS):
                return _TS(f"!({inner.tsquery})")
            return _SQL(not_(inner.clause))
        if isinstance(q, wq.AndNot):
            return self._combine([self.part(q.a), self.part(wq.Not(q.b))], "&")
        if isinstance(q, wq.AndMaybe):
            return self.part(q.a)
        if isinstance(q, wq.And):
            return self._combine([self.part(s) for s in q.subqueries], "&")
        if isinstance(q, wq.Or):
            return self._combine([self.part(s) for s in q.subqueries], "|")
        raise Untranslatable(type(q).__name__)

    def _combine(self, parts: list[Part], op: str) -> Part:
        if not parts:
            return _SQL(true() if op == "&" else false())
        if all(isinstance(p, _TS) for p in parts):
            return _TS(f" {op} ".join(f"({p.tsquery})" for p in parts))  # type: ignore[union-attr]
        words = [p.tsquery for p in parts if isinstance(p, _TS)]
        clauses = [p.clause for p in parts if isinstance(p, _SQL)]
        if words:
            # the words in one tsquery, so one index scan answers them
            clauses.insert(0, _clause(_TS(f" {op} ".join(f"({w})" for w in words))))
            self.ranked.extend(words)
        return _SQL(and_(*clauses) if op == "&" else or_(*clauses))

    def _term(self, q: wq.Term) -> Part:
        value = str(q.text)
        if q.fieldname in PREFIX:
            self.words.append(value)
            return _TS(_quote(PREFIX[q.fieldname] + value))
        column = _FIELD_COLUMNS.get(q.fieldname)
        if column is None:
            return _SQL(false())
        return _SQL(column() == value)

    def _phrase(self, q: wq.Phrase) -> Part:
        if q.fieldname not in PREFIX or not q.words:
            return _SQL(false())
        self.words.extend(q.words)
        lexemes = [_quote(PREFIX[q.fieldname] + w) for w in q.words]
        if len(lexemes) == 1:
            return _TS(lexemes[0])
        if q.slop <= 1:
            return _TS(" <-> ".join(lexemes))
        if len(lexemes) == 2:
            # "a b"~N: b one to N words after a
            a, b = lexemes
            return _TS(" | ".join(f"({a} <{n}> {b})" for n in range(1, q.slop + 1)))
        # longer sloppy phrases: every word (PostgreSQL's <N> is an exact distance)
        return _TS(" & ".join(lexemes))

    def _range(self, q: Any) -> ColumnElement[bool]:
        column = (
            SearchEntry.uploaded_at
            if q.fieldname == "uploaded_at"
            else _NUMERIC_COLUMNS.get(q.fieldname, lambda: None)()
        )
        if column is None:
            raise Untranslatable(q.fieldname)
        start, end = q.start, q.end
        if isinstance(q, wq.DateRange):
            # the query parser's dates are naive; the index's (as Whoosh's) are UTC
            start, end = (
                d.replace(tzinfo=UTC) if d is not None and d.tzinfo is None else d
                for d in (q.startdate, q.enddate)
            )
        conditions = []
        if start is not None:
            conditions.append(column > start if q.startexcl else column >= start)
        if end is not None:
            conditions.append(column < end if q.endexcl else column <= end)
        return and_(true(), *conditions)

    def _wildcard(self, q: wq.Wildcard) -> Part:
        if q.fieldname in STEMMED:
            return _SQL(false())  # the same words, unstemmed, are in exact
        pattern = (
            fold(q.text.lower())
            .replace("\\", "\\\\")
            .replace("%", "\\%")
            .replace("_", "\\_")
            .replace("*", "%")
            .replace("?", "_")
        )
        words = db.session.scalars(
            select(SearchWord.word)
            .where(SearchWord.word.like(pattern, escape="\\"))
            .order_by(SearchWord.word)
            .limit(vocabulary.MAX_EXPANSIONS)
        ).all()
        return self._any(q.fieldname, list(words))

    def _fuzzy(self, q: wq.FuzzyTerm) -> Part:
        if q.fieldname not in vocabulary.FUZZY_FIELDS:
            return _SQL(false())  # "exact" holds the same words, unstemmed
        found = near_words(
            fold(str(q.text).lower()),
            min(int(q.maxdist), vocabulary.MAX_FUZZY),
            q.prefixlength,
        )
        words = [w for w, _d in found]
        if q.fieldname == "title":
            words = sorted({stem(w) for w in words})
        return self._any(q.fieldname, words)

    def _any(self, fieldname: str, words: list[str]) -> Part:
        mark = PREFIX[fieldname]
        lexemes = self.held([mark + w for w in words])
        if not lexemes:
            return _SQL(false())
        self.words.extend(lexeme[len(mark) :] for lexeme in lexemes)
        return _TS(" | ".join(_quote(lexeme) for lexeme in lexemes))


_FIELD_COLUMNS: dict[str, Any] = {
    "provider": lambda: Organisation.slug,
    "area": lambda: Folder.area,
    "category": lambda: Document.category,
    "folder": lambda: cast(Folder.id, db.String),
    "activity": lambda: SearchEntry.activity,
    "organisation": lambda: SearchEntry.organisation,
    "id": lambda: cast(SearchEntry.document_id, db.String),
    "document_id": lambda: cast(SearchEntry.document_id, db.String),
    "version": lambda: cast(SearchEntry.version, db.String),
}
_NUMERIC_COLUMNS: dict[str, Any] = {
    "document_id": lambda: SearchEntry.document_id,
    "version": lambda: SearchEntry.version,
}


def near_words(word: str, maxdist: int, prefix: int = 0) -> list[tuple[str, int]]:
    """Indexed words within ``maxdist`` edits of ``word``, nearest first (candidates from the
    trigram index, distances from rapidfuzz). Whether a readable document holds one is for
    the caller to check."""
    # Two edits in a short word leave few trigrams in common: a low threshold, then the
    # exact distance.
    db.session.execute(text("SET LOCAL pg_trgm.similarity_threshold = 0.2"))
    candidates = db.session.scalars(
        select(SearchWord.word)
        .where(
            SearchWord.word.op("%")(word),
            func.length(SearchWord.word).between(len(word) - maxdist, len(word) + maxdist),
        )
        .order_by(func.similarity(SearchWord.word, word).desc())
        .limit(MAX_NEAR_CANDIDATES)
    ).all()
    found = []
    for candidate in candidates:
        if candidate[:prefix] != word[:prefix]:
            continue
        distance = Levenshtein.distance(word, candidate, score_cutoff=maxdist)
        if distance <= maxdist:
            found.append((candidate, distance))
    found.sort(key=lambda wd: (wd[1], wd[0]))
    return found[: vocabulary.MAX_EXPANSIONS]


_UPSERT = text(
    "INSERT INTO search_entries (document_id, version, uploaded_at, activity, organisation, "
    "terms, rank_terms, indexed_at) VALUES (:document_id, :version, :uploaded_at, :activity, "
    ":organisation, CAST(:terms AS tsvector), CAST(:rank_terms AS tsvector), :indexed_at) "
    "ON CONFLICT (document_id) DO UPDATE SET version = excluded.version, "
    "uploaded_at = excluded.uploaded_at, activity = excluded.activity, "
    "organisation = excluded.organisation, terms = excluded.terms, "
    "rank_terms = excluded.rank_terms, indexed_at = excluded.indexed_at"
)


# A rebuild's transaction only. GIN adds new entries to a pending list and merges it into the
# index when it passes gin_pending_list_limit, sorting what fits in work_mem at a time; at the
# defaults (4 MB each) that merge was most of PostgreSQL's side of a rebuild. With these, 5,000
# documents' entries were written in 8 s rather than 13 (searches meanwhile read a pending
# list of up to 32 MB).
_BULK_SETTINGS = "SET LOCAL work_mem = '128MB'; SET LOCAL gin_pending_list_limit = '32MB'"


# Processes that make a rebuild's terms beside this one (which loads the documents and hands
# PostgreSQL its rows): making terms is Python, about 3 ms a document, and was half of a
# rebuild. Started from the second batch, so a rebuild of a few documents starts none.
VECTOR_PROCESSES = 2


def _vectors(texts: list[tuple[str, str, str]]) -> list[tuple[str, str, set[str]]]:
    """`vector` of (title, filename, content) triples: what a worker process is sent."""
    return [vector({"title": t, "filename": f, "content": c}) for t, f, c in texts]


class _Vectors:
    """Each batch of changes with the vectors of its documents to add, in order: made here,
    or (``parallel``, past the first batch) by worker processes, a batch ahead."""

    def __init__(self, *, parallel: bool) -> None:
        self._parallel = parallel and VECTOR_PROCESSES > 0
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> _Vectors:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def of(
        self, batches: Iterable[list[Change]]
    ) -> Iterator[tuple[list[Change], list[tuple[str, str, set[str]]]]]:
        ahead: collections.deque[Any] = collections.deque()
        for n, batch in enumerate(batches):
            texts = [
                (f.get("title") or "", f.get("filename") or "", f.get("content") or "")
                for kind, f in batch
                if kind == "add"
            ]
            if n == 0 or not self._parallel:
                yield batch, _vectors(texts)
                continue
            if self._pool is None:
                # spawned, not forked: this process has threads and database connections
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    VECTOR_PROCESSES, mp_context=multiprocessing.get_context("spawn")
                )
            step = -(-len(texts) // VECTOR_PROCESSES) or 1
            parts = [texts[i : i + step] for i in range(0, len(texts), step)]
            ahead.append((batch, texts, [self._pool.submit(_vectors, part) for part in parts]))
            if len(ahead) > 1:
                yield self._done(*ahead.popleft())
        while ahead:
            yield self._done(*ahead.popleft())

    def _done(
        self, batch: list[Change], texts: list[tuple[str, str, str]], futures: list[Any]
    ) -> tuple[list[Change], list[tuple[str, str, set[str]]]]:
        try:
            return batch, [made for future in futures for made in future.result()]
        except BrokenProcessPool:
            # a worker died (killed, out of memory): this process makes the rest itself
            log.warning("search indexing processes stopped; indexing in this one")
            self._parallel = False
            return batch, _vectors(texts)


def _clean_pending_list(conn: Any) -> None:
    """What is left in the GIN pending list goes into the index now, not on each search that
    reads it. Only the index's owner may: a database user that is not leaves it to
    autovacuum."""
    try:
        with conn.begin_nested():
            conn.execute(text("SELECT gin_clean_pending_list('ix_search_entries_terms')"))
    except DBAPIError as exc:
        log.warning("search index: pending entries left to autovacuum (%s)", exc.orig)


class _Pipeline:
    """Statements run in order on one thread beside the caller's; the first failure is
    raised to the caller when the block ends (and later statements are not run)."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=2)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._failure is None:
                try:
                    job()
                except BaseException as exc:  # handed to the caller in __exit__
                    self._failure = exc

    def put(self, job: Callable[[], None]) -> None:
        if self._failure is not None:
            raise self._failure
        self._jobs.put(job)

    def __enter__(self) -> _Pipeline:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._jobs.put(None)
        self._thread.join()
        if self._failure is not None and exc[0] is None:
            raise self._failure


@contextlib.contextmanager
def _through_the_index() -> Iterator[None]:
    """Statements inside run with sequential scans off, so PostgreSQL takes the GIN index (a
    bitmap scan), and with random reads costed as what they are here, the index and tables
    in memory. The planner counts a document's tsvector as free to read, but it is TOASTed
    and costs a decompression per row: at 10,000 documents it chose to read every one
    (220 ms) rather than the index (4 ms). And at the default random_page_cost it joined 243
    matches to the documents by hashing all 25,000 readable ones (23 ms, not 3). Only for
    this block of the transaction."""
    db.session.execute(text("SET LOCAL enable_seqscan = off; SET LOCAL random_page_cost = 1.1"))
    try:
        yield
    finally:
        db.session.execute(
            text("SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL random_page_cost TO DEFAULT")
        )


# --- the back end -------------------------------------------------------------------------------


class PostgresBackend:
    name = "postgres"

    @property
    def _known_words(self) -> set[str]:
        """Words this process has seen in `SearchWord` (per app: a test's database, or a
        restored one, starts afresh)."""
        return current_app.extensions.setdefault("vir_search_words", set())

    # writing

    def write(
        self,
        changes: Iterable[Change],
        *,
        bulk: bool = False,
        replace: bool = False,
        provider: str | None = None,
    ) -> None:
        """In a transaction of its own: searches go on seeing the old entries until it
        commits, a rebuild included (no moment where search finds nothing)."""
        written: list[int] = []
        many = bulk or replace or bool(provider)
        with db.engine.begin() as conn:
            if many:
                conn.execute(text(_BULK_SETTINGS))
            if replace:
                conn.execute(delete(SearchEntry))
                conn.execute(delete(SearchWord))
                self._known_words.clear()
            # PostgreSQL parses and indexes one batch while Python makes the next one's terms
            # (a rebuild is half of each), so statements go to a thread of their own.
            known = self._known_words  # the thread has no application context
            with _Pipeline() as pipeline, _Vectors(parallel=many) as vectors:
                for batch, made in vectors.of(_batches(changes)):
                    gone = [value for kind, value in batch if kind == "delete"]
                    rows = []
                    words: set[str] = set()
                    adds = [fields for kind, fields in batch if kind == "add"]
                    for fields, (terms, rank_terms, found) in zip(adds, made, strict=True):
                        words |= found
                        rows.append(
                            {
                                "document_id": fields["document_id"],
                                "version": fields["version"],
                                "uploaded_at": fields["uploaded_at"],
                                "activity": fields["activity"] or "",
                                "organisation": fields["organisation"] or "",
                                "terms": terms,
                                "rank_terms": rank_terms,
                                "indexed_at": utcnow(),
                            }
                        )
                        written.append(fields["document_id"])
                    pipeline.put(lambda g=gone, r=rows, w=words: self._apply(conn, g, r, w, known))
            if provider:
                # the provider's entries not written now belong to documents no longer there
                stale = (
                    select(Document.id)
                    .join(Folder, Document.folder_id == Folder.id)
                    .join(Room, Folder.room_id == Room.id)
                    .join(Organisation, Room.provider_id == Organisation.id)
                    .where(Organisation.slug == provider)
                )
                conn.execute(
                    delete(SearchEntry).where(
                        SearchEntry.document_id.in_(stale),
                        SearchEntry.document_id.not_in(written or [-1]),
                    )
                )
            if many:
                _clean_pending_list(conn)
        if replace:
            # The planner's statistics, for a table that was just written anew (autovacuum
            # would get to it later): without them it joins in an order that reads every
            # readable document's vector.
            # The same for the words: without them "did you mean" at 50,000 documents took
            # 100 ms rather than 65.
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE search_entries"))
                conn.execute(text("ANALYZE search_words"))

    @staticmethod
    def _apply(
        conn: Any, gone: list[int], rows: list[dict], words: set[str], known: set[str]
    ) -> None:
        if gone:
            conn.execute(delete(SearchEntry).where(SearchEntry.document_id.in_(gone)))
        if rows:
            conn.execute(_UPSERT, rows)
        new = sorted(w for w in words - known if len(w) <= 200)
        if not new:
            return
        conn.execute(
            text(
                "INSERT INTO search_words (word) SELECT unnest(CAST(:words AS text[])) "
                "ON CONFLICT DO NOTHING"
            ),
            {"words": new},
        )
        if len(known) > 2_000_000:  # a worker's memory, not a cache of everything
            known.clear()
        known.update(new)

    # reading

    def _readable(self, scope: Scope, filters: Filters | None = None) -> Select[Any]:
        """Entries of documents the caller may read now: the permission filter, a join."""
        stmt = (
            select()
            .select_from(SearchEntry)
            .join(Document, Document.id == SearchEntry.document_id)
            .join(Folder, Folder.id == Document.folder_id)
            .join(Room, Room.id == Folder.room_id)
            .join(Organisation, Organisation.id == Room.provider_id)
            .where(
                Document.deleted_at.is_(None),
                tuple_(Folder.room_id, Folder.area).in_(
                    sorted({(room, area) for room, _provider, area in scope.areas})
                ),
            )
        )
        if filters is not None:
            if filters.provider:
                stmt = stmt.where(Organisation.slug == filters.provider)
            if filters.area:
                stmt = stmt.where(Folder.area == filters.area)
            if filters.category:
                stmt = stmt.where(Document.category == filters.category)
            if filters.since:
                stmt = stmt.where(SearchEntry.uploaded_at >= filters.since)
            if filters.until:
                stmt = stmt.where(SearchEntry.uploaded_at < filters.until)
        return stmt

    def search(
        self, text: str, query: Any, scope: Scope, filters: Filters, **options: Any
    ) -> Found:
        with _through_the_index():
            return self._search(text, query, scope, filters, **options)

    def similar(
        self, document_id: int, words: dict[str, int], scope: Scope, limit: int
    ) -> list[tuple[int, float]]:
        with _through_the_index():
            return self._similar(document_id, words, scope, limit)

    def _search(
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

        translator = Translator(held=lambda lexemes: self._held(scope, lexemes))
        try:
            where = translator.where(query.normalize())
        except Untranslatable as exc:
            raise SearchError(
                _("The search could not be understood. Check quotes and brackets.")
            ) from exc
        base = self._matching(scope, filters, translator.required).where(where)
        found = Found(words=translator.words)
        # The page, the total and the facets in one statement: the matches are found, joined
        # and scored once, not once to count them and again to rank them.
        found.page, found.total, rows = self._page(base, translator, sort, start, limit, facets)
        if facets:
            counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
            for slug, area, category, n in rows:
                for name, value in zip(FACETS, (slug, area, category), strict=True):
                    if value:
                        counts[name][value] = counts[name].get(value, 0) + n
            found.facets = counts
        if not found.total:
            found.suggestion = self._suggest(text, scope, filters)
        return found

    @staticmethod
    def _page(
        base: Select[Any],
        translator: Translator,
        sort: str,
        start: int,
        limit: int,
        facets: bool,
    ) -> tuple[list[tuple[int, float]], int, list[tuple[str, str, str, int]]]:
        """One page of readable matches, best (or newest) first; how many there are; and,
        with ``facets``, how many per provider, area and category.

        The matches, each scored from its small vector, are materialized once; when there
        are no more than FULL_RANK_LIMIT of them, each is scored again from its whole vector
        (a sub-select that CASE runs only then). Facet counts come back as rows of their own
        after the page's (``kind`` 1)."""
        ranked = translator.rank_query()
        weights = literal_column(f"'{RANK_WEIGHTS}'::real[]")
        tsquery = cast(literal(ranked), TSQUERY) if ranked else None
        hits = (
            base.add_columns(
                SearchEntry.document_id,
                SearchEntry.uploaded_at,
                (
                    func.ts_rank(weights, SearchEntry.rank_terms, tsquery)
                    if tsquery is not None
                    else literal(0.0)
                ).label("small"),
                Organisation.slug,
                Folder.area,
                Document.category,
            )
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        total = select(func.count()).select_from(hits).scalar_subquery()
        if tsquery is not None:
            whole = aliased(SearchEntry)
            score: ColumnElement[Any] = case(
                (total > FULL_RANK_LIMIT, hits.c.small),
                else_=select(func.ts_rank(weights, whole.terms, tsquery))
                .where(whole.document_id == hits.c.document_id)
                .scalar_subquery(),
            )
        else:
            score = hits.c.small
        order = (
            [hits.c.uploaded_at.desc(), hits.c.document_id]
            if sort == "date"
            else [score.desc(), hits.c.document_id]
        )
        page = (
            select(
                literal(0).label("kind"),
                hits.c.document_id,
                score.label("score"),
                total.label("n"),
                cast(None, Text).label("slug"),
                cast(None, Text).label("area"),
                cast(None, Text).label("category"),
            )
            .order_by(*order)
            .offset(start)
            .limit(limit)
        )
        stmt: Any = page
        if facets:
            stmt = select(page.subquery()).union_all(
                select(
                    literal(1),
                    literal(None),
                    literal(None),
                    func.count(),
                    hits.c.slug,
                    hits.c.area,
                    hits.c.category,
                ).group_by(hits.c.slug, hits.c.area, hits.c.category)
            )
        found, counts, n = [], [], None
        for kind, document_id, s, count, slug, area, category in db.session.execute(stmt):
            if kind == 0:
                found.append((int(document_id), float(s)))
                n = int(count)
            else:
                counts.append((slug, area, category, int(count)))
        if n is None:  # past the last page (or nothing at all): the count alone
            n = sum(c for *_, c in counts) if facets else 0
            if start and not facets:
                n = db.session.scalar(select(total)) or 0
        return found, n, counts

    def _held(self, scope: Scope, lexemes: list[str]) -> list[str]:
        """The lexemes that some readable document holds, in their order."""
        if not lexemes:
            return []
        candidate = (
            text("SELECT q, n FROM unnest(CAST(:queries AS tsquery[])) WITH ORDINALITY AS c(q, n)")
            .bindparams(bindparam("queries", [_quote(x) for x in lexemes], ARRAY(Text)))
            .columns(column("q", TSQUERY), column("n", Integer))
            .subquery("candidate")
        )
        held = (
            self._readable(scope)
            .where(SearchEntry.terms.op("@@")(candidate.c.q))
            .add_columns(literal(1))
            .exists()
        )
        found = set(db.session.scalars(select(candidate.c.n).where(held)))
        return [lexeme for n, lexeme in enumerate(lexemes, 1) if n in found]

    def _matching(self, scope: Scope, filters: Filters | None, tsquery: str | None) -> Select[Any]:
        """Readable entries matching a tsquery, which is matched first and alone, in the GIN
        index: joined to the documents, the planner would rather test it row by row on each
        readable document (decompressing its vector: 150 ms at 10,000 documents)."""
        stmt = self._readable(scope, filters)
        if tsquery is None:
            return stmt
        matched = (
            select(SearchEntry.document_id)
            .where(_clause(_TS(tsquery)))
            .cte("matched")
            .prefix_with("MATERIALIZED")
        )
        return stmt.join(matched, matched.c.document_id == SearchEntry.document_id)

    def _holds(
        self, scope: Scope, tsquery: str, filters: Filters | None = None, cap: int | None = None
    ) -> int:
        """How many readable documents match a tsquery (counted up to ``cap``: a common word
        costs a join for each of its thousands of documents, and "is there one" or "which
        of these is used more" needs far fewer)."""
        matching = self._matching(scope, filters, tsquery).add_columns(literal(1))
        if cap is not None:
            matching = matching.limit(cap)
        return db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0

    def _suggest(self, text_: str, scope: Scope, filters: Filters) -> str | None:
        """ "Did you mean": each word no readable document holds replaced by the nearest one
        that a readable document does, offered only if the corrected search finds something
        readable (the Whoosh back end's rule, `vir.search.vocabulary.suggest`)."""
        from vir.search.queries import SearchError, parse

        def correct(word: str) -> str | None:
            key = fold(word.lower())
            if self._holds(scope, " | ".join(_quote("e" + v) for v in variants(key)), cap=1):
                return None  # found as it is (or as a mutated form of it)
            return self._nearest_readable(key, scope)

        corrected = vocabulary.corrected(text_, correct)
        if corrected is None:
            return None
        translator = Translator()
        try:
            where = translator.where(parse(corrected).normalize())
        except (SearchError, Untranslatable):
            return None
        found = db.session.scalar(
            self._matching(scope, filters, translator.required)
            .where(where)
            .add_columns(literal(1))
            .limit(1)
        )
        return corrected if found else None

    def _nearest_readable(self, word: str, scope: Scope) -> str | None:
        near = near_words(word, 1 if len(word) <= 4 else 2)
        if not near:
            return None
        best: tuple[int, int, str] | None = None
        for candidate, distance in near[:20]:
            if best is not None and distance > best[0]:
                break  # nearest first; among the nearest, the most used
            # among the nearest, the most used: told apart up to SUGGEST_COUNT_CAP uses
            n = self._holds(scope, _quote("e" + candidate), cap=SUGGEST_COUNT_CAP)
            if n and (best is None or (distance, -n, candidate) < best):
                best = (distance, -n, candidate)
        return best[2] if best else None

    def _similar(
        self, document_id: int, words: dict[str, int], scope: Scope, limit: int
    ) -> list[tuple[int, float]]:
        from vir.search.queries import MORE_LIKE_TERMS

        readable = self._readable(scope)
        if not db.session.scalar(
            readable.where(SearchEntry.document_id == document_id).add_columns(func.count())
        ):
            return []
        # Frequent in it first; then rare among readable documents.
        frequent = sorted(words.items(), key=lambda wn: (-wn[1], wn[0]))[: MORE_LIKE_TERMS * 2]
        n_readable = db.session.scalar(readable.add_columns(func.count())) or 1
        telling = []
        for word, n in frequent:
            df = self._holds(scope, _quote("c" + word))
            if df > 1:  # held by another readable document
                telling.append((n * (1 + math.log(max(n_readable / (df + 1), 1.0))), word))
        telling = sorted(telling, reverse=True)[:MORE_LIKE_TERMS]
        if not telling:
            return []
        tsquery = " | ".join(_quote("c" + w) for _, w in telling)
        score = func.ts_rank(SearchEntry.rank_terms, cast(literal(tsquery), TSQUERY))
        return [
            (int(i), float(s))
            for i, s in db.session.execute(
                self._matching(scope, None, tsquery)
                .where(SearchEntry.document_id != document_id)
                .add_columns(SearchEntry.document_id, score)
                .order_by(score.desc(), SearchEntry.document_id)
                .limit(limit)
            )
        ]

    def indexed(self) -> dict[int, int]:
        return dict(db.session.execute(select(SearchEntry.document_id, SearchEntry.version)).all())

    def describe(self) -> str:
        n = db.session.scalar(select(func.count()).select_from(SearchEntry))
        return f"{n} documents indexed in PostgreSQL"

    def reset(self) -> None:
        current_app.extensions.pop("vir_search_words", None)

    def warm(self) -> None:
        """Nothing: what a search reads is PostgreSQL's, shared by every process."""
