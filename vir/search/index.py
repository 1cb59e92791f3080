"""The Whoosh index: one schema, writer and searcher as context managers (after
paperless-ngx's index module), one searcher kept open and refreshed rather than reopened."""

from __future__ import annotations

import contextlib
import html
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import current_app
from whoosh import highlight, index
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, NUMERIC, TEXT, Schema
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter


def get_schema() -> Schema:
    return Schema(
        id=ID(unique=True, stored=True),
        document_id=NUMERIC(stored=True),
        version=NUMERIC(stored=True),
        title=TEXT(analyzer=StemmingAnalyzer(), stored=True, field_boost=2.0),
        filename=TEXT(analyzer=StandardAnalyzer(stoplist=None)),
        provider=ID(stored=True),
        area=ID(stored=True),
        folder=ID(stored=True),
        activity=ID,
        category=ID(stored=True),
        organisation=ID,
        uploaded_at=DATETIME(stored=True, sortable=True),
        # English stemming for most papers; `exact` keeps every word as written, with no stop
        # list, so Welsh documents are found by their own words.
        content=TEXT(analyzer=StemmingAnalyzer(), phrase=True),
        exact=TEXT(analyzer=StandardAnalyzer(stoplist=None), phrase=True),
    )


SCHEMA = get_schema()
_lock = threading.Lock()
_searchers: dict[str, Searcher] = {}


def index_dir() -> Path:
    return Path(current_app.config["VIR_DATA_DIR"]) / "index"


_create_lock = threading.Lock()


def open_index() -> index.Index:
    directory = index_dir()
    if index.exists_in(directory):
        return index.open_dir(directory)
    with _create_lock:  # two worker threads may both find no index
        if index.exists_in(directory):
            return index.open_dir(directory)
        directory.mkdir(parents=True, exist_ok=True)
        try:
            return index.create_in(directory, SCHEMA)
        except NameError:  # another process created it first (Whoosh's "File exists")
            return index.open_dir(directory)


@contextlib.contextmanager
def writer(bulk: bool = False) -> Iterator[IndexWriter]:
    """One writer at a time (Whoosh's lock, waited for); committed only on success, and the
    lock always released. ``bulk``: a rebuild, written by two processes into segments of
    their own (add_document only; the caller has deleted what it replaces)."""
    options: dict[str, Any] = {"procs": 2, "multisegment": True} if bulk else {}
    w = open_index().writer(limitmb=256, timeout=60, delay=0.1, **options)
    try:
        yield w
    except BaseException:
        w.cancel()
        raise
    w.commit()


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
            current = open_index().searcher()
        _searchers[key] = current
        yield current


def reset() -> None:
    with _lock:
        for s in _searchers.values():
            s.close()
        _searchers.clear()


class MarkFormatter(highlight.Formatter):
    """Escaped text with matched terms in <mark>; nothing else is left unescaped."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return "<mark>" + html.escape(highlight.get_text(text, token, replace)) + "</mark>"

    def _text(self, text: str) -> str:
        return html.escape(text)
