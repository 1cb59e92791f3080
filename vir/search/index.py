"""The Whoosh index: one schema, writer and searcher as context managers (after
paperless-ngx's index module), one searcher kept open and refreshed rather than reopened."""

from __future__ import annotations

import contextlib
import html
import logging
import pickle
import re
import threading
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from flask import current_app
from whoosh import highlight, index
from whoosh.analysis import STOP_WORDS
from whoosh.fields import DATETIME, ID, NUMERIC, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.lang.porter import stem as porter_stem
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, IndexWriter

from vir.search.analysis import fold, plain_analyzer, stemming_analyzer
from vir.search.codec import ArrayCodec, PackedPositions

# Whoosh's default token pattern (whoosh.analysis.tokenizers.default_pattern).
_TOKEN = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*", re.UNICODE)
log = logging.getLogger(__name__)
_last = threading.local()


def _tokens(text: str) -> list[str]:
    """Lower-cased, folded tokens of a text; the last text's are kept (per thread), because
    `content` and `exact` index the same string one after the other."""
    if getattr(_last, "text", None) is text:
        return _last.words
    # Lower-cased and folded in one pass over all tokens (the same as token by token).
    found = _TOKEN.findall(text)
    words = fold("\x00".join(found).lower()).split("\x00") if found else []
    _last.text, _last.words = text, words
    return words


# word -> its Porter stem, or "" for a word the stemmed field drops (one letter, a stop word):
# one dict lookup per token. Bounded: cleared when it grows past a rebuild's vocabulary.
_STEMS: dict[str, str] = {}
_MAX_STEMS = 500_000


def _stem_or_drop(word: str) -> str:
    if len(_STEMS) > _MAX_STEMS:
        _STEMS.clear()
    found = _STEMS[word] = "" if len(word) < 2 or word in STOP_WORDS else porter_stem(word)
    return found


def term_positions(text: str, *, stemmed: bool, start: int = 0) -> dict[str, list[int]]:
    """Each term of a text with its positions, as the stemmed (`content`) or plain (`exact`)
    analyzer gives them; what both back ends index. (A rebuild makes millions of these, so
    the loops avoid a call or a new list per token; two loops are faster than one doing
    both.)"""
    words = _tokens(text)
    positions: dict[str, list[int]] = {}
    get = positions.get
    if stemmed:
        stems = _STEMS
        pos = None
        for index_, word in enumerate(words):
            term = stems.get(word)
            if term is None:
                term = _stem_or_drop(word)
            if not term:
                continue
            # StopFilter(renumber=True): the first kept token keeps its position, the rest
            # follow it one by one.
            pos = index_ + start if pos is None else pos + 1
            found = get(term)
            if found is None:
                positions[term] = [pos]
            else:
                found.append(pos)
    else:
        for index_, word in enumerate(words, start):
            found = get(word)
            if found is None:
                positions[word] = [index_]
            else:
                found.append(index_)
    return positions


class FastText(TEXT):
    """A TEXT field indexed without Whoosh's per-token object pipeline: the same terms,
    frequencies and positions its analyzer gives (`vir.search.analysis`: folded; stemmed:
    stop words and one-letter tokens dropped, positions renumbered, Porter stems; plain: every
    token as written), computed in one loop, from one tokenisation shared by both fields.
    Queries still go through the analyzer; a test checks the two agree."""

    def __init__(self, *, stemmed: bool, **kwargs: Any) -> None:
        analyzer = stemming_analyzer() if stemmed else plain_analyzer()
        super().__init__(analyzer=analyzer, phrase=True, **kwargs)
        self.format = PackedPositions(field_boost=self.format.field_boost)
        self.stemmed = stemmed

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        positions = term_positions(value, stemmed=self.stemmed)
        encode = self.format.encode
        boost = self.format.field_boost
        for term, where in positions.items():
            yield term.encode("utf-8"), len(where), len(where) * boost, encode(where)


class _RememberedLengths:
    """A segment's per-document reader that remembers field lengths: while a segment's
    postings are written, Whoosh asks the length of the document's field for every posting,
    each time a seek and read in the column file."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._lengths: dict[tuple[int, str], int] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        key = (docnum, fieldname)
        found = self._lengths.get(key)
        if found is None:
            found = self._lengths[key] = self._reader.doc_field_length(docnum, fieldname, default)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def _remember_lengths() -> None:
    """Give Whoosh's segment writers the remembering reader (once, for this process and the
    writer processes it forks)."""
    from whoosh.writing import SegmentWriter

    if getattr(SegmentWriter, "_vir_lengths", False):
        return
    plain = SegmentWriter.per_document_reader

    def per_document_reader(self: SegmentWriter) -> Any:
        return _RememberedLengths(plain(self))

    SegmentWriter.per_document_reader = per_document_reader  # type: ignore[method-assign]
    SegmentWriter._vir_lengths = True  # type: ignore[attr-defined]


_remember_lengths()

RUN_CHUNK = 20_000


def _write_run(self: Any, f: Any, items: Any) -> None:
    # Whoosh pickles each posting with its own dump() call; a run holds millions of them.
    it = iter(items)
    while chunk := list(islice(it, RUN_CHUNK)):
        pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
    f.close()


def _read_run(self: Any, path: str) -> Iterator[Any]:
    f = self._open_run(path)
    try:
        while True:
            try:
                chunk = pickle.load(f)  # noqa: S301 - this writer's own temporary run file
            except EOFError:
                return
            yield from chunk
    finally:
        f.close()
        self._remove_run(path)


def _chunked_runs() -> None:
    """When a writer's postings outgrow its memory limit, Whoosh sorts them in runs on disk
    and merges the runs at commit, pickling and unpickling every posting one call at a time
    (a third of a large rebuild's time). The same runs, written and read in chunks."""
    from whoosh.writing import PostingPool

    PostingPool._write_run = _write_run  # type: ignore[method-assign]
    PostingPool._read_run = _read_run  # type: ignore[method-assign]


_chunked_runs()


def get_schema() -> Schema:
    return Schema(
        id=ID(unique=True, stored=True),
        # sortable: ties in score are broken by it, never by where a document sits in the index
        document_id=NUMERIC(stored=True, sortable=True),
        version=NUMERIC(stored=True),
        title=TEXT(analyzer=stemming_analyzer(), stored=True, field_boost=2.0),
        filename=TEXT(analyzer=plain_analyzer()),
        provider=ID(stored=True),
        area=ID(stored=True),
        folder=ID(stored=True),
        activity=ID,
        category=ID(stored=True),
        organisation=ID,
        uploaded_at=DATETIME(stored=True, sortable=True),
        # English stemming for most papers; `exact` keeps every word as written, with no stop
        # list, so Welsh documents are found by their own words.
        content=FastText(stemmed=True),
        exact=FastText(stemmed=False),
    )


SCHEMA = get_schema()
_lock = threading.Lock()
_searchers: dict[str, Searcher] = {}
# Documents each permission filter lets through, per open searcher: a filter depends only on
# the caller's rights, which repeat from search to search, and computing it walks every
# posting of every (provider, area) pair.
_filters: dict[tuple[int, str], Any] = {}
MAX_FILTERS = 512


def index_dir() -> Path:
    return Path(current_app.config["VIR_DATA_DIR"]) / "index"


_create_lock = threading.Lock()


# The index's name says how its postings are written: an index written another way (Whoosh's
# default name, MAIN, before PackedPositions; VIR2 before ArrayCodec; VIR3 before words were
# folded) is replaced by an empty one and rebuilt.
INDEX_NAME = "VIR4"
OLD_INDEX_NAMES = ("MAIN", "VIR2", "VIR3")
CODEC = ArrayCodec()


def open_index() -> index.Index:
    directory = index_dir()
    # The code's schema, not the one pickled in the index (the same fields and terms).
    if index.exists_in(directory, indexname=INDEX_NAME):
        return index.open_dir(directory, schema=SCHEMA, indexname=INDEX_NAME)
    with _create_lock:  # two worker threads may both find no index
        if index.exists_in(directory, indexname=INDEX_NAME):
            return index.open_dir(directory, schema=SCHEMA, indexname=INDEX_NAME)
        directory.mkdir(parents=True, exist_ok=True)
        outdated = _remove_old_indexes(directory)
        try:
            created = index.create_in(directory, SCHEMA, indexname=INDEX_NAME)
        except NameError:  # another process created it first (Whoosh's "File exists")
            return index.open_dir(directory, schema=SCHEMA, indexname=INDEX_NAME)
    if outdated:
        from vir.core.tasks import rebuild_index

        log.warning("the search index was written by an earlier VIR; rebuilding it")
        rebuild_index()
    return created


def _remove_old_indexes(directory: Path) -> bool:
    storage = FileStorage(str(directory))
    found = False
    for name in OLD_INDEX_NAMES:
        if index.exists_in(directory, indexname=name):
            found = True
            for filename in list(storage.list()):
                if filename.startswith((f"_{name}_", f"{name}_")):
                    storage.delete_file(filename)
    return found


@contextlib.contextmanager
def writer(bulk: bool = False, replace: bool = False) -> Iterator[IndexWriter]:
    """One writer at a time (Whoosh's lock, waited for); committed only on success, and the
    lock always released. ``bulk``: a rebuild, written by two processes into segments of
    their own (add_document only; the caller has deleted what it replaces). ``replace``: what
    is written becomes the whole index at commit, so searches see the old index until then
    and no segment of dead documents is left behind."""
    options: dict[str, Any] = {"procs": 2, "multisegment": True} if bulk else {}
    # Segments as separate files, not one compound file: Whoosh reads a compound segment
    # through a copy of each file it holds (BytesIO over the mapping), so every searching
    # process held the whole index in its memory (630 MB at 10,000 documents). Separate
    # files are read where they lie, through the operating system's cache, which the
    # processes of a host share.
    w = _latest(
        lambda ix: ix.writer(
            limitmb=256, timeout=60, delay=0.1, codec=CODEC, compound=False, **options
        )
    )
    try:
        yield w
    except BaseException:
        w.cancel()
        raise
    w.commit(mergetype=CLEAR) if replace else w.commit()


@contextlib.contextmanager
def searcher() -> Iterator[Searcher]:
    """The process's searcher for this index, reopened only when the index changed."""
    key = str(index_dir())
    with _lock:
        current = _searchers.get(key)
        if current is None or not current.up_to_date():
            # A fresh searcher, not refresh(): refresh() reuses segment readers and can miss
            # deletions in them after a merge (seen as duplicated, undeletable hits).
            if current is not None:
                current.close()
            _filters.clear()
            current = _latest(lambda ix: ix.searcher())
        _searchers[key] = current
        yield current


def _latest(open_: Callable[[index.Index], Any], attempts: int = 5) -> Any:
    """``open_`` (a searcher, a writer) on the latest generation. Another process's commit
    deletes the files of the generation before it, which this one may have just chosen
    (seen under load as a missing _VIR4_n.toc): the newer generation is there, so look
    again."""
    for attempt in range(attempts):
        try:
            return open_(open_index())
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            log.info("index generation replaced while opening it; opening the newer one")
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def allowed_docs(s: Searcher, allowed: Any) -> Any:
    """The set of document numbers a filter query matches, remembered for this searcher, for
    Whoosh's own matching (sloppy phrases, dates). Call inside ``searcher()``, which holds
    the lock and clears this when the index changes."""
    from whoosh.idsets import BitSet

    found = _allowed(s, allowed)
    if found[0] is None:
        found[0] = BitSet(np.flatnonzero(found[1]).tolist(), size=s.doc_count_all())
    return found[0]


def allowed_mask(s: Searcher, allowed: Any) -> np.ndarray:
    """The same set as a boolean array over the searcher's document numbers."""
    return _allowed(s, allowed)[1]


def _allowed(s: Searcher, allowed: Any) -> list[Any]:
    key = (id(s), repr(allowed))
    found = _filters.get(key)
    if found is None:
        if len(_filters) >= MAX_FILTERS:
            _filters.clear()
        found = _filters[key] = [None, filter_mask(s, allowed) & _live(s)]
    return found


def filter_mask(s: Searcher, q: Any) -> np.ndarray:
    """The documents a filter query matches, deleted ones included, as a boolean array over
    the searcher's document numbers. Terms, And, Or and NullQuery (what the permission
    filter and the facet filters are made of) from the term postings, which are remembered
    per segment, so after a commit only the new segment is read; anything else (a date
    range) through Whoosh. A search right after the worker's commit, at 1,000 documents,
    spent 19 ms of its 60 here, stepping through Whoosh's matcher one document at a time."""
    from whoosh import query as wq

    from vir.search.scoring import postings

    size = s.doc_count_all()
    if q is wq.NullQuery:
        return np.zeros(size, dtype=bool)
    if isinstance(q, wq.Term) and q.fieldname in s.schema and not s.schema[q.fieldname].scorable:
        mask = np.zeros(size, dtype=bool)
        btext = s.schema[q.fieldname].to_bytes(q.text)
        for leaf, offset in s.leaf_searchers():
            local, _ = postings(leaf.reader(), q.fieldname, btext)
            mask[local + offset] = True
        return mask
    if isinstance(q, wq.And) and q.subqueries:
        mask = filter_mask(s, q.subqueries[0])
        for sub in q.subqueries[1:]:
            mask &= filter_mask(s, sub)
        return mask
    if isinstance(q, wq.Or):
        mask = np.zeros(size, dtype=bool)
        for sub in q.subqueries:
            mask |= filter_mask(s, sub)
        return mask
    mask = np.zeros(size, dtype=bool)
    mask[np.fromiter(s.docs_for_query(q), dtype=np.int64)] = True
    return mask


def _live(s: Searcher) -> np.ndarray:
    """Documents not deleted, over the searcher's document numbers."""
    live = np.ones(s.doc_count_all(), dtype=bool)
    for leaf, offset in s.leaf_searchers():
        reader = leaf.reader()
        if reader.has_deletions():
            gone = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
            live[gone + offset] = False
    return live


def reset() -> None:
    with _lock:
        for s in _searchers.values():
            s.close()
        _searchers.clear()
        _filters.clear()
    from vir.search import scoring

    scoring.forget()


class MarkFormatter(highlight.Formatter):
    """Escaped text with matched terms in <mark>; nothing else is left unescaped."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return "<mark>" + html.escape(highlight.get_text(text, token, replace)) + "</mark>"

    def _text(self, text: str) -> str:
        return html.escape(text)
