"""Search: extraction of every format, the index kept after commit, permission-exact results
with escaped snippets, and the maintenance commands."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests import files
from vir.core.db import db
from vir.search.models import DocumentText

pytestmark = pytest.mark.search_backends


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {"VIR_SEARCH_ENABLED": True}


def _upload(client: Any, headers: dict, folder: int, name: str, data: bytes, **fields: str) -> dict:
    r = client.post(
        f"/api/v1/folders/{folder}/documents",
        headers=headers,
        data={"file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _search(client: Any, headers: dict, q: str, **params: str) -> Any:
    return client.get("/api/v1/search", headers=headers, query_string={"q": q, **params})


def _status(app: Any, document_id: int) -> DocumentText:
    from vir.documents.models import Document

    with app.app_context():
        version = db.session.get(Document, document_id).current
        row = db.session.get(DocumentText, version.id)
        db.session.expunge(row)
        return row


PROBES = {
    "plan.pdf": (lambda: files.pdf("Attendance Strategy zebra"), "zebra"),
    "plan.docx": (lambda: files.docx("Leadership quokka review"), "quokka"),
    "data.xlsx": (lambda: files.xlsx("Exclusions narwhal"), "narwhal"),
    "slides.pptx": (lambda: files.pptx("Progress ocelot"), "ocelot"),
    "cynllun.odt": (lambda: files.odf("text", "Cynllun gwella ysgolion"), "ysgolion"),
    "paper.rtf": (lambda: files.rtf("Council pangolin paper"), "pangolin"),
    "notes.txt": (lambda: b"Attendance wombat notes\n", "wombat"),
    "figures.csv": (lambda: b"school,axolotl\nYsgol,93\n", "axolotl"),
}


def test_every_format_is_extracted_and_found(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    ids = {}
    for name, (make, _probe) in PROBES.items():
        ids[name] = _upload(client, editor, folder, name, make())["id"]
    for name, (_make, probe) in PROBES.items():
        assert _status(app, ids[name]).status == "indexed", name
        hits = _search(client, editor, probe).get_json()["results"]
        assert [h["document_id"] for h in hits] == [ids[name]], (name, hits)
    image = _upload(client, editor, folder, "chart.png", files.png())
    assert _status(app, image["id"]).status == "no_text"


def test_broken_file_fails_its_own_indexing(app, client, auth, world):
    broken = b"%PDF-1.4\n" + b"\x00garbage" * 200
    doc = _upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        "broken.pdf",
        broken,
    )
    row = _status(app, doc["id"])
    assert row.status == "failed" and row.reason
    # The worker and the web process carry on.
    assert client.get("/health").status_code == 200


def test_query_language_and_snippets(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    _upload(
        client,
        editor,
        folder,
        "plan.txt",
        b"The plan improves attendance of pupils <11 & over in secondary schools.",
        category="improvement_plan",
    )
    _upload(
        client,
        editor,
        folder,
        "structure.txt",
        b"Directorate structure and attendance.",
        category="organisation_structure",
    )
    body = _search(client, editor, "attendance").get_json()
    assert body["total"] == 2
    snippet = next(h["snippet"] for h in body["results"] if h["filename"] == "plan.txt")
    assert "<mark>attendance</mark>" in snippet
    assert "<11" not in snippet and "&lt;11 &amp; over" in snippet
    assert _search(client, editor, '"secondary schools"').get_json()["total"] == 1
    assert _search(client, editor, "attendance NOT directorate").get_json()["total"] == 1
    assert _search(client, editor, "attend*").get_json()["total"] == 2
    assert (
        _search(client, editor, "attendance", category="organisation_structure").get_json()["total"]
        == 1
    )
    assert _search(client, editor, "category:organisation_structure").get_json()["total"] == 1
    bad = _search(client, editor, '"unclosed (')
    assert bad.status_code in (200, 422)
    assert _search(client, editor, "").status_code == 422


def test_results_are_permission_exact(app, client, auth, world):
    inspector = auth.token("inspector")
    _upload(
        client,
        inspector,
        world.folders[("cardiff", "inspectors")],
        "notes.txt",
        b"Confidential inspector view on attendance",
    )
    _upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        "plan.txt",
        b"Provider plan on attendance",
    )
    coordinator = auth.token("coordinator")
    _upload(
        client,
        coordinator,
        world.folders[("swansea", "inspectors")],
        "sw.txt",
        b"Swansea attendance notes",
    )
    seen = {
        role: {
            h["filename"]
            for h in _search(client, auth.token(role), "attendance").get_json()["results"]
        }
        for role in (
            "provider_editor",
            "provider_viewer",
            "inspector",
            "coordinator",
            "auditor",
            "partner",
            "stakeholder",
            "admin",
        )
    }
    assert seen["provider_editor"] == seen["provider_viewer"] == {"plan.txt"}
    assert seen["auditor"] == {"plan.txt"}
    assert seen["inspector"] == {"plan.txt", "notes.txt"}
    assert seen["coordinator"] == {"plan.txt", "notes.txt", "sw.txt"}
    assert seen["partner"] == seen["admin"] == seen["stakeholder"] == set()
    counts = _search(client, auth.token("provider_editor"), "confidential").get_json()
    assert counts["total"] == 0  # not even a count leaks
    # Revoking the assignment takes effect on the next request.
    admin = auth.token("admin")
    client.delete(f"/api/v1/users/{world.users['inspector']}/assignments/cardiff", headers=admin)
    assert _search(client, inspector, "attendance").get_json()["total"] == 0


def test_trash_and_new_versions_update_the_index(app, client, auth, world, runner):
    editor = auth.token("provider_editor")
    doc = _upload(
        client,
        editor,
        world.folders[("cardiff", "provider")],
        "plan.txt",
        b"first draft mentions kestrels",
    )
    client.post(
        f"/api/v1/documents/{doc['id']}/versions",
        headers=editor,
        data={"file": (io.BytesIO(b"second draft mentions herons"), "plan.txt")},
        content_type="multipart/form-data",
    )
    assert _search(client, editor, "kestrels").get_json()["total"] == 0
    assert _search(client, editor, "herons").get_json()["total"] == 1
    client.delete(f"/api/v1/documents/{doc['id']}", headers=editor)
    assert _search(client, editor, "herons").get_json()["total"] == 0
    client.post(f"/api/v1/documents/{doc['id']}/restore", headers=editor)
    assert _search(client, editor, "herons").get_json()["total"] == 1
    check = runner.invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output
    rebuilt = runner.invoke(args=["search", "reindex"])
    assert "indexed" in rebuilt.output
    assert runner.invoke(args=["search", "reindex", "--provider", "cardiff"]).exit_code == 0
    assert _search(client, editor, "herons").get_json()["total"] == 1
    # A whole rebuild replaces the index: no segment of dead entries is kept, however often.
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    if app.config["VIR_SEARCH_BACKEND"] == "whoosh":
        from vir.search import index as idx

        with app.app_context(), idx.searcher() as s:
            live = db.session.query(DocumentText).filter(DocumentText.indexed_at.isnot(None))
            assert s.doc_count_all() == s.doc_count() <= live.count()
            assert s.doc_count() >= 1


def test_welsh_words_are_found_as_written(app, client, auth, world):
    editor = auth.token("provider_editor")
    _upload(
        client,
        editor,
        world.folders[("cardiff", "provider")],
        "cynllun.txt",
        "Mae’r cynllun yn gwella presenoldeb mewn ysgolion cynradd.".encode(),
    )
    assert _search(client, editor, "presenoldeb").get_json()["total"] == 1
    assert _search(client, editor, '"ysgolion cynradd"').get_json()["total"] == 1


def test_search_page(app, client, auth, world):
    _upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        "plan.txt",
        b"attendance figures",
    )
    auth.login("provider_editor")
    page = client.get("/search?q=attendance").get_data(as_text=True)
    assert "<mark>attendance</mark>" in page and "1 result" in page
    assert client.get("/search").status_code == 200


def test_facets_suggestions_dates_and_more_like_this(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    a = _upload(
        client,
        editor,
        folder,
        "a.txt",
        b"attendance strategy for secondary schools and attendance officers",
        category="improvement_plan",
    )
    _upload(
        client,
        editor,
        folder,
        "b.txt",
        b"secondary schools attendance data tables",
        category="data",
    )
    _upload(
        client,
        auth.token("inspector"),
        world.folders[("cardiff", "inspectors")],
        "c.txt",
        b"inspector notes: attendance of secondary schools, hidden word zorblax",
    )
    assert _search(client, editor, "attendance").get_json()["facets"] == {}  # asked for only
    body = _search(client, editor, "attendance", facets="true").get_json()
    assert body["facets"]["area"] == {"provider": 2}  # nothing counted from the inspectors area
    assert body["facets"]["category"] == {"improvement_plan": 1, "data": 1}
    assert _search(client, editor, "atendance").get_json()["suggestion"] == "attendance"
    # A word only in a document the caller cannot see is never suggested.
    assert _search(client, editor, "zorblix").get_json()["suggestion"] is None
    assert _search(client, auth.token("inspector"), "zorblix").get_json()["suggestion"] == "zorblax"
    assert _search(client, editor, "attendance", **{"from": "2000-01-01"}).get_json()["total"] == 2
    assert _search(client, editor, "attendance", to="2000-01-01").get_json()["total"] == 0
    dated = _search(client, editor, "attendance", sort="date").get_json()["results"]
    assert dated[0]["filename"] == "b.txt"
    similar = client.get(f"/api/v1/documents/{a['id']}/similar", headers=editor).get_json()
    assert [h["filename"] for h in similar] == ["b.txt"]
    detail = client.get(f"/api/v1/documents/{a['id']}", headers=editor).get_json()
    assert detail["index_status"] == "indexed"
    auth.login("provider_editor")
    page = client.get("/search?q=atendance").get_data(as_text=True)
    assert "Did you mean" in page
    page = client.get("/search?q=attendance&category=data").get_data(as_text=True)
    assert "1 result" in page
    doc_page = client.get(f"/documents/{a['id']}").get_data(as_text=True)
    assert "More like this" in doc_page and "Indexed" in doc_page


def test_forwarded_evidence_is_searchable_only_once_accepted(app, client, auth, world):
    partner, editor = auth.token("partner"), auth.token("provider_editor")
    r = client.post(
        "/api/v1/providers/cardiff/forwards",
        headers=partner,
        data={"file": (io.BytesIO(files.pdf("Consortium capybara review")), "review.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201
    assert _search(client, editor, "capybara").get_json()["total"] == 0  # not shared yet
    accepted = client.post(
        f"/api/v1/forwards/{r.get_json()['id']}/accept",
        headers=editor,
        json={"folder_id": world.folders[("cardiff", "provider")]},
    )
    assert accepted.status_code == 201
    hits = _search(client, editor, "capybara").get_json()
    assert [h["document_id"] for h in hits["results"]] == [
        accepted.get_json()["accepted_into"]["document_id"]
    ]
    assert _search(client, auth.token("inspector"), "capybara").get_json()["total"] == 1
    theirs = _search(client, partner, "capybara")  # the sender reads no room, so finds nothing
    assert theirs.status_code != 200 or theirs.get_json()["total"] == 0


@pytest.mark.whoosh_only
def test_an_index_written_by_an_earlier_vir_is_replaced_and_rebuilt(app, client, auth, world):
    """An index in the old postings format (Whoosh's default name) is never read with the new
    one: it is removed, and the index is rebuilt from the stored text."""
    from whoosh import index
    from whoosh.fields import ID, Schema

    from vir.search import index as idx

    editor, inspector = auth.token("provider_editor"), auth.token("inspector")
    _upload(
        client,
        editor,
        world.folders[("cardiff", "provider")],
        "old.txt",
        b"Attendance capybara notes\n",
    )
    assert _search(client, inspector, "capybara").get_json()["total"] == 1
    with app.app_context():
        directory = idx.index_dir()
        idx.reset()
        for path in directory.glob(f"*{idx.INDEX_NAME}*"):
            path.unlink()
        index.create_in(directory, Schema(id=ID(stored=True)))  # what an earlier VIR left
    assert list(directory.glob("*MAIN*"))
    assert _search(client, inspector, "capybara").get_json()["total"] == 1
    assert not list(directory.glob("*MAIN*"))


def test_no_readable_rooms_means_no_results(app, client, auth, world):
    """An empty permission filter must filter everything (Whoosh treats an empty set as no
    filter at all, so VIR never hands it one)."""
    editor = auth.token("provider_editor")
    _upload(client, editor, world.folders[("cardiff", "provider")], "q.txt", b"quasar plan")
    inspector = auth.token("inspector")
    assert _search(client, inspector, "quasar").get_json()["total"] == 1
    client.delete(
        f"/api/v1/users/{world.users['inspector']}/assignments/cardiff", headers=auth.token("admin")
    )
    body = _search(client, inspector, "quasar", facets="true").get_json()
    assert body["total"] == 0 and body["results"] == [] and body["suggestion"] is None
    assert _search(client, inspector, "quasr").get_json()["suggestion"] is None


@pytest.mark.parametrize(
    "text",
    [
        "Attendance strategy: the pupils' attendance improved; attendance officers attend.",
        "Mae’r cynllun yn gwella presenoldeb mewn ysgolion cynradd a’r ysgol uwchradd.",
        "A a I i e.g. U.K. 3.14 x*y wild* İstanbul ÉCOLE naïve café—dash_underscore 2027-03-10",
        "the the the of and to in is it",
        "",
        "   ",
        "ΑΒΓ δέλτα Ωμέγα; 漢字 かな",
    ],
)
def test_fast_indexing_gives_the_analyzers_terms(text):
    """FastText indexes exactly what Whoosh's own analysers would: terms, counts, positions."""
    from whoosh.fields import TEXT

    from vir.search.index import SCHEMA, FastText

    def decoded(field: Any, postings: Any) -> list:
        return sorted(
            (term, freq, weight, field.format.decode_positions(value))
            for term, freq, weight, value in postings
        )

    for name in ("content", "exact"):
        fast = SCHEMA[name]
        assert isinstance(fast, FastText)
        plain = TEXT(analyzer=fast.analyzer, phrase=True)
        assert decoded(fast, fast.index(text)) == decoded(plain, plain.index(text)), name


@pytest.mark.parametrize(
    "text",
    [
        "Cynllun gwella ysgolion: the school's plan, plan, plan 2027-03-10 naïve café",
        " ".join(f"word{n % 900}" for n in range(20_000)),  # positions past 16,383
        "again " * 300 + "once",  # more than 256 positions of one word
        "",
    ],
)
def test_tsvector_entries_in_one_pass_are_the_careful_ones(text):
    """A rebuild writes most fields' tsvector entries in one comprehension; they are exactly
    what the term-by-term path (quoting, cutting to PostgreSQL's limits) gives."""
    from vir.search import pg_backend
    from vir.search.index import term_positions

    for stemmed in (True, False):
        positions = term_positions(text, stemmed=stemmed, start=1)
        fast: list[str] = []
        careful: list[str] = []
        left = pg_backend._entries(fast, "c", "", positions, pg_backend.MAX_LEXEME_BYTES)
        assert left == pg_backend._careful_entries(
            careful, "c", "", positions, pg_backend.MAX_LEXEME_BYTES
        )
        assert fast == careful
    # and a budget too small for the field: its first terms are kept, as before
    positions = term_positions(text, stemmed=False, start=1)
    fast, careful = [], []
    assert pg_backend._entries(fast, "e", "", positions, 40) == pg_backend._careful_entries(
        careful, "e", "", positions, 40
    )
    assert fast == careful


WORDS = (
    "attendance",
    "leadership",
    "pupils",
    "ysgol",
    "disgyblion",
    "cynllun",
    "budget",
    "strategy",
    "wellbeing",
    "the",
    "a",
    "plan",
)
SCORING_QUERIES = [
    "attendance",
    "Attendance pupils",
    "attendance OR budget",
    "attendance NOT budget",
    "NOT ysgol",
    "(attendance OR wellbeing) AND cynllun",
    "ysgol^2 pupils",
    "missingword",
    "attendance missingword",
    "category:plan",
    "category:plan attendance",
    "provider:cardiff OR strategy",
    "a the",
    "disgyblion OR (budget NOT leadership)",
    "title:plan^3 OR exact:ysgol",
    "filename:notes",
    "(pupils budget)^1.5 OR cynllun",
    '"attendance pupils"',
    '"the pupils"',
    '"ysgol ysgol cynllun"',
    '"budget strategy"^2',
    '"pupils attendance" OR wellbeing',
    '"attendance nosuchword"',
    '"a"',
    'title:"plan 3"',
]


def _scoring_index(tmp_path: Any, codec: Any) -> Any:
    """An index of several segments, some with deletions, built with the project's schema."""
    import random
    from datetime import UTC, datetime, timedelta

    from whoosh import index

    from vir.search.index import SCHEMA

    rng = random.Random(5)
    ix = index.create_in(tmp_path, SCHEMA)
    n = 0
    for batch in range(4):  # one segment per commit
        with ix.writer(codec=codec) as w:
            for _ in range(60):
                body = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 120)))
                w.add_document(
                    id=str(n),
                    document_id=n,
                    version=1,
                    title=f"{rng.choice(WORDS)} {n}",
                    filename=f"{rng.choice(['notes', 'data'])}-{n}.pdf",
                    provider=rng.choice(["cardiff", "swansea", "powys"]),
                    area=rng.choice(["provider", "inspectors"]),
                    folder=str(n % 7),
                    category=rng.choice(["plan", "data", "other"]),
                    uploaded_at=datetime(2027, 1, 1, tzinfo=UTC) + timedelta(hours=n % 50),
                    content=body,
                    exact=body,
                )
                n += 1
        if batch:
            with ix.writer(codec=codec) as w:  # deletions in an older segment
                for gone in rng.sample(range(n - 60), 8):
                    w.delete_by_term("id", str(gone))
    return ix


@pytest.mark.parametrize("codec", ["vir", "w3"])
@pytest.mark.parametrize(
    "allowed_text", ["", "provider:cardiff OR (provider:swansea area:provider)"]
)
def test_word_queries_score_exactly_as_whoosh_does(tmp_path, allowed_text, codec):
    """The numpy path matches, orders and counts as Whoosh does, with the same BM25F, both
    taking term statistics from the readable documents only (scoring.ReadableBM25F)."""
    """vir.search.scoring gives Whoosh's matches, scores, order and facet counts, on blocks
    written by vir.search.codec and by Whoosh's own codec."""
    import numpy as np
    from whoosh import sorting
    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.qparser import QueryParser
    from whoosh.query import Every
    from whoosh.searching import Searcher

    from vir.search import scoring
    from vir.search.index import CODEC
    from vir.search.queries import FACETS, parse

    ix = _scoring_index(tmp_path, CODEC if codec == "vir" else W3Codec())
    with ix.searcher() as s:
        assert not s.is_atomic()
        allowed = QueryParser("content", ix.schema).parse(allowed_text) if allowed_text else Every()
        docs = set(s.docs_for_query(allowed))
        mask = np.zeros(s.doc_count_all(), dtype=bool)
        mask[list(docs)] = True
        stats = scoring.Stats(s, mask)
        whoosh = Searcher(
            s.reader(), weighting=scoring.ReadableBM25F(stats, s.weighting), closereader=False
        )
        for text in SCORING_QUERIES:
            q = parse(text)
            assert scoring.supports(q, s), (text, q)
            mine = scoring.run(s, q, mask)
            hits = whoosh.search(q, limit=None, filter=docs, groupedby=list(FACETS))
            theirs = {h.docnum: h.score for h in hits}
            assert set(np.flatnonzero(mine.mask)) == set(theirs), text
            assert mine.total == len(hits), text
            if text in ("attendance", '"attendance pupils"', '"ysgol ysgol cynllun"'):
                assert hits, text  # the corpus gives these something to find
            for docnum, score in theirs.items():
                assert mine.scores[docnum] == pytest.approx(score, rel=1e-9), (text, docnum)
            assert [d for d, _ in mine.top(s, 10)] == [h.docnum for h in hits[:10]], text
            assert scoring.facets(s, mine.mask, FACETS) == {
                name: {k: len(v) for k, v in hits.groups(name).items()} for name in FACETS
            }
            newest = whoosh.search(
                q, limit=None, filter=docs, sortedby=sorting.FieldFacet("uploaded_at", reverse=True)
            )
            dates = [
                s.stored_fields(d)["uploaded_at"]
                for d, _ in mine.newest(s, "uploaded_at", len(hits))
            ]
            assert dates == [h["uploaded_at"] for h in newest], text
        # Anything else is left to Whoosh.
        for text in ('"attendance pupils"~3', "attend*", "uploaded_at:2027"):
            assert not scoring.supports(parse(text), s), text


def test_writers_spilling_to_disk_and_the_codec_write_the_same_index(tmp_path):
    """Postings sorted in runs on disk (written and read in chunks by vir.search.index), and
    blocks laid out by vir.search.codec, give the same postings as Whoosh's own writer."""
    import random

    from whoosh import index
    from whoosh.codec.whoosh3 import W3Codec

    from vir.search import index as idx

    rng = random.Random(9)
    bodies = [
        " ".join(
            rng.choice(WORDS + tuple(f"w{i}" for i in range(300)))
            for _ in range(rng.randrange(1, 400))
        )
        for _ in range(300)
    ]
    built = {}
    for name, limitmb, codec in (
        ("memory", 256, W3Codec()),
        ("runs", 1, W3Codec()),
        ("vir", 256, idx.CODEC),
    ):
        (tmp_path / name).mkdir()
        ix = index.create_in(tmp_path / name, idx.SCHEMA)
        w = ix.writer(limitmb=limitmb, codec=codec)
        for n, body in enumerate(bodies):
            w.add_document(
                id=str(n),
                document_id=n,
                title=f"{body[:30]} {n}",
                content=body,
                exact=body,
                category="plan" if n % 3 else "data",
            )
        if name == "runs":
            assert len(w.pool.runs) > 2  # the limit really made it spill
        w.commit()
        with ix.searcher() as s:
            r = s.reader()
            built[name] = {}
            for f, t in r.all_terms():
                m, postings = r.postings(f, t), []
                while m.is_active():
                    postings.append((m.id(), m.weight(), m.value()))
                    m.next()
                built[name][(f, t)] = postings
    assert built["memory"] == built["runs"] == built["vir"] and len(built["runs"]) > 300


def test_purging_indexed_documents_removes_their_text(app, client, auth, world, runner):
    """`vir documents purge` crashed on any indexed document (SQLAlchemy tried to blank the
    text row's key), so nothing was purged and the forwards purge after it never ran."""
    editor = auth.token("provider_editor")
    doc = _upload(
        client,
        editor,
        world.folders[("cardiff", "provider")],
        "old.txt",
        b"purgeable kestrel notes",
    )
    assert client.delete(f"/api/v1/documents/{doc['id']}", headers=editor).status_code == 204
    result = runner.invoke(args=["documents", "purge", "--older-than-days", "0"])
    assert result.exit_code == 0, result.output
    assert "purged 1" in result.output
    with app.app_context():
        from vir.documents.models import DocumentVersion

        assert db.session.query(DocumentVersion).filter_by(document_id=doc["id"]).count() == 0
        assert db.session.query(DocumentText).count() == db.session.query(DocumentVersion).count()
    assert _search(client, editor, "kestrel").get_json()["total"] == 0


def test_a_page_of_results_costs_the_same_statements_however_many_hits(app, client, auth, world):
    """Each hit's folder and room were loaded one by one for the access check (N+1); the
    hits here are in nine folders."""
    from tests.test_hardening import _statements

    editor = auth.token("provider_editor")
    inspector = auth.token("inspector")
    folder = world.folders[("cardiff", "provider")]
    for n in range(2):
        _upload(client, editor, folder, f"a{n}.txt", b"statements wombat")

    def search() -> None:
        assert _search(client, inspector, "wombat").status_code == 200

    search()  # warm: the searcher is opened
    few = _statements(app, search)
    for n in range(8):  # each in a folder of its own
        made = client.post(
            "/api/v1/providers/cardiff/folders",
            headers=editor,
            json={"name": f"Evidence {n}", "area": "provider"},
        )
        assert made.status_code == 201, made.get_json()
        _upload(client, editor, made.get_json()["id"], f"b{n}.txt", b"statements wombat")
    search()
    assert _search(client, inspector, "wombat").get_json()["total"] == 10
    assert _statements(app, search) == few


@pytest.mark.parametrize("rank_limit", [200, 2])
def test_pages_totals_and_facets_agree(app, client, auth, world, monkeypatch, rank_limit):
    """The page, the total and the facets come from one pass over the matches (on PostgreSQL
    one statement): every page reports the same total, the pages together hold each match
    once, a page past the last is empty with the total still right, and the facets add up
    to it. ``rank_limit`` 2: PostgreSQL scores from each document's small vector, as for a
    common word, and a word in the title still ranks first."""
    from vir.search import pg_backend

    monkeypatch.setattr(pg_backend, "FULL_RANK_LIMIT", rank_limit)
    editor = auth.token("provider_editor")
    inspector = auth.token("inspector")
    folder = world.folders[("cardiff", "provider")]
    ids = [
        _upload(client, editor, folder, f"p{n}.txt", f"pagingword note {n}".encode())["id"]
        for n in range(5)
    ]
    titled = _upload(
        client, editor, folder, "t.txt", b"pagingword pagingword summary", title="Pagingword plan"
    )["id"]
    ids.append(titled)
    seen = []
    for page in (1, 2, 3):
        r = _search(client, inspector, "pagingword", per_page="2", page=str(page), facets="true")
        body = r.get_json()
        assert r.status_code == 200 and body["total"] == 6, body
        assert sum(body["facets"]["provider"].values()) == 6
        seen += [h["document_id"] for h in body["results"]]
    assert sorted(seen) == sorted(ids)
    assert seen[0] == titled
    past = _search(client, inspector, "pagingword", per_page="2", page="9").get_json()
    assert past["results"] == [] and past["total"] == 6
    past = _search(client, inspector, "pagingword", per_page="2", page="9", facets="true")
    assert past.get_json()["total"] == 6
    newest = _search(client, inspector, "pagingword", sort="date", per_page="50").get_json()
    dates = [h["uploaded_at"] for h in newest["results"]]
    assert dates == sorted(dates, reverse=True) and newest["total"] == 6


@pytest.mark.whoosh_only
def test_segments_are_read_where_they_lie(app, client, auth, world):
    """Whoosh reads a compound segment through a copy of each file in it, so each searching
    process held the whole index in memory (630 MB at 10,000 documents): the index is
    written as separate files, which are read through the operating system's cache."""
    from vir.search import index as idx

    folder = world.folders[("cardiff", "provider")]
    for n in range(3):
        _upload(client, auth.token("provider_editor"), folder, f"s{n}.txt", b"segment heron")
    with app.app_context():
        names = [p.name for p in idx.index_dir().iterdir()]
    assert not [n for n in names if n.endswith(".seg")], names
    assert [n for n in names if n.endswith(".pst")]
    assert _search(client, auth.token("inspector"), "heron").get_json()["total"] == 3


@pytest.mark.whoosh_only
def test_a_generation_replaced_while_a_searcher_opens_it_is_read_again(
    app, client, auth, world, monkeypatch
):
    """Under load, the worker's commit deleted the generation a web worker had just chosen:
    FileNotFoundError for _VIR4_n.toc, and the search answered 500."""
    from whoosh.filedb.filestore import FileStorage

    from vir.search import index as idx

    _upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        "a.txt",
        b"generation wombat",
    )
    idx.reset()
    plain = FileStorage.open_file
    failed = []

    def open_file(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        if name.endswith(".toc") and not failed:
            failed.append(name)
            raise FileNotFoundError(name)
        return plain(self, name, *args, **kwargs)

    monkeypatch.setattr(FileStorage, "open_file", open_file)
    r = _search(client, auth.token("inspector"), "wombat")
    assert r.status_code == 200 and r.get_json()["total"] == 1 and failed


@pytest.mark.whoosh_only
def test_the_permission_mask_is_exactly_what_whoosh_matches(app, client, auth, world):
    """The filter is built from remembered postings (numpy), not Whoosh's matcher: the same
    documents for every shape of filter, deleted ones out, across several segments."""
    from datetime import timedelta

    import numpy as np
    from whoosh.query import And, DateRange, NullQuery, Or, Term

    from vir.core.db import utcnow
    from vir.search import index as idx

    editor = auth.token("provider_editor")
    ids = []
    folder = world.folders[("cardiff", "provider")]
    for n in range(6):  # one commit each: several segments (or fewer, merged)
        ids.append(_upload(client, editor, folder, f"m{n}.txt", b"mask words", category="data"))
    client.delete(f"/api/v1/documents/{ids[1]['id']}", headers=editor)
    now = utcnow()
    shapes = [
        Term("provider", "cardiff"),
        And([Term("provider", "cardiff"), Term("area", "provider")]),
        Or(
            [And([Term("provider", "swansea"), Term("area", "provider")]), Term("category", "data")]
        ),
        And([Term("provider", "cardiff"), DateRange("uploaded_at", now - timedelta(days=1), None)]),
        Term("provider", "nowhere"),
        NullQuery,
    ]
    with app.app_context(), idx.searcher() as s:
        assert len(list(s.leaf_searchers())) >= 1
        for q in shapes:
            want = np.zeros(s.doc_count_all(), dtype=bool)
            want[list(s.docs_for_query(q))] = True
            assert (idx.allowed_mask(s, q) == want).all(), q
            assert set(idx.allowed_docs(s, q)) == set(np.flatnonzero(want)), q


def test_the_provider_facet_shows_names_in_the_reader_s_language(app, client, auth, world):
    _upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        "plan.txt",
        b"attendance figures",
    )
    auth.login("inspector")
    page = client.get("/search?q=attendance").get_data(as_text=True)
    assert ">Cardiff Council</a> (1)" in page and ">cardiff</a>" not in page
    client.post("/language", data={"locale": "cy", "next": "/"})
    page = client.get("/search?q=attendance").get_data(as_text=True)
    assert ">Cyngor Caerdydd</a> (1)" in page


EQUIVALENCE_CORPUS = {
    "attendance.txt": "Attendance strategy: the plan improves attendance in secondary schools.",
    "exclusions.txt": "Exclusions fell; the attendance officer's review of persistent absence.",
    "cynllun.txt": "Mae’r cynllun yn gwella presenoldeb yn ysgolion Gŵyr a Llŷn; ei gynllun iaith.",
    "budget.txt": "Budget planning for 2027: school improvement grants and the planned review.",
    "leadership.txt": "Leadership and governance: the leaders planned a strategy for governors.",
    "safeguarding.txt": "Safeguarding policy, policies reviewed; attendence figures misspelt here.",
}
EQUIVALENCE_QUERIES = [
    "attendance",
    "attendance strategy",
    "attendance OR budget",
    "attendance NOT exclusions",
    '"attendance strategy"',
    '"persistent absence"',
    '"planning school"~3',
    "plan*",
    "gov*",
    "polic?",
    "attendance~",
    "atendance~2",
    "title:budget",
    "content:reviewing",
    "exact:planned",
    "filename:leadership",
    "cynllun",
    "nghynllun",
    "presenoldeb",
    "Gwyr",
    "llyn",
    "uploaded_at:[2020 TO 2100] AND review",
    "category:other AND attendance",
    "NOT attendance",
    "(attendance OR leaders) AND NOT policy",
    "zzzunknown",
]


@pytest.mark.whoosh_only
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_both_back_ends_find_the_same_documents(app, client, auth, world, runner):
    """A fixed corpus indexed by both back ends, and a query set covering the query language
    (words, AND/OR/NOT, phrases, near phrases, prefixes, wildcards, fuzzy words, fields,
    dates, Welsh mutations and folding): each query finds the same documents on both."""
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    for name, text in EQUIVALENCE_CORPUS.items():
        _upload(client, editor, folder, name, text.encode())
    app.config["VIR_SEARCH_BACKEND"] = "postgres"
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0

    def found(backend: str) -> dict[str, Any]:
        app.config["VIR_SEARCH_BACKEND"] = backend
        out = {}
        for q in EQUIVALENCE_QUERIES:
            r = _search(client, editor, q, per_page="50")
            assert r.status_code == 200, (backend, q, r.get_json())
            out[q] = sorted(hit["title"] for hit in r.get_json()["results"])
        return out

    whoosh, postgres = found("whoosh"), found("postgres")
    for q in EQUIVALENCE_QUERIES:
        assert whoosh[q] == postgres[q], q
    # The set is worth comparing: most queries find something, and not everything.
    assert sum(1 for q in EQUIVALENCE_QUERIES if 0 < len(whoosh[q]) < 6) >= 20


@pytest.mark.parametrize("database_url", ["pgsearch"], indirect=True)
def test_a_rebuild_on_postgresql_never_leaves_search_empty(app, client, auth, world, monkeypatch):
    """`vir search reindex` on PostgreSQL replaces the whole index in one transaction: a search
    while it runs (here slowed down, in a thread of its own) still finds what it found before,
    and afterwards finds the same."""
    import threading

    from vir.search import pg_backend

    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    for n in range(4):
        _upload(client, editor, folder, f"p{n}.txt", f"rebuildword paper {n}".encode())
    assert _search(client, editor, "rebuildword").get_json()["total"] == 4
    real = pg_backend.vector
    started = threading.Event()

    def slow(fields: dict) -> Any:
        started.set()
        import time

        time.sleep(0.2)
        return real(fields)

    monkeypatch.setattr(pg_backend, "vector", slow)

    def rebuild() -> None:
        from vir.search.operations import reindex

        with app.app_context():
            reindex()

    thread = threading.Thread(target=rebuild)
    thread.start()
    assert started.wait(10)
    seen = []
    while thread.is_alive():
        seen.append(_search(client, editor, "rebuildword").get_json()["total"])
    thread.join()
    assert seen and set(seen) == {4}, seen
    assert _search(client, editor, "rebuildword").get_json()["total"] == 4


@pytest.mark.parametrize("database_url", ["pgsearch"], indirect=True)
def test_a_rebuild_on_postgresql_in_worker_processes_writes_the_same_index(
    app, client, auth, world, monkeypatch
):
    """A rebuild past its first batch makes its terms in worker processes; the index it
    writes is the one this process alone writes, and a worker that dies costs nothing."""
    from sqlalchemy import text

    from vir.search import pg_backend
    from vir.search.operations import reindex

    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    for n in range(7):
        body = f"Cynllun gwella {n}: ei gynllun, attendance plans {'again ' * n}".encode()
        _upload(client, editor, folder, f"plan-{n}.txt", body)
    monkeypatch.setattr(pg_backend, "BATCH", 2)

    def index_now() -> tuple[list, list]:
        with app.app_context():
            assert reindex() >= 7  # and the world's documents
            entries = db.session.execute(
                text(
                    "SELECT document_id, version, terms::text, rank_terms::text "
                    "FROM search_entries ORDER BY document_id"
                )
            ).all()
            words = db.session.scalars(text("SELECT word FROM search_words ORDER BY word")).all()
            return entries, words

    monkeypatch.setattr(pg_backend, "VECTOR_PROCESSES", 0)
    alone = index_now()
    monkeypatch.setattr(pg_backend, "VECTOR_PROCESSES", 2)
    assert index_now() == alone

    class Dying(pg_backend.concurrent.futures.ProcessPoolExecutor):
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            future = pg_backend.concurrent.futures.Future()
            future.set_exception(pg_backend.BrokenProcessPool("killed"))
            return future

    monkeypatch.setattr(pg_backend.concurrent.futures, "ProcessPoolExecutor", Dying)
    assert index_now() == alone
    assert _search(client, editor, "gynllun").get_json()["total"] == 7


@pytest.mark.parametrize("database_url", ["pgsearch"], indirect=True)
def test_a_rebuild_by_a_database_user_that_does_not_own_the_index_still_commits(app, caplog):
    """Emptying GIN's pending list is for the index's owner only; another database user's
    rebuild leaves that to autovacuum and goes on in the same transaction."""
    from sqlalchemy import text

    from vir.search import pg_backend

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles "
                    "WHERE rolname = 'vir_test_not_owner') THEN "
                    "CREATE ROLE vir_test_not_owner NOLOGIN; END IF; END $$"
                )
            )
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL ROLE vir_test_not_owner"))
            pg_backend._clean_pending_list(conn)  # refused, and caught
            assert "left to autovacuum" in caplog.text
            assert conn.execute(text("SELECT current_user")).scalar() == "vir_test_not_owner"
        caplog.clear()
        with db.engine.begin() as conn:
            pg_backend._clean_pending_list(conn)  # the owner's: done
        assert "autovacuum" not in caplog.text


def test_a_worker_warms_up_before_its_first_search(app, client, auth, world, caplog):
    """The first search in a process loaded the word lists (170 ms) and, on Whoosh, each
    segment's field lengths and "did you mean" words (a first suggestion took 500 ms at
    5,000 documents) while a user waited. `warm()` (vir.wsgi and `vir serve` call it as a
    worker starts) loads them; a failure there is logged and never stops the worker."""
    from vir.search import analysis, vocabulary
    from vir.search.backend import get_backend
    from vir.search.operations import warm

    folder = world.folders[("cardiff", "provider")]
    _upload(client, auth.token("provider_editor"), folder, "w.txt", b"warming kestrel plan")
    vocabulary._VOCABULARIES.clear()
    analysis.welsh_words.cache_clear()
    with app.app_context():
        warm()
        whoosh = get_backend().name == "whoosh"
    assert analysis.welsh_words.cache_info().currsize == 1
    loaded = set(vocabulary._VOCABULARIES)
    if whoosh:  # every text field's words of every segment
        assert {field for _segment, field in loaded} == set(vocabulary.TEXT_FIELDS)
    # A misspelt search offers its suggestion from what was loaded, reading nothing new.
    found = _search(client, auth.token("inspector"), "kestrol").get_json()
    assert found["total"] == 0 and found["suggestion"] == "kestrel"
    assert set(vocabulary._VOCABULARIES) == loaded

    def broken() -> None:
        raise OSError("index unreadable")

    with app.app_context():
        backend = get_backend()
        plain = backend.warm
        backend.warm = broken
        try:
            warm()  # logged, not raised
        finally:
            backend.warm = plain
    assert "warming up failed" in caplog.text
    assert _search(client, auth.token("inspector"), "kestrel").get_json()["total"] == 1


def test_scores_are_numbers_when_a_readable_document_has_no_text(app, client, auth, world):
    """Whoosh gives no field length for a document whose text could not be read; as NaN it
    made every score of a search that could read such a document NaN, which is not JSON
    (JSON.parse refuses the answer), and the order of the hits arbitrary."""
    import json
    import math

    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    _upload(client, editor, folder, "broken.pdf", b"%PDF-1.4\n" + b"\x00junk" * 300)
    _upload(client, editor, folder, "a.txt", b"kestrel kestrel survey")
    _upload(client, editor, folder, "b.txt", b"kestrel survey of the estuary and its birds")
    r = _search(client, auth.token("inspector"), "kestrel")

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in a JSON answer")

    found = json.loads(r.get_data(as_text=True), parse_constant=refuse)
    scores = [hit["score"] for hit in found["results"]]
    assert len(scores) == 2 and all(math.isfinite(s) and s > 0 for s in scores), scores
    assert scores == sorted(scores, reverse=True)


def test_patterns_match_words_as_typed_not_their_stems(app, client, auth, world):
    """ "mars*" was stemmed to "mar*" in the content and title and found "market" and
    "marriage"; "running*" became "runn*". A pattern means the letters typed."""
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    ids = {
        name: _upload(client, editor, folder, f"{name}.txt", body.encode(), title=title)["id"]
        for name, title, body in (
            ("market", "Market towns", "The market and the marriage register."),
            ("marsh", "Wetlands", "Marshes and the marsh harrier."),
            ("mars", "Mars", "A school trip."),
            ("runs", "Cross-country", "Running clubs after school."),
        )
    }

    def found(q: str) -> set[int]:
        body = _search(client, editor, q, per_page="50").get_json()
        assert body["total"] == len(body["results"]), (q, body)
        return {h["document_id"] for h in body["results"]}

    assert found("mars*") == {ids["marsh"], ids["mars"]}
    assert found("content:mars*") == {ids["marsh"]}
    assert found("title:mars*") == {ids["mars"]}  # the title word as typed, though kept as a stem
    assert found("ma?sh") == {ids["marsh"]}
    assert found("running*") == {ids["runs"]}
    assert found("marr*") == {ids["market"]}
    snippet = next(
        h["snippet"]
        for h in _search(client, editor, "mars*").get_json()["results"]
        if h["document_id"] == ids["marsh"]
    )
    assert "<mark>" in snippet and "market" not in snippet
    r = _search(client, editor, "title:m?")
    assert r.status_code == 422 and "two letters" in r.get_json()["error"]["message"]
