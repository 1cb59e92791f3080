"""Searching: the index is filtered by what the caller may read now, and every hit is checked
again against the database before it is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload
from whoosh import highlight
from whoosh.lang.porter import stem
from whoosh.qparser import FuzzyTermPlugin, MultifieldPlugin, QueryParser
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.query import NullQuery, Or, Prefix, Query, Term, Wildcard

from vir.access import READ, can, readable_areas, visible_rooms
from vir.core.db import db
from vir.core.i18n import locale
from vir.documents.models import Document
from vir.rooms.models import Folder, Room
from vir.search import index as idx
from vir.search import vocabulary
from vir.search.analysis import fold, query_is_welsh, stemming_analyzer, variants
from vir.search.backend import FACETS, Filters, Scope, get_backend
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


def scope_of(user: Any) -> Scope:
    """The rooms and areas the user may read now, from the access policy."""
    return Scope(
        frozenset(
            (room.id, room.provider.slug, area)
            # the provider from the join the query already makes, not a statement a room
            for room in db.session.scalars(
                visible_rooms(user).options(contains_eager(Room.provider))
            )
            for area in readable_areas(user, room)
        )
    )


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
        if termclass in (Prefix, Wildcard) and fieldname in _STEMMED_PATTERNS:
            return self._pattern(fieldname, text, termclass, boost)
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

    def _pattern(self, fieldname: str, text: str, termclass: Any, boost: float) -> Query | None:
        """A pattern means the words as written: stemmed, "mars*" became "mar*" and matched
        "market" and "marriage" (five times the documents, and so slower). The content's words
        as written are in `exact`; the title keeps only stems, so a title prefix is the typed
        letters over them, or the typed word's own stem ("mars" is indexed as "mar"); a title
        wild?card is left out (over stems it means little; the content and file name match
        it as written)."""
        if fieldname == "content":
            return super().term_query("exact", text, termclass, boost, False, False)
        plain = list(self.schema["exact"].process_text(text, mode="query", tokenize=False))
        if not plain or not plain[0]:
            return None
        if termclass is Wildcard:
            if _too_short(Wildcard(fieldname, plain[0])):
                raise _short_pattern()
            return None
        stemmed = list(self.schema[fieldname].process_text(text, mode="query", tokenize=False))
        parts: list[Query] = [Prefix(fieldname, plain[0], boost=boost)]
        if stemmed and stemmed[0] and stemmed[0] != plain[0]:
            parts.append(Term(fieldname, stemmed[0], boost=boost))
        return Or(parts).normalize()


# Fields indexed as stems, where a pattern (prefix*, wild?card) is matched as typed instead
_STEMMED_PATTERNS = ("title", "content")


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
    except SearchError:
        raise
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
    from whoosh.query import Every, FuzzyTerm, TermRange

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
        elif isinstance(sub, (Prefix, Wildcard)):
            short = _too_short(sub)
        else:
            continue
        if short:
            raise _short_pattern()


def _too_short(q: Prefix | Wildcard) -> bool:
    letters = q.text if isinstance(q, Prefix) else re.split(r"[*?]", q.text, maxsplit=1)[0]
    return len(letters) < vocabulary.MIN_PATTERN_LETTERS


def _short_pattern() -> SearchError:
    return SearchError(
        _("Put at least two letters before * or ?, three before ~ and five before ~2.")
    )


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
    scope = scope_of(user)
    if not scope:  # nothing readable: nothing to search
        return Results(
            total=0,
            page=page,
            per_page=per_page,
            facets={name: {} for name in FACETS} if facets else {},
        )
    found = get_backend().search(
        text,
        query,
        scope,
        Filters(provider, area, category, since, until),
        sort=sort,
        start=(page - 1) * per_page,
        limit=per_page,
        facets=facets,
    )
    results = Results(
        total=found.total,
        page=page,
        per_page=per_page,
        facets=found.facets,
        suggestion=found.suggestion,
    )
    if not found.page:
        return results
    documents = _documents([i for i, _ in found.page])
    prefixes = prefixes_of(query)
    texts = _texts([d.current.id for d in documents.values()])
    for document_id, score in found.page:
        document = documents.get(document_id)
        # The database has the last word: deleted, moved or no longer readable means hidden.
        if not _readable(user, document):
            results.total -= 1
            continue
        assert document is not None
        results.hits.append(
            Hit(
                document,
                score,
                snippet(texts.get(document.current.id, ""), found.words, prefixes),
            )
        )
    return results


def prefixes_of(query: Query) -> list[str]:
    """What each prefix* of a query begins with."""
    from whoosh.query import Prefix

    leaves = [query] if query.is_leaf() else list(query.leaves())
    return sorted({q.text for q in leaves if isinstance(q, Prefix)})


def _documents(ids: list[int]) -> dict[int, Document]:
    return {
        d.id: d
        for d in db.session.scalars(
            select(Document)
            .where(Document.id.in_(ids))
            # what the access check and the hit show, in the same statement
            .options(
                joinedload(Document.folder).joinedload(Folder.room).joinedload(Room.provider),
                joinedload(Document.versions),
            )
        ).unique()
    }


def _readable(user: Any, document: Document | None) -> bool:
    return (
        document is not None
        and document.deleted_at is None
        and can(user, READ, document.folder.room, document.folder.area)
    )


MORE_LIKE_TERMS = 15


def more_like(user: Any, document: Document, limit: int = 5) -> list[Hit]:
    """Documents like this one, among those the caller may read: its most telling words
    (frequent in it, rare among readable documents) searched for, with readable
    statistics."""
    row = db.session.get(DocumentText, document.current.id)
    if row is None or not row.text.strip():
        return []
    counts: dict[str, int] = {}
    for token in stemming_analyzer()(row.text[:50_000]):
        counts[token.text] = counts.get(token.text, 0) + 1
    scope = scope_of(user)
    if not scope:
        return []
    found = get_backend().similar(document.id, counts, scope, limit)
    documents = _documents([i for i, _ in found])
    return [
        Hit(documents[i], score, "")
        for i, score in found
        if i != document.id and _readable(user, documents.get(i))
    ]


_fragmenter = highlight.ContextFragmenter(maxchars=220, surround=60)
_formatter = idx.MarkFormatter()


WINDOW = 400  # characters analysed around a match: a snippet shows 220 of them around it
MAX_MARKED = 50  # words looked for (a prefix* may stand for hundreds)


def _windows(text: str, words: set[str]) -> str:
    """The stretches of text around the first places the words (or their stems, which are
    mostly prefixes) occur. Highlighting re-analyses what it is given, so giving it a few
    hundred characters rather than a whole document is most of the speed of a search."""
    if not words:
        return ""
    # The folded, lower-cased text has the same length as the text (the index holds folded
    # words); str.find over it for each word is many times faster than one case-insensitive
    # regular expression of them all over a document of 40 KB.
    folded = fold(text).lower()
    firsts: list[int] = []
    for word in sorted(words, key=len, reverse=True)[:MAX_MARKED]:
        if (at := _word_start(folded, word)) >= 0:
            firsts.append(at)
    # the first places of the first three words found
    spans = [
        (start, min(len(text), start + WINDOW))
        for start in (max(0, at - WINDOW // 2) for at in sorted(set(firsts))[:3])
    ]
    if not spans:
        return ""
    merged = [spans[0]]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return " … ".join(text[a:b] for a, b in merged)


def _word_start(folded: str, word: str) -> int:
    """Where the word first begins a word of the text, or -1."""
    at = folded.find(word)
    for _attempt in range(20):
        if at <= 0 or not (folded[at - 1].isalnum() or folded[at - 1] == "_"):
            return at
        at = folded.find(word, at + 1)
    # mostly inside other words (a short one): let the regular expression look
    found = re.search(r"\b" + re.escape(word), folded)
    return found.start() if found else -1


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


def snippet(text: str, terms: list[Any], prefixes: list[str] | tuple[str, ...] = ()) -> str:
    """HTML-escaped text around the matched words, which are wrapped in <mark>. ``prefixes``:
    what a prefix* search stood for, marked as the words of this text that begin with it."""
    words = {t.decode() if isinstance(t, bytes) else str(t) for t in terms}
    if prefixes and text:
        words |= _words_beginning(text, prefixes)
    if not text or not words:
        return idx.html.escape(text[:200])
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


def _words_beginning(text: str, prefixes: list[str] | tuple[str, ...]) -> set[str]:
    """The words of the text (folded, with their stems, which the stemmed field compares)
    that begin with one of the prefixes: the first few, which is all a snippet shows."""
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(fold(p.lower())) for p in prefixes) + r")\w*",
        re.IGNORECASE,
    )
    found: set[str] = set()
    for m in pattern.finditer(fold(text)):
        word = m.group(0).lower()
        found.update((word, stem(word)))
        if len(found) >= MAX_MARKED:
            break
    return found


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
