"""Welsh is found as Welsh speakers write it: diacritics fold on both sides, initial mutations
match both ways, and English words are left alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_search import _search, _upload
from vir.search.analysis import english_words, fold, query_is_welsh, variants

pytestmark = pytest.mark.search_backends


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {"VIR_SEARCH_ENABLED": True}


DOCS = {
    "gwyr.txt": "Ysgolion Gŵyr a Llŷn: adroddiad y caffi a’r café.",
    "ei-gynllun.txt": "Mae’r awdurdod wedi cyhoeddi ei gynllun gwella.",
    "fy-nghynllun.txt": "Dyma fy nghynllun ar gyfer y tymor.",
    "a-chynllun.txt": "Polisi a chynllun iaith y sir.",
    "cynllun.txt": "Cynllun datblygu strategol yr awdurdod.",
    "blant.txt": "Mae presenoldeb y dau blant wedi gwella; ein plant ni.",
    "hysgol.txt": "Agorodd hi ei hysgol newydd ym mis Medi.",
    "english.txt": "The cat sat on the mat; a fat bat flew by the plan.",
    "bat.txt": "A bat survey of the school grounds.",
}


def _ids(client: Any, headers: dict, q: str) -> set[str]:
    body = _search(client, headers, q, per_page="50").get_json()
    return {h["filename"] for h in body["results"]}


def test_diacritics_fold_both_ways_and_snippets_keep_them(app, client, auth, world):
    editor = auth.token("provider_editor")
    for name, text in DOCS.items():
        _upload(client, editor, world.folders[("cardiff", "provider")], name, text.encode())
    for q in ("Gwyr", "gwyr", "Gŵyr", "GŴYR", "Llyn", "Llŷn"):
        assert _ids(client, editor, q) == {"gwyr.txt"}, q
    assert _ids(client, editor, "cafe") == _ids(client, editor, "café") == {"gwyr.txt"}
    hit = _search(client, editor, "Gwyr").get_json()["results"][0]
    assert "<mark>Gŵyr</mark>" in hit["snippet"]
    assert _ids(client, editor, '"Gwyr a Llyn"') == {"gwyr.txt"}


def test_mutations_match_both_ways(app, client, auth, world):
    editor = auth.token("provider_editor")
    for name, text in DOCS.items():
        _upload(client, editor, world.folders[("cardiff", "provider")], name, text.encode())
    plans = {"ei-gynllun.txt", "fy-nghynllun.txt", "a-chynllun.txt", "cynllun.txt"}
    for q in ("cynllun", "gynllun", "nghynllun", "chynllun", "Cynllun"):
        assert _ids(client, editor, q) == plans, q
    assert _ids(client, editor, "blant") == {"blant.txt"}
    # "plant" is English too: widened in a Welsh search (by its words or the interface).
    _upload(
        client,
        editor,
        world.folders[("cardiff", "provider")],
        "dau-blentyn.txt",
        "Mae dau o blant yr ysgol yn sâl.".encode(),
    )
    _upload(
        client,
        editor,
        world.folders[("cardiff", "provider")],
        "gardening.txt",
        b"Every plant in the school garden was watered.",
    )
    assert _ids(client, editor, "plant") == {"blant.txt", "gardening.txt"}
    cy = {**editor, "Accept-Language": "cy"}
    assert _ids(client, cy, "plant") == {"blant.txt", "dau-blentyn.txt", "gardening.txt"}
    assert _ids(client, editor, "plant ysgol") == {"dau-blentyn.txt"}
    assert _ids(client, editor, "ysgol") == {"hysgol.txt", "dau-blentyn.txt"}
    assert "gwyr.txt" not in _ids(client, editor, "ysgol")  # "Ysgolion" is another word
    hit = _search(client, editor, "cynllun gwella").get_json()["results"]
    assert [h["filename"] for h in hit] == ["ei-gynllun.txt"]
    assert "<mark>gynllun</mark>" in hit[0]["snippet"]
    # Quotes ask for words as written.
    assert _ids(client, editor, '"ei cynllun"') == set()
    assert _ids(client, editor, '"ei gynllun"') == {"ei-gynllun.txt"}
    # English words are not mangled: a bat is not a mat, a fat or a "the".
    assert _ids(client, editor, "bat") == {"english.txt", "bat.txt"}
    assert _ids(client, editor, "mat") == {"english.txt"}
    assert _ids(client, editor, "plan") == {"english.txt"}
    # Turned off, a word finds only itself.
    app.config["VIR_SEARCH_MUTATIONS"] = False
    assert _ids(client, editor, "gynllun") == {"ei-gynllun.txt"}


def test_mutated_forms_come_from_the_welsh_word_list_and_spare_english():
    assert set(variants("cynllun")) == {"cynllun", "gynllun", "nghynllun", "chynllun"}
    assert "plant" in variants("blant") and "blant" in variants("plant", welsh=True)
    # A word English has too is widened only in a Welsh search.
    assert variants("plant") == ("plant",) and variants("goes") == ("goes",)
    assert "coes" in variants("goes", welsh=True)
    assert query_is_welsh("plant", "cy") and not query_is_welsh("plant", "en")
    assert query_is_welsh("plant ysgol", "en") and not query_is_welsh("plant school", "cy")
    assert "hysgol" in variants("ysgol") and "ysgol" in variants("hysgol")
    assert variants("Gŵyr")[0] == "gwyr" == fold("gŵyr")
    for word in (
        "the",
        "and",
        "bat",
        "mat",
        "plan",
        "school",
        "attendance",
        "report",
        "dad",
        "pen",
        "goes",
    ):
        assert variants(word) == (word,), word
    # No English word is ever widened to another English word.
    en = english_words()
    for welsh in (False, True):
        widened = [(w, v) for w in sorted(en) for v in variants(w, welsh)[1:] if v in en]
        assert widened == [], welsh
