"""The Welsh catalogue is complete, current and compiled (Welsh Language Standards)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "vir/translations/cy/LC_MESSAGES/messages.po"
MO = ROOT / "vir/translations/cy/LC_MESSAGES/messages.mo"


def _extract(tmp_path: Path) -> set:
    out = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(out),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with out.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


def test_every_string_in_the_code_is_translated(tmp_path):
    wanted = _extract(tmp_path)
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="cy")
    have = {m.id: m for m in catalog if m.id}
    missing = sorted(str(i) for i in wanted - set(have))
    assert not missing, "not in the Welsh catalogue (run make translations): " + str(missing)
    untranslated = [
        str(i)
        for i in wanted
        if not have[i].string or (isinstance(have[i].string, tuple) and not all(have[i].string))
    ]
    assert not untranslated, untranslated
    fuzzy = [str(i) for i in wanted if have[i].fuzzy]
    assert not fuzzy, fuzzy
    problems = [(str(m.id), [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, problems


def test_compiled_catalogue_matches_the_po_file():
    def norm(value):  # read_mo gives lists where read_po gives tuples
        return tuple(value) if isinstance(value, list | tuple) else value

    with PO.open("rb") as fh:
        po = {norm(m.id): norm(m.string) for m in read_po(fh, locale="cy") if m.id}
    with MO.open("rb") as fh:
        mo = {norm(m.id): norm(m.string) for m in read_mo(fh) if m.id}
    assert po == mo, "run: make translations (pybabel compile)"


def test_pages_speak_welsh(client, auth, world):
    auth.login("inspector")
    client.post("/language", data={"locale": "cy", "next": "/"})
    page = client.get("/rooms/cardiff").get_data(as_text=True)
    assert 'lang="cy"' in page
    assert "Ardal y Darparwr" in page and "Ardal yr Arolygwyr Cyswllt" in page
    assert "Allgofnodi" in page
    api = client.get(
        "/api/v1/nothing", headers={**auth.token("inspector"), "Accept-Language": "cy"}
    )
    assert api.get_json()["error"]["message"].startswith("Heb ddod o hyd")


def test_welsh_dates(app):
    from datetime import UTC, datetime

    from flask_babel import force_locale

    from vir.core.templating import local_datetime

    with app.test_request_context(), force_locale("cy"):
        assert local_datetime(datetime(2027, 3, 3, 9, 30, tzinfo=UTC)) == "3 Mawrth 2027, 09:30"
    with app.test_request_context(), force_locale("en"):
        assert local_datetime(datetime(2027, 7, 3, 8, 30, tzinfo=UTC)) == "3 July 2027, 09:30"


def test_welsh_catalogue_against_a_spelling_dictionary():
    """With no Welsh speaker at hand, every Welsh message is checked against Debian's
    aspell-cy: what it does not know must be a word already checked by hand
    (tests/fixtures/cy-words.txt), so a new misspelling fails here and names itself."""
    import re
    import shutil
    import subprocess
    from pathlib import Path

    from babel.messages.pofile import read_po

    aspell = shutil.which("aspell")
    assert aspell, "aspell is missing: make test installs it with aspell-cy"
    root = Path(__file__).resolve().parent.parent
    with (root / "vir/translations/cy/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)
    texts = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            text = re.sub(r"%\(\w+\)[sd]|\{\w*\}|<[^>]+>|&\w+;", " ", text or "")
            text = text.replace("’", "'")
            # A contraction's short part ('r, 'i, 'n …) and its long part are words of
            # their own (mae'r, o'ch), as aspell-cy knows them.
            text = re.sub(r"'(r|i|n|u|w|ch|m|th|ti)\b", r" \1", text)
            text = re.sub(
                r"\b(a|i|o|y|fe|na|gyda|mae|sy|yw|neu|wedi|â|hwnnw|pam|beth)'",
                r"\1 ",
                text,
                flags=re.IGNORECASE,
            )
            texts.append(text)
    found = subprocess.run(
        [aspell, "--lang=cy", "--encoding=utf-8", "list"],
        input="\n".join(texts),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    checked = {
        line.strip()
        for line in (root / "tests/fixtures/cy-words.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    unknown = sorted(set(found) - checked)
    assert not unknown, f"not in aspell-cy and not checked by hand: {unknown}"
