"""The search engine behind VIR, as one interface with a back end per engine.

`VIR_SEARCH_BACKEND` picks it: ``whoosh`` (the embedded default, an index directory on this
host's disk, `vir.search.whoosh_backend`) or ``postgres`` (tsvector columns in the
production database, shared by every web node, `vir.search.pg_backend`). Everything else,
the query language (`vir.search.queries.parse`), the analysis of words
(`vir.search.analysis`), the last access check on each hit and the snippets, is shared, so
both back ends answer the same query with the same documents.

A back end is given the caller's `Scope` (the rooms and areas `vir.access` lets them read
now) and must compute every part of its answer (hits, total, facets, scores, words a
pattern stands for, "did you mean") from the documents in it, and from nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flask import current_app

NAMES = ("whoosh", "postgres")
FACETS = ("provider", "area", "category")


@dataclass(frozen=True)
class Scope:
    """What a caller may read now: (room id, provider slug, area) triples from `vir.access`."""

    areas: frozenset[tuple[int, str, str]]

    def __bool__(self) -> bool:
        return bool(self.areas)

    def key(self) -> str:
        return repr(sorted(self.areas))


@dataclass(frozen=True)
class Filters:
    provider: str | None = None
    area: str | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class Found:
    """A back end's answer: (document id, score) for the page asked for, best first; the
    total and facets over every readable match; the words to mark in snippets."""

    page: list[tuple[int, float]] = field(default_factory=list)
    total: int = 0
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    words: list[str] = field(default_factory=list)


# What indexing hands a back end: ("add", fields) for a document to index (the fields of
# `vir.search.operations._fields`), or ("delete", document id).
Change = tuple[str, Any]


class SearchBackend(Protocol):
    name: str

    def write(
        self,
        changes: Iterable[Change],
        *,
        bulk: bool = False,
        replace: bool = False,
        provider: str | None = None,
    ) -> None:
        """Apply the changes in one commit. ``replace``: they become the whole index;
        ``provider``: they become that provider's whole part of it. Searches see the old
        state until the commit, never an empty index."""

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
        """``query``: ``text`` parsed by `vir.search.queries.parse`. A suggestion is made
        when nothing is found."""

    def similar(
        self, document_id: int, words: dict[str, int], scope: Scope, limit: int
    ) -> list[tuple[int, float]]:
        """Readable documents other than this one sharing its most telling ``words`` (stemmed
        words of its text with their counts): frequent in it, rare among readable ones."""

    def indexed(self) -> dict[int, int]:
        """Indexed document id -> version, for `vir search check`."""

    def describe(self) -> str:
        """One line for the health page: how many documents, and where."""

    def reset(self) -> None:
        """Forget what this process keeps open (tests, and after a restore)."""

    def warm(self) -> None:
        """Read now what this process's first searches would otherwise read while a user
        waits (a web worker calls it as it starts)."""


_backends: dict[str, SearchBackend] = {}


def get_backend() -> SearchBackend:
    name = current_app.config.get("VIR_SEARCH_BACKEND", "whoosh")
    found = _backends.get(name)
    if found is None:
        if name == "postgres":
            from vir.search.pg_backend import PostgresBackend

            found = PostgresBackend()
        elif name == "whoosh":
            from vir.search.whoosh_backend import WhooshBackend

            found = WhooshBackend()
        else:  # refused by the configuration check at start; kept for a direct caller
            raise ValueError(f"VIR_SEARCH_BACKEND must be one of {', '.join(NAMES)}")
        _backends[name] = found
    return found


def reset() -> None:
    for found in _backends.values():
        found.reset()
