"""Cleaning text people type or upload, once for every name shown in VIR."""

from __future__ import annotations

import unicodedata


def clean_name(name: str | None) -> str:
    """NFC; tabs and newlines become spaces; control, format (bidi overrides among them) and
    surrogate characters go; runs of spaces collapse."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    return " ".join(name.split())


def clean_text(text: str | None) -> str:
    """Longer text (a comment): NFC; line breaks kept (as \\n), other control and format
    characters (bidi overrides among them) and surrogates removed; trailing spaces gone."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").replace(
        "\t", " "
    )
    return "\n".join(line.rstrip() for line in kept.split("\n"))
