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
