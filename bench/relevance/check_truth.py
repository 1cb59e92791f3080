#!/usr/bin/env python3
"""Re-derive the relevant set of every query in queries.json from the texts, and report
any disagreement. Standard library only (pdftotext is used for --files if installed).

    python3 check_truth.py            # truth from src/ (the texts the documents were made from)
    python3 check_truth.py --files    # also extract docs/ themselves and check them too
    python3 check_truth.py --show     # also print, per query, which words matched where
    python3 check_truth.py --suggest  # print the computed sets as JSON (for authoring)

Exit status 0 only when there are no disagreements and no corpus problems.

What "relevant" means here (decided by the words that really occur in a document):

* Words are what a search engine's word tokenizer finds: runs of letters/digits (with
  internal dots, "93.1"), lower-cased, diacritics folded (Gŵyr = Gwyr, café = cafe).
  A document's words are those of its text, plus those of its file name (the portal
  searches the title, which is the file name without extension, and the file name).
* A Welsh ("cy") word matches a document holding the word itself or any form in its
  mutation family: the word is taken as a possible radical AND as a possible mutated form
  (explicit rules below), and every soft, nasal, aspirate and h- form of every candidate
  radical counts. Candidates that are not real words never occur, so they cost nothing;
  --show prints the forms that did match, for review.
* An English ("en") word matches a document holding a word with the same Porter stem
  (the algorithm as implemented in Whoosh, which the portal uses): "schools" = "school".
  No mutation rules are applied to English queries: "bat" must not find "mat".
* "a phrase" needs its words consecutively (cy: exactly, folded; en: same stems).
* prefix* matches any word that starts with the (folded) prefix; no mutation, no stemming.
* Several words: all must match. OR / NOT / AND / ( ) as usual; NOT binds tightest,
  then AND (also implicit), then OR.

Besides disagreements, the script warns where the truth could reasonably be argued
differently (an English stem shared with a Welsh word, a phrase that would match only
across a paragraph or cell boundary, a prefix whose stemmed or mutated forms would change
the answer, ...). Warnings are printed but do not fail the run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parent
SRC, DOCS, QUERIES = ROOT / "src", ROOT / "docs", ROOT / "queries.json"
MIN_WORDS, MAX_WORDS, MAX_BYTES = 150, 800, 100 * 1024

# --- words ------------------------------------------------------------------------------------

TOKEN = re.compile(r"[\w*]+(?:\.?[\w*]+)*")  # Whoosh's default RegexTokenizer pattern
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "have",
        "if",
        "in",
        "is",
        "it",
        "may",
        "not",
        "of",
        "on",
        "or",
        "tbd",
        "that",
        "the",
        "this",
        "to",
        "us",
        "we",
        "when",
        "will",
        "with",
        "yet",
        "you",
        "your",
    ]
)


def fold(text: str) -> str:
    """Each character with combining marks becomes its base letter ("ŵ" -> "w")."""
    out = []
    for ch in text:
        d = unicodedata.normalize("NFD", ch)
        out.append(d[0] if len(d) > 1 and all(unicodedata.combining(c) for c in d[1:]) else ch)
    return "".join(out)


def words(text: str) -> list[str]:
    return [fold(t.lower()) for t in TOKEN.findall(text)]


# --- English: the Porter stemmer, following Whoosh's whoosh.lang.porter --------------------------

_C, _V = "[^aeiouy]+", "[aeiou]+"
_MGR0 = re.compile(f"^({_C})?{_V}{_C}")
_MEQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?$")
_MGR1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")
_S_V = re.compile(f"^({_C})?[aeiouy]")
_C_V = re.compile(f"^{_C}[aeiouy][^aeiouwxy]$")
_STEP2 = {
    "ational": "ate",
    "tional": "tion",
    "enci": "ence",
    "anci": "ance",
    "izer": "ize",
    "bli": "ble",
    "alli": "al",
    "entli": "ent",
    "eli": "e",
    "ousli": "ous",
    "ization": "ize",
    "ation": "ate",
    "ator": "ate",
    "alism": "al",
    "iveness": "ive",
    "fulness": "ful",
    "ousness": "ous",
    "aliti": "al",
    "iviti": "ive",
    "biliti": "ble",
    "logi": "log",
}
_STEP3 = {
    "icate": "ic",
    "ative": "",
    "alize": "al",
    "iciti": "ic",
    "ical": "ic",
    "ful": "",
    "ness": "",
}
_RE2 = re.compile("^(.+?)(" + "|".join(_STEP2) + ")$")
_RE3 = re.compile("^(.+?)(" + "|".join(_STEP3) + ")$")
_RE4 = re.compile(
    "^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$"
)
_RE4B = re.compile("^(.+?)(s|t)(ion)$")
_STEM_CACHE: dict[str, str] = {}


def stem(w: str) -> str:
    if w in _STEM_CACHE:
        return _STEM_CACHE[w]
    original = w
    if len(w) < 3:
        return w
    first_y = w[0] == "y"
    if first_y:
        w = "Y" + w[1:]
    if w.endswith("s"):  # step 1a
        if w.endswith("sses") or w.endswith("ies"):
            w = w[:-2]
        elif w[-2] != "s":
            w = w[:-1]
    if w.endswith("eed"):  # step 1b
        if _MGR0.match(w[:-3]):
            w = w[:-1]
    else:
        m = re.match("^(.*)(ed|ing)$", w)
        if m and _S_V.match(m.group(1)):
            w = m.group(1)
            # Whoosh anchors these two patterns at the start of the word (re.match), so in
            # practice they only fire for two-letter stems; kept as Whoosh has them.
            if re.match("(at|bl|iz)$", w):
                w += "e"
            elif re.match(r"([^aeiouylsz])\1$", w):
                w = w[:-1]
            elif _C_V.match(w):
                w += "e"
    if w.endswith("y") and _S_V.match(w[:-1]):  # step 1c
        w = w[:-1] + "i"
    m = _RE2.match(w)  # step 2
    if m and _MGR0.match(m.group(1)):
        w = m.group(1) + _STEP2[m.group(2)]
    m = _RE3.match(w)  # step 3
    if m and _MGR0.match(m.group(1)):
        w = m.group(1) + _STEP3[m.group(2)]
    m = _RE4.match(w)  # step 4
    if m:
        if _MGR1.match(m.group(1)):
            w = m.group(1)
    else:
        m = _RE4B.match(w)
        if m and _MGR1.match(m.group(1) + m.group(2)):
            w = m.group(1) + m.group(2)
    m = re.match("^(.+?)e$", w)  # step 5
    if m and (_MGR1.match(m.group(1)) or (_MEQ1.match(m.group(1)) and not _C_V.match(m.group(1)))):
        w = m.group(1)
    if w.endswith("ll") and _MGR1.match(w):
        w = w[:-1]
    if first_y:
        w = "y" + w[1:]
    _STEM_CACHE[original] = w
    return w


# --- Welsh: initial mutations -------------------------------------------------------------------

SOFT = {"p": "b", "t": "d", "c": "g", "b": "f", "d": "dd", "g": "", "m": "f", "ll": "l", "rh": "r"}
NASAL = {"p": "mh", "t": "nh", "c": "ngh", "b": "m", "d": "n", "g": "ng"}
ASPIRATE = {"p": "ph", "t": "th", "c": "ch"}
VOWELS = "aeiouwy"  # w and y are vowels in Welsh; vowel-initial words take h- ("ei hysgol")
DIGRAPHS = ("ch", "dd", "ff", "ng", "ll", "ph", "rh", "th")  # letters of their own


def first_letter(w: str) -> str:
    return next((d for d in DIGRAPHS if w.startswith(d)), w[:1])


def mutated_forms(radical: str) -> set[str]:
    """The radical and its soft, nasal, aspirate and h- forms."""
    out = {radical}
    letter = first_letter(radical)
    rest = radical[len(letter) :]
    for table in (SOFT, NASAL, ASPIRATE):
        if letter in table:
            out.add(table[letter] + rest)
    if radical[:1] in VOWELS:
        out.add("h" + radical)
    return out


def radical_candidates(word: str) -> set[str]:
    """The word itself and every radical it could be a mutated form of."""
    out = {word}
    for table in (SOFT, NASAL, ASPIRATE):
        for radical, mutated in table.items():
            if mutated == "":  # soft g is dropped: "ardd" < "gardd"
                out.add(radical + word)
            elif mutated in ("mh", "nh", "ngh"):
                if word.startswith(mutated):
                    out.add(radical + word[len(mutated) :])
            elif first_letter(word) == mutated:  # "dd" is not a mutated "d", "ll" not "l"
                out.add(radical + word[len(mutated) :])
    if word[:1] == "h" and word[1:2] and word[1] in VOWELS:
        out.add(word[1:])  # "hysgol" < "ysgol"
    return out


def welsh_family(word: str) -> set[str]:
    w = fold(word.lower())
    return set().union(*(mutated_forms(r) for r in radical_candidates(w)))


# --- documents ----------------------------------------------------------------------------------


class Doc:
    def __init__(self, name: str, segments: list[str]):
        self.name = name
        self.segments = [words(s) for s in segments if words(s)]
        self.seq = [w for s in self.segments for w in s]
        stem_part, _, _ext = name.rpartition(".")
        self.title = words(stem_part.replace("_", " "))  # the portal's title
        self.filename = words(name)  # "attendance.docx" is one word
        self.vocab = set(self.seq) | set(self.title) | set(self.filename)
        self.stems = {stem(w) for w in self.vocab}
        self.body_vocab = set(self.seq)

    def sequences(self) -> list[list[str]]:
        return [self.seq, self.title]


def md_segments(text: str) -> list[str]:
    """Paragraphs, headings, list items and table cells of the tiny markup in src/*.md."""
    out: list[str] = []
    para: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "- ", "|")):
            if para:
                out.append(" ".join(para))
                para = []
            if line.startswith("|"):
                out.extend(c for c in line.strip("|").split("|"))
            elif line:
                out.append(line.lstrip("#- "))
        else:
            para.append(line)
    if para:
        out.append(" ".join(para))
    return out


def csv_segments(text: str) -> list[str]:
    import csv
    import io

    return [cell for row in csv.reader(io.StringIO(text)) for cell in row if cell.strip()]


def load_src() -> dict[str, Doc]:
    docs = {}
    for path in sorted(SRC.iterdir()):
        if path.suffix not in (".md", ".csv"):
            continue
        name = path.name[: -len(path.suffix)]
        text = path.read_text(encoding="utf-8")
        docs[name] = Doc(name, md_segments(text) if path.suffix == ".md" else csv_segments(text))
    return docs


# --- extraction from the real files (for --files) ------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _odf(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        xml = z.read("content.xml")
    root = ET.fromstring(xml)
    out = []
    for el in root.iter():
        if _local(el.tag) in ("p", "h"):
            buf = []
            for node in el.iter():
                n = _local(node.tag)
                if node is not el and n in ("p", "h"):
                    continue
                if n in ("s", "tab", "line-break"):
                    buf.append(" ")
                if node.text and n not in ("s", "tab", "line-break"):
                    buf.append(node.text)
                if node is not el and node.tail:
                    buf.append(node.tail)
            out.append("".join(buf))
    return out


def _docx(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml")
    out = []
    for p in ET.fromstring(xml).iter():
        if _local(p.tag) == "p":
            buf = []
            for node in p.iter():
                n = _local(node.tag)
                if n == "t" and node.text:
                    buf.append(node.text)
                elif n in ("tab", "br"):
                    buf.append(" ")
            out.append("".join(buf))
    return out


def _xlsx(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")):
                shared.append("".join(t.text or "" for t in si.iter() if _local(t.tag) == "t"))
        out = []
        sheets = sorted(
            (n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
            key=lambda n: int(re.findall(r"\d+", n)[0]),
        )
        for name in sheets:
            for c in ET.fromstring(z.read(name)).iter():
                if _local(c.tag) != "c":
                    continue
                v = next((x.text for x in c.iter() if _local(x.tag) in ("v", "t")), None)
                if v is None:
                    continue
                out.append(shared[int(v)] if c.get("t") == "s" else v)
    return out


def _pptx(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        names = sorted(
            (n for n in z.namelist() if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)),
            key=lambda n: int(re.findall(r"\d+", n)[0]),
        )
        out = []
        for name in names:
            for p in ET.fromstring(z.read(name)).iter():
                if _local(p.tag) == "p":
                    out.append("".join(t.text or "" for t in p.iter() if _local(t.tag) == "t"))
    return out


def _rtf(path: Path) -> list[str]:
    """A small RTF reader: groups, destinations skipped, \\uN (with \\ucN fallback), \\'xx."""
    data = path.read_bytes().decode("latin-1")
    out: list[str] = []
    stack: list[tuple[bool, int]] = []
    skip, uc, pending_skip = False, 1, 0
    i = 0
    skip_dest = {
        "fonttbl",
        "colortbl",
        "stylesheet",
        "info",
        "listtable",
        "listoverridetable",
        "rsidtbl",
        "generator",
        "pict",
        "header",
        "footer",
        "themedata",
        "datastore",
        "latentstyles",
        "xmlnstbl",
        "mmathPr",
        "pgdsctbl",
    }
    while i < len(data):
        ch = data[i]
        if ch == "{":
            stack.append((skip, uc))
            i += 1
            if data.startswith("\\*", i):
                skip = True
        elif ch == "}":
            skip, uc = stack.pop() if stack else (False, 1)
            i += 1
        elif ch == "\\":
            m = re.match(r"\\([a-zA-Z]+)(-?\d+)? ?|\\'([0-9a-fA-F]{2})|\\(.)", data[i:])
            i += m.end()
            if m.group(3):
                if pending_skip:
                    pending_skip -= 1
                elif not skip:
                    out.append(bytes.fromhex(m.group(3)).decode("cp1252", "replace"))
            elif m.group(1):
                word, arg = m.group(1), m.group(2)
                if word in skip_dest:
                    skip = True
                elif word == "uc" and arg:
                    uc = int(arg)
                elif word == "u" and arg:
                    if not skip:
                        out.append(chr(int(arg) % 65536))
                    pending_skip = uc
                elif word in ("par", "line", "cell", "row", "tab", "sect", "page") and not skip:
                    out.append("\n")
            elif m.group(4) and not skip:
                out.append({"~": " ", "-": "", "_": "-"}.get(m.group(4), m.group(4)))
        else:
            if ch in "\r\n":
                i += 1
                continue
            if pending_skip:
                pending_skip -= 1
            elif not skip:
                out.append(ch)
            i += 1
    return "".join(out).split("\n")


def _pdf(path: Path) -> list[str]:
    if not shutil.which("pdftotext"):
        raise RuntimeError("pdftotext is not installed")
    text = subprocess.run(
        ["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    return text.split("\n\n")


def extract(path: Path) -> list[str]:
    ext = path.suffix.lower()[1:]
    if ext in ("odt", "ods", "odp"):
        return _odf(path)
    if ext == "docx":
        return _docx(path)
    if ext == "xlsx":
        return _xlsx(path)
    if ext == "pptx":
        return _pptx(path)
    if ext == "rtf":
        return _rtf(path)
    if ext == "pdf":
        return _pdf(path)
    return path.read_text(encoding="utf-8-sig").split("\n\n")


def load_files(names: list[str]) -> dict[str, Doc]:
    return {n: Doc(n, extract(DOCS / n)) for n in names}


# --- queries ------------------------------------------------------------------------------------

QTOKEN = re.compile(r'"[^"]*"|\(|\)|[^\s()"]+')


def parse(q: str) -> tuple:
    toks = QTOKEN.findall(q)
    pos = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def or_expr() -> tuple:
        parts = [and_expr()]
        while peek() == "OR":
            take()
            parts.append(and_expr())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_expr() -> tuple:
        parts = [unary()]
        while peek() not in (None, "OR", ")"):
            if peek() == "AND":
                take()
            parts.append(unary())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def unary() -> tuple:
        if peek() == "NOT":
            take()
            return ("not", unary())
        return atom()

    def atom() -> tuple:
        t = take()
        if t == "(":
            e = or_expr()
            if take() != ")":
                raise ValueError(f"unbalanced brackets in {q!r}")
            return e
        if t.startswith('"'):
            return ("phrase", words(t.strip('"')))
        if t.endswith("*"):
            return ("prefix", fold(t[:-1].lower()))
        found = words(t)
        if len(found) != 1:
            raise ValueError(f"{t!r} in {q!r} is not one word")
        return ("word", found[0])

    tree = or_expr()
    if pos != len(toks):
        raise ValueError(f"cannot parse {q!r}")
    return tree


def word_matches(w: str, lang: str, d: Doc) -> set[str]:
    """The document's words that match the query word (empty: no match)."""
    if lang == "cy":
        return welsh_family(w) & d.vocab
    s = stem(w)
    return {t for t in d.vocab if t == w or stem(t) == s}


def phrase_in(seq: list[str], phrase: list[str], same) -> bool:
    n = len(phrase)
    return any(all(same(seq[i + k], phrase[k]) for k in range(n)) for i in range(len(seq) - n + 1))


def phrase_match(phrase: list[str], lang: str, d: Doc, mode: str = "truth") -> bool:
    if lang == "cy" or mode == "exact":
        same = lambda a, b: a == b  # noqa: E731
    else:
        same = lambda a, b: a == b or stem(a) == stem(b)  # noqa: E731
    if mode == "mutation":
        same = lambda a, b: a in welsh_family(b)  # noqa: E731
    if mode == "segments":
        return any(phrase_in(s, phrase, same) for s in [*d.segments, d.title])
    return any(phrase_in(s, phrase, same) for s in d.sequences())


def evaluate(tree: tuple, lang: str, d: Doc) -> bool:
    kind, arg = tree
    if kind == "word":
        return bool(word_matches(arg, lang, d))
    if kind == "phrase":
        return phrase_match(arg, lang, d)
    if kind == "prefix":
        return any(t.startswith(arg) for t in d.vocab)
    if kind == "not":
        return not evaluate(arg, lang, d)
    if kind == "and":
        return all(evaluate(a, lang, d) for a in arg)
    return any(evaluate(a, lang, d) for a in arg)


def leaves(tree: tuple) -> list[tuple]:
    kind, arg = tree
    if kind in ("and", "or"):
        return [x for a in arg for x in leaves(a)]
    if kind == "not":
        return leaves(arg)
    return [tree]


def warnings_for(q: dict, tree: tuple, docs: dict[str, Doc]) -> list[str]:
    """Places where a reasonable engine could answer differently from the truth."""
    out = []
    lang = q["lang"]
    for kind, arg in leaves(tree):
        if kind == "word" and lang == "en":
            for name, d in docs.items():
                m = word_matches(arg, "en", d)
                if m and arg not in m and name.startswith("cy"):
                    out.append(
                        f"{arg}: Welsh document {name} matches only by English stem via {sorted(m)}"
                    )
        if kind == "word" and lang == "cy":
            fam = welsh_family(arg)
            stems = {stem(f) for f in fam}
            for name, d in docs.items():
                extra = {t for t in d.vocab if stem(t) in stems and t not in fam}
                if extra and not (fam & d.vocab):
                    out.append(f"{arg}: English stemming would add {name} via {sorted(extra)}")
        if kind == "phrase":
            for name, d in docs.items():
                base = phrase_match(arg, lang, d)
                for mode in ("segments", "mutation", "exact"):
                    if mode == "mutation" and lang != "cy":
                        continue
                    if mode == "exact" and "stemming" in q["kind"]:
                        continue  # a stemming test on purpose
                    if phrase_match(arg, lang, d, mode) != base:
                        out.append(f'"{" ".join(arg)}": {name} depends on {mode} matching')
        if kind == "prefix":
            for name, d in docs.items():
                raw = any(t.startswith(arg) for t in d.vocab)
                by_stem = any(
                    stem(t).startswith(arg) or stem(t).startswith(stem(arg)) for t in d.vocab
                )
                mutated = (
                    any(r.startswith(arg) for t in d.vocab for r in radical_candidates(t) if r != t)
                    if lang == "cy"
                    else False
                )
                if by_stem != raw or (mutated and not raw):
                    out.append(f"{arg}*: {name} depends on stemming/mutation of prefixes")
    return out


# --- checks -------------------------------------------------------------------------------------


def corpus_problems(docs: dict[str, Doc]) -> list[str]:
    out = []
    for name, d in docs.items():
        path = DOCS / name
        n = sum(1 for w in d.seq if w.isalpha())
        if not MIN_WORDS <= n <= MAX_WORDS:
            out.append(f"{name}: {n} words, outside {MIN_WORDS}-{MAX_WORDS}")
        if not path.exists():
            out.append(f"{name}: missing from docs/")
        elif path.stat().st_size >= MAX_BYTES:
            out.append(f"{name}: {path.stat().st_size} bytes, not under {MAX_BYTES}")
        for w in d.title:
            if not re.fullmatch(r"(en|cy)\d\d", w) and w not in d.body_vocab:
                out.append(f"{name}: file-name word {w!r} does not occur in the text")
    extra = {p.name for p in DOCS.iterdir()} - set(docs) if DOCS.exists() else set()
    out += [f"{n}: in docs/ but has no source" for n in sorted(extra)]
    return out


def compare_extraction(src: dict[str, Doc], files: dict[str, Doc]) -> list[str]:
    out = []
    for name in src:
        # numbers are left out: a spreadsheet stores "38,420,000" as 38420000
        a = Counter(w for w in src[name].seq if not re.fullmatch(r"[\d.]+", w))
        b = Counter(w for w in files[name].seq if not re.fullmatch(r"[\d.]+", w))
        lost, added = a - b, b - a
        if lost or added:
            out.append(
                f"{name}: extracted text differs from src: lost {dict(lost)} added {dict(added)}"
            )
    return out


def selftest() -> None:
    """The rules themselves, on textbook examples (fails loudly if someone edits them)."""
    fam = welsh_family
    assert {"cynllun", "gynllun", "nghynllun", "chynllun"} <= fam("cynllun")
    assert {"cynllun", "nghynllun", "chynllun"} <= fam("gynllun") and "cynllun" in fam("chynllun")
    assert {"plant", "blant", "mhlant", "phlant"} <= fam("plant") and "plant" in fam("mhlant")
    assert "hysgol" in fam("ysgol") and "ysgol" in fam("hysgol")
    assert "waharddiad" in fam("gwaharddiad") and "gwaharddiad" in fam("waharddiad")
    assert "lythyr" in fam("llythyr") and "llythyr" in fam("lythyr")
    assert "diogelu" in fam("ddiogelu") and "ddiogelu" in fam("diogelu")
    assert {"mhowys", "bowys"} <= fam("Powys") and "caerdydd" in fam("Nghaerdydd")
    assert "ngwyr" in fam("Gŵyr") and "gwyr" in fam("ngŵyr")
    assert not {"bordd", "mordd", "tdysgwyr"} & (fam("ffordd") | fam("dysgwyr"))
    assert words("Gŵyr, Llŷn, café, naïve, rôle, storïau, ym Mhowys'n") == [
        "gwyr",
        "llyn",
        "cafe",
        "naive",
        "role",
        "storiau",
        "ym",
        "mhowys",
        "n",
    ]
    assert stem("schools") == "school" and stem("bats") == "bat" and stem("mats") != "bat"
    d = Doc("x.txt", ["fat mat bats te blant"])
    assert not word_matches("bat", "en", Doc("x.txt", ["fat mat te"]))
    assert word_matches("bat", "en", d) == {"bats"} and word_matches("plant", "cy", d)
    assert not word_matches("the", "en", d)


def main(argv: list[str]) -> int:
    show, suggest, with_files = "--show" in argv, "--suggest" in argv, "--files" in argv
    selftest()
    src = load_src()
    queries = json.loads(QUERIES.read_text(encoding="utf-8")) if QUERIES.exists() else []
    problems = corpus_problems(src)
    corpora = [("src", src)]
    if with_files:
        files = load_files(sorted(src))
        problems += compare_extraction(src, files)
        corpora.append(("docs", files))

    disagreements: list[str] = []
    warnings: list[str] = []
    computed = []
    for i, q in enumerate(queries):
        tree = parse(q["q"])
        if q.get("lang") not in ("en", "cy"):
            problems.append(f"query {i} {q['q']!r}: lang must be en or cy")
        for label, docs in corpora:
            got = sorted(n for n, d in docs.items() if evaluate(tree, q["lang"], d))
            want = sorted(q.get("relevant", []))
            unknown = [n for n in want if n not in docs]
            if unknown:
                problems.append(f"query {q['q']!r}: unknown files {unknown}")
            if got != want:
                disagreements.append(
                    f"[{label}] {q['q']!r} ({q['lang']}, {q['kind']}): "
                    f"missing from queries.json {sorted(set(got) - set(want))}, "
                    f"listed but not relevant {sorted(set(want) - set(got))}"
                )
            if label == "src":
                computed.append({**q, "relevant": got})
                warnings += [f"{q['q']!r}: {w}" for w in warnings_for(q, tree, docs)]
                if show:
                    print(f"\n{q['q']!r} ({q['lang']}, {q['kind']}) -> {len(got)} files")
                    for name in got:
                        d = docs[name]
                        hits = sorted(
                            set().union(
                                *(
                                    word_matches(a, q["lang"], d)
                                    for k, a in leaves(tree)
                                    if k == "word"
                                )
                            )
                        )
                        print(f"    {name:34} {' '.join(hits)}")

    if suggest:
        print(json.dumps(computed, ensure_ascii=False, indent=1))
    kinds = Counter(q["kind"] for q in queries)
    langs = Counter(q["lang"] for q in queries)
    print(
        f"{len(src)} documents, {len(queries)} queries; kinds: "
        + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        + "; langs: "
        + ", ".join(f"{k} {n}" for k, n in sorted(langs.items()))
    )
    for title, items in (
        ("corpus problems", problems),
        ("warnings", warnings),
        ("disagreements", disagreements),
    ):
        print(f"{len(items)} {title}")
        for item in items:
            print("  " + item)
    return 1 if problems or disagreements else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
