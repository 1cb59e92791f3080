"""Welsh and English (Welsh Language Standards): the locale for each request, and switching it."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user

from vir.config import ROOT

LOCALES = ("en", "cy")
# Each language is named in itself, as the standards ask.
LOCALE_NAMES = {"en": "English", "cy": "Cymraeg"}

babel = Babel()


def select_locale() -> str:
    if not has_request_context():  # the CLI and the worker speak the default language
        return "en"
    forced = g.get("vir_locale")
    if forced in LOCALES:
        return forced
    # An API client that names a language in this request means it, whatever was saved.
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        found = request.accept_languages.best_match(LOCALES)
        if found:
            return found
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    if session.get("locale") in LOCALES:
        return session["locale"]
    return request.accept_languages.best_match(LOCALES) or "en"


def locale() -> str:
    loc = get_locale()
    return loc.language if loc is not None else "en"


def in_sentence(text: str) -> str:
    """A date that starts with its weekday, as it is written inside a sentence: Welsh writes
    "erbyn dydd Mercher 13 Ionawr", with "Dydd" capitalised only where a line begins (CLDR's
    names are the capitalised ones). English weekdays keep their capital everywhere."""
    if locale() == "cy" and text.startswith("Dydd "):
        return "d" + text[1:]
    return text


def _template_context() -> dict[str, Any]:
    current = locale()
    other = "cy" if current == "en" else "en"
    return {
        "current_locale": current,
        "other_locale": other,
        "other_locale_name": LOCALE_NAMES[other],
    }


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "vir" / "translations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Europe/London")
    app.context_processor(_template_context)
    app.jinja_env.filters["in_sentence"] = in_sentence


# The Welsh alphabet: digraphs are letters of their own (ch after c, dd after d, ll after l,
# and so on), so "Cyngor" sorts before "Chwarae" and "Llanelli" after "Lyn".
_WELSH = ["a", "b", "c", "ch", "d", "dd", "e", "f", "ff", "g", "ng", "h", "i", "j", "l", "ll",
          "m", "n", "o", "p", "ph", "r", "rh", "s", "t", "th", "u", "w", "y"]  # fmt: skip
_WELSH_RANK = {letter: n for n, letter in enumerate(_WELSH)}
_DIGRAPHS = sorted((x for x in _WELSH if len(x) == 2), key=len, reverse=True)


def _fold(text: str) -> str:
    """Lower case without accents (â, ŵ, ŷ sort with a, w, y)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def welsh_sort_key(text: str) -> tuple[tuple[int, str], ...]:
    folded, out, i = _fold(text), [], 0
    while i < len(folded):
        pair = folded[i : i + 2]
        if pair in _DIGRAPHS:
            out.append((_WELSH_RANK[pair], pair))
            i += 2
            continue
        ch = folded[i]
        # Letters outside the Welsh alphabet (k, q, v, x, z) and digits sort after it.
        out.append((_WELSH_RANK.get(ch, len(_WELSH) + ord(ch)), ch))
        i += 1
    return tuple(out)


def name_sort_key(text: str, language: str | None = None) -> Any:
    """How names sort in the reader's language: the Welsh alphabet in Welsh."""
    if (language or locale()) == "cy":
        return welsh_sort_key(text)
    return _fold(text)


def by_name(orgs: Any, language: str | None = None) -> list[Any]:
    """Organisations in the order of their names in the reader's language."""
    language = language or locale()
    return sorted(orgs, key=lambda o: name_sort_key(o.name(language), language))
