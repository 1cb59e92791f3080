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
import re
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
    return (
        RegexTokenizer()
        | LowercaseFilter()
        | FoldFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=2)
        | StemFilter()
    )


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
def welsh_names() -> frozenset[str]:
    return _load("cy-names.txt.gz")


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
        rest = radical[len(letter) :]
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
            out.update(r + word[len(start) :] for r in _RADICALS[start])
    if word[:1] in VOWELS or (word[:1] == "h" and word[1:2] in VOWELS):
        out.add("g" + word)  # soft mutation drops g: "gardd" -> "ei ardd"
    if word[:1] == "h" and word[1:2] in VOWELS:
        out.add(word[1:])
    return out


@functools.lru_cache(maxsize=20_000)
def variants(word: str, welsh: bool = False) -> tuple[str, ...]:
    """See `_variants`; a word typed with a capital ("Powys") is taken as a name."""
    return _variants(fold(word.lower()), welsh, word[:1].isupper())


def _variants(word: str, welsh: bool, capital: bool) -> tuple[str, ...]:
    """The word (lower-cased and folded) and the forms it takes or comes from by Welsh
    mutation, the word itself first. Every form added is in the Welsh word list and is not an
    English word. A word that is English and Welsh too ("plant", "goes", "pen") is widened only
    in a Welsh search (``welsh``: see `query_is_welsh`); a mutated form may also find its
    radical ("blant" finds "plant", Welsh "goes" finds "coes"). Names mutate too ("Cymru",
    "yng Nghymru"; "Powys", "ym Mhowys") but word lists hold only their radicals: a radical
    that is a Welsh name, or the word itself typed with a capital, takes every mutated form
    that is not an English word."""
    if len(word) < 3 or not word.isalpha():
        return (word,)
    cy, en = welsh_words(), english_words()
    english = word in en
    if english and (word not in cy or not welsh):
        return (word,)
    names = welsh_names()
    radicals = {r for r in _radicals(word) if r == word or r in cy}
    found = set()
    for radical in radicals:
        name = radical in names or (capital and radical == word and not english)
        # English words are never added, but for the radical of a word English does not have
        found.update(
            f
            for f in _forms(radical)
            if (f in cy or name) and (f not in en or (f in radicals and not english))
        )
    found.discard(word)
    return (word, *sorted(found))


_WORDS = re.compile(r"[^\W\d_]+")


def query_is_welsh(text: str, interface: str) -> bool:
    """Whether a search is in Welsh: it has a word that only Welsh has; else, if it has a word
    that only English has, it is English; else (every word both, or neither) it is in the
    language of the searcher's interface."""
    cy, en = welsh_words(), english_words()
    words = [fold(w.lower()) for w in _WORDS.findall(text) if w not in ("AND", "OR", "NOT", "TO")]
    if any(w in cy and w not in en for w in words):
        return True
    if any(w in en and w not in cy for w in words):
        return False
    return interface == "cy"
