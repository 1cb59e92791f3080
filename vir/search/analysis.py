"""How words are compared: diacritics folded, and Welsh initial mutations matched.

Folding is one per-character table (a letter with a combining mark becomes its base letter:
"ŵ" → "w", "é" → "e"), so a folded text is exactly as long as the original and snippets can
mark the original words. The index stores folded words and queries are folded the same way.

Welsh changes the first letter of a word after certain words ("cynllun", "ei gynllun", "fy
nghynllun", "a chynllun"). A searched word is widened to its mutated forms and radicals, but
only to forms that the Welsh word list (Debian's aspell-cy) knows and that are not English
words, so English searches are left as they are (bench/relevance.py measures both).
"""

from __future__ import annotations

import functools
import gzip
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh.analysis import (
    STOP_WORDS,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)

DATA = Path(__file__).with_name("data")


class _FoldTable(dict):
    """str.translate table, filled one character at a time as characters are met."""

    def __missing__(self, code: int) -> int:
        decomposed = unicodedata.normalize("NFD", chr(code))
        base = code
        if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
            base = ord(decomposed[0])
        self[code] = base
        return base


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """The text with diacritics removed, character for character (same length)."""
    return text if text.isascii() else text.translate(_FOLD)


class FoldFilter(Filter):
    """Folds each token's text; its position and characters are kept for highlighting."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for t in tokens:
            t.text = fold(t.text)
            yield t


def stemming_analyzer() -> Any:
    """Whoosh's StemmingAnalyzer with folding before the stop list and the stemmer."""
    return (RegexTokenizer() | LowercaseFilter() | FoldFilter()
            | StopFilter(stoplist=STOP_WORDS, minsize=2) | StemFilter())


def plain_analyzer() -> Any:
    """Every word as written, lower-cased and folded; no stop list (Welsh is not English)."""
    return RegexTokenizer() | LowercaseFilter() | FoldFilter()


# --- Welsh mutations ---------------------------------------------------------------------------

# radical start -> its soft, nasal and aspirate forms
_MUTATIONS = {
    "p": ("b", "mh", "ph"),
    "t": ("d", "nh", "th"),
    "c": ("g", "ngh", "ch"),
    "b": ("f", "m"),
    "d": ("dd", "n"),
    "g": ("", "ng"),
    "m": ("f",),
    "ll": ("l",),
    "rh": ("r",),
}
# Digraphs that are letters of their own and do not mutate as their first letter would.
_LETTERS = ("ch", "dd", "ff", "ng", "ll", "ph", "rh", "th")
VOWELS = frozenset("aeiouwy")
# mutated start -> radical starts it may come from
_RADICALS: dict[str, list[str]] = {}
for _radical, _forms in _MUTATIONS.items():
    for _form in _forms:
        if _form:
            _RADICALS.setdefault(_form, []).append(_radical)


@functools.cache
def welsh_words() -> frozenset[str]:
    return _load("cy-words.txt.gz")


@functools.cache
def english_words() -> frozenset[str]:
    return _load("en-words.txt.gz")


def _load(name: str) -> frozenset[str]:
    with gzip.open(DATA / name, "rt", encoding="utf-8") as fh:
        return frozenset(fh.read().split())


def _first_letter(word: str) -> str:
    for digraph in _LETTERS:
        if word.startswith(digraph):
            return digraph
    return word[:1]


def _forms(radical: str) -> set[str]:
    """Every mutated form of a radical, known to the word list or not."""
    out = {radical}
    letter = _first_letter(radical)
    if letter in _MUTATIONS:
        rest = radical[len(letter):]
        out.update(form + rest for form in _MUTATIONS[letter])
    if letter in VOWELS:
        out.add("h" + radical)  # h- before a vowel: "ei hysgol"
    return out


def _radicals(word: str) -> set[str]:
    """Radicals the word may be a mutated form of (the word itself among them)."""
    out = {word}
    for start in sorted(_RADICALS, key=len, reverse=True):
        if word.startswith(start):
            # "ng" begins "ngh"; "dd" is its own letter, not a soft-mutated "d"
            if start == "ng" and word.startswith("ngh"):
                continue
            if len(start) == 1 and _first_letter(word) != start:
                continue
            out.update(r + word[len(start):] for r in _RADICALS[start])
    if word[:1] in VOWELS or (word[:1] == "h" and word[1:2] in VOWELS):
        out.add("g" + word)  # soft mutation drops g: "gardd" -> "ei ardd"
    if word[:1] == "h" and word[1:2] in VOWELS:
        out.add(word[1:])
    return out


@functools.lru_cache(maxsize=10_000)
def variants(word: str) -> tuple[str, ...]:
    """The word (lower-cased and folded) and the forms it takes or comes from by Welsh
    mutation, the word itself first. Every form added is in the Welsh word list. An English
    word is widened only if it is Welsh too, only to its own mutated forms, and never to
    another English word ("plant" finds "blant", "the" finds nothing more); a word that is not
    English may also find its radical ("blant" finds "plant")."""
    word = fold(word.lower())
    if len(word) < 3 or not word.isalpha():
        return (word,)
    cy, en = welsh_words(), english_words()
    english = word in en
    if english and word not in cy:
        return (word,)
    radicals = {word} if english else {r for r in _radicals(word) if r == word or r in cy}
    found = set()
    for radical in radicals:
        found.update(f for f in _forms(radical) if f in cy and (f not in en or f in radicals))
    found.discard(word)
    return (word, *sorted(found))
