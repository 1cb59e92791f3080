"""Benchmark: each search back end of VIR on a realistic corpus, with tantivy and SQLite FTS5
over the same texts and queries in the same run.

    .venv/bin/python -m bench.search [--docs 10000] [--queries 100] [--backends whoosh,postgres]

The corpus is bilingual and Zipf-distributed (words drawn with probability ~ 1/rank^1.1 from
the English and Welsh word lists VIR ships, from Debian's wamerican and aspell-cy; a third of
the documents in Welsh), 2–40 KB per document (log-uniform), with recurring phrases and
upload dates over three years. Rows are recorded with their text already extracted, on a
PostgreSQL database (as production runs), and each back end builds its index with
`vir.search.operations.reindex` (as `vir search reindex` does).

Queries go through the API (`GET /api/v1/search`, top 10 with snippets and the permission
filter) as an inspector assigned to one of two providers, in a fresh process per back end
that does nothing but search, so its memory is a web worker's; every query runs once untimed
first (a server's warm state), then timed. Reported per query kind: p50/p95 ms, the share
of hits whose snippet marks a match, and the ratio to tantivy's p50. Also: indexing
documents/s, how long a new document takes to become searchable (upload committed → found),
and the searching process's RSS.

Then ``--clients`` searchers at once (20 by default) against gunicorn with ``--workers`` sync
workers, for ``--seconds``: searches/s, latency and each worker's RSS.

Goals (issue 16), at 50k documents on both back ends: every kind p95 <= 50 ms, a misspelt
word <= 100 ms; indexing >= 300 docs/s; a new document searchable p95 <= 2 s; RSS <= 300 MB;
20 concurrent searchers at >= 100 searches/s on two cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

from bench.common import bench_app, percentile, postgres_database

DATA = Path(__file__).resolve().parent.parent / "vir" / "search" / "data"
KINDS = (
    "rare word",
    "common word",
    "two words AND",
    "phrase",
    "prefix",
    "date filter",
    "facets",
    "misspelt word",
)
START = datetime(2024, 1, 1, tzinfo=UTC)


def vocabulary(rng: random.Random) -> tuple[list[str], list[str]]:
    """English and Welsh words in a random order: the order is each word's Zipf rank."""

    def words(name: str, n: int) -> list[str]:
        with gzip.open(DATA / name, "rt", encoding="utf-8") as fh:
            found = [w for w in fh.read().split() if w.isalpha() and w.islower() and len(w) > 2]
        rng.shuffle(found)
        return found[:n]

    return words("en-words.txt.gz", 40_000), words("cy-words.txt.gz", 30_000)


class Corpus:
    def __init__(self, docs: int, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.en, self.cy = vocabulary(self.rng)
        self.weights = {}
        for name, vocab in (("en", self.en), ("cy", self.cy)):
            w = 1.0 / np.arange(1, len(vocab) + 1) ** 1.1
            self.weights[name] = w / w.sum()
        # recurring phrases: three to five mid-frequency words
        self.phrases = {
            name: [
                " ".join(vocab[self.rng.randrange(50, 3000)] for _ in range(self.rng.randint(3, 5)))
                for _ in range(300)
            ]
            for name, vocab in (("en", self.en), ("cy", self.cy))
        }
        self.texts: list[str] = []
        self.langs: list[str] = []
        self.dates: list[datetime] = []
        for _ in range(docs):
            lang = "cy" if self.rng.random() < 1 / 3 else "en"
            size = int(np.exp(self.rng.uniform(np.log(2_000), np.log(40_000))))
            self.texts.append(self.text(lang, size))
            self.langs.append(lang)
            self.dates.append(START + timedelta(seconds=self.rng.randrange(3 * 365 * 86400)))

    def text(self, lang: str, size: int) -> str:
        vocab = self.en if lang == "en" else self.cy
        n = max(20, size // 8)
        picks = self.np.choice(len(vocab), size=n, p=self.weights[lang])
        words = [vocab[i] for i in picks]
        for _ in range(n // 150):  # a recurring phrase every ~150 words
            at = self.rng.randrange(len(words))
            words[at:at] = self.rng.choice(self.phrases[lang]).split()
        return " ".join(words)

    def queries(self, kind: str, n: int) -> list[dict[str, str]]:
        rng = random.Random(kind)
        out = []
        for _ in range(n):
            lang = "cy" if rng.random() < 1 / 3 else "en"
            vocab = self.en if lang == "en" else self.cy
            common = vocab[rng.randrange(0, 20)]
            mid = vocab[rng.randrange(100, 2000)]
            rare = vocab[rng.randrange(5_000, 15_000)]
            if kind == "rare word":
                out.append({"q": rare})
            elif kind == "common word":
                out.append({"q": common})
            elif kind == "two words AND":
                out.append({"q": f"{mid} {vocab[rng.randrange(100, 2000)]}"})
            elif kind == "phrase":
                out.append({"q": '"' + rng.choice(self.phrases[lang]) + '"'})
            elif kind == "prefix":
                out.append({"q": mid[:4] + "*"})
            elif kind == "date filter":
                year = rng.choice((2024, 2025, 2026))
                out.append({"q": mid, "from": f"{year}-01-01", "to": f"{year}-06-30"})
            elif kind == "facets":
                out.append({"q": mid, "facets": "true"})
            else:  # misspelt: a mid word with a letter changed, found nowhere
                word = mid[:2] + ("q" if mid[2] != "q" else "x") + mid[3:]
                out.append({"q": word})
        return out


def record(folders: list, corpus: Corpus) -> None:
    """Rows for the corpus's documents, alternately in each folder, text already extracted."""
    from vir.core.db import db, utcnow
    from vir.documents.models import Document, DocumentVersion
    from vir.search.models import DocumentText, IndexStatus

    now = utcnow()
    for i, body in enumerate(corpus.texts):
        folder = folders[i % len(folders)]
        doc = Document(
            uid=secrets.token_hex(16),
            folder=folder,
            folder_id=folder.id,
            title=" ".join(body.split()[:6]),
            category="data",
        )
        version = DocumentVersion(
            document=doc,
            version=1,
            filename=f"paper-{i}.txt",
            media_type="text/plain",
            size=len(body),
            sha256="0" * 64,
            storage_backend="fs",
            storage_key=f"bench/{i}",
            uploaded_at=corpus.dates[i],
        )
        db.session.add_all([doc, version])
        db.session.flush()
        db.session.add(
            DocumentText(
                version_id=version.id, text=body, status=IndexStatus.INDEXED, extracted_at=now
            )
        )
        if i % 1000 == 999:
            db.session.commit()
    db.session.commit()


# --- the searching process ----------------------------------------------------------------------


def searcher(args: argparse.Namespace) -> None:
    """Run in a process of its own: the timed searches of one back end, printed as JSON."""
    from vir import create_app

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": args.database,
            "VIR_DATA_DIR": args.work,
            "VIR_STORAGE_DIR": str(Path(args.work) / "files"),
            "VIR_SEARCH_BACKEND": args.backend,
            "VIR_TASKS_IMMEDIATE": True,
            "VIR_RATE_LIMITS": False,
        }
    )
    corpus_queries = json.loads(Path(args.queries_file).read_text())
    client = app.test_client()
    headers = {"Authorization": f"Bearer {args.token}"}
    out: dict[str, Any] = {"kinds": {}}
    for kind, queries in corpus_queries.items():
        for q in queries:  # untimed: a running server's warm state
            client.get("/api/v1/search", headers=headers, query_string=q)
        times, hits, marked = [], 0, 0
        for q in queries:
            start = time.perf_counter()
            r = client.get("/api/v1/search", headers=headers, query_string=q)
            times.append((time.perf_counter() - start) * 1000)
            assert r.status_code == 200, (q, r.get_json())
            results = r.get_json()["results"]
            hits += len(results)
            marked += sum(1 for h in results if "<mark>" in h["snippet"])
        out["kinds"][kind] = {
            "p50": statistics.median(times),
            "p95": percentile(times, 95),
            "marked": marked / hits if hits else None,
            "hits": hits / len(queries),
        }
    # now, from /proc: ru_maxrss would report the parent's memory at the fork (the corpus)
    out["rss_mb"] = _rss_mb(os.getpid())
    # A new document, uploaded and committed, until this process finds it.
    fresh = []
    for n in range(args.fresh):
        word = f"freshword{secrets.token_hex(4)}"
        start = time.perf_counter()
        r = client.post(
            f"/api/v1/folders/{args.folder}/documents",
            headers=headers,
            data={"file": (_bytes(f"{word} {n} a new paper"), f"fresh-{n}.txt")},
            content_type="multipart/form-data",
        )
        assert r.status_code == 201, r.get_json()
        while True:
            found = client.get("/api/v1/search", headers=headers, query_string={"q": word})
            if found.get_json()["total"]:
                break
            time.sleep(0.01)
        fresh.append((time.perf_counter() - start) * 1000)
    out["fresh_p50"] = statistics.median(fresh) if fresh else None
    out["fresh_p95"] = percentile(fresh, 95) if fresh else None
    print(json.dumps(out))


def _bytes(text: str) -> Any:
    import io

    return io.BytesIO(text.encode())


# --- concurrent searchers, through gunicorn ------------------------------------------------------


def concurrent(
    args: argparse.Namespace,
    backend: str,
    url: str,
    work: Path,
    token: str,
    queries: dict[str, list[dict[str, str]]],
) -> dict[str, Any]:
    """``--clients`` searchers at once, each asking the next query of every kind as soon as
    it has its answer, for ``--seconds``, against gunicorn (``--workers`` sync workers, as
    deployed) on this machine's cores: searches/s, latency, each worker's RSS."""
    import http.client
    import threading
    import urllib.parse

    from bench.common import free_port

    port = free_port()
    env = {
        **os.environ,
        "VIR_DATABASE_URL": url,
        "VIR_DATA_DIR": str(work),
        "VIR_STORAGE_DIR": str(work / "files"),
        "VIR_SEARCH_BACKEND": backend,
        "VIR_SECRET_KEY": secrets.token_hex(32),
        "VIR_WORKERS": str(args.workers),
        "VIR_BIND": f"127.0.0.1:{port}",
        "VIR_CLAMD": "off",
        "VIR_RATE_LIMITS": "0",
        "VIR_ACCESS_LOG": str(work / f"access-{backend}.log"),
    }
    log = (work / f"gunicorn-{backend}.log").open("wb")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "-c", "python:vir.gunicorn_conf", "vir.wsgi:app"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    mixed = [q for kind in KINDS for q in queries[kind]]
    rng = random.Random(7)
    rng.shuffle(mixed)
    paths = ["/api/v1/search?" + urllib.parse.urlencode(q) for q in mixed]
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(paths[0]) == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer: see {log.name}")
            time.sleep(0.2)
        for path in paths:  # every worker warm: each query once per worker, roughly
            for _ in range(args.workers):
                get(path)
        times: list[float] = []
        errors = [0]
        stop = time.monotonic() + args.seconds
        lock = threading.Lock()

        def client(n: int) -> None:
            i = n * 37
            while time.monotonic() < stop:
                path = paths[i % len(paths)]
                i += 1
                start = time.perf_counter()
                status = get(path)
                took = (time.perf_counter() - start) * 1000
                with lock:
                    times.append(took)
                    if status != 200:
                        errors[0] += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - began
        workers = [
            pid for pid, (parent, _name, _cpu) in _processes().items() if parent == server.pid
        ]
        rss = [_rss_mb(pid) for pid in workers]
    finally:
        server.terminate()
        server.wait(30)
    return {
        "per_s": len(times) / elapsed,
        "p50": statistics.median(times),
        "p95": percentile(times, 95),
        "errors": errors[0],
        "worker_rss_mb": rss,
    }


def _processes() -> dict[int, tuple[int, str, float]]:
    from bench.common import processes

    return processes()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- the references -------------------------------------------------------------------------------


def fts5(corpus: Corpus, queries: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, uploaded UNINDEXED)")
    start = time.perf_counter()
    db.executemany(
        "INSERT INTO t(body, uploaded) VALUES (?, ?)",
        ((b, d.isoformat()) for b, d in zip(corpus.texts, corpus.dates, strict=True)),
    )
    db.commit()
    out: dict[str, Any] = {"docs_s": len(corpus.texts) / (time.perf_counter() - start), "kinds": {}}
    for kind, qs in queries.items():
        times, hits, marked = [], 0, 0
        for q in qs:
            match = q["q"] if q["q"].startswith('"') else " AND ".join(q["q"].split())
            sql = "SELECT rowid, snippet(t, 0, '<mark>', '</mark>', '…', 16) FROM t WHERE t MATCH ?"
            params: list[Any] = [match]
            if "from" in q:
                sql += " AND uploaded >= ? AND uploaded < ?"
                params += [q["from"], q["to"]]
            sql += " ORDER BY rank LIMIT 10"
            start = time.perf_counter()
            rows = db.execute(sql, params).fetchall()
            if q.get("facets"):
                db.execute("SELECT count(*) FROM t WHERE t MATCH ?", [match]).fetchone()
            times.append((time.perf_counter() - start) * 1000)
            hits += len(rows)
            marked += sum(1 for _i, s in rows if "<mark>" in s)
        out["kinds"][kind] = _figures(times, hits, marked)
    return out


def tantivy_reference(
    corpus: Corpus, queries: dict[str, list[dict[str, str]]], work: Path
) -> dict[str, Any]:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=True)
    builder.add_date_field("uploaded", fast=True, indexed=True)
    schema = builder.build()
    path = work / "tantivy"
    path.mkdir()
    index = tantivy.Index(schema, path=str(path))
    writer = index.writer(heap_size=256_000_000)
    start = time.perf_counter()
    for body, date in zip(corpus.texts, corpus.dates, strict=True):
        writer.add_document(tantivy.Document(body=body, uploaded=date))
    writer.commit()
    writer.wait_merging_threads()
    out: dict[str, Any] = {"docs_s": len(corpus.texts) / (time.perf_counter() - start), "kinds": {}}
    index.reload()
    s = index.searcher()
    for kind, qs in queries.items():
        times, hits, marked = [], 0, 0
        for q in qs:
            start = time.perf_counter()
            text = q["q"]
            if text.endswith("*"):
                query = tantivy.Query.regex_query(schema, "body", text[:-1] + ".*")
            else:
                query = index.parse_query(text, ["body"], conjunction_by_default=True)
            if "from" in q:
                dates = tantivy.Query.range_query(
                    schema,
                    "uploaded",
                    tantivy.FieldType.Date,
                    datetime.fromisoformat(q["from"]).replace(tzinfo=UTC),
                    datetime.fromisoformat(q["to"]).replace(tzinfo=UTC),
                )
                query = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Must, query), (tantivy.Occur.Must, dates)]
                )
            result = s.search(query, 10, count=bool(q.get("facets")))
            snippets = tantivy.SnippetGenerator.create(s, query, schema, "body")
            found = [snippets.snippet_from_doc(s.doc(a)).to_html() for _score, a in result.hits]
            times.append((time.perf_counter() - start) * 1000)
            hits += len(found)
            marked += sum(1 for f in found if "<b>" in f)
        out["kinds"][kind] = _figures(times, hits, marked)
    return out


def _figures(times: list[float], hits: int, marked: int) -> dict[str, Any]:
    return {
        "p50": statistics.median(times),
        "p95": percentile(times, 95),
        "marked": marked / hits if hits else None,
        "hits": hits / len(times),
    }


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--fresh", type=int, default=20, help="new documents timed until found")
    parser.add_argument("--backends", default="whoosh,postgres")
    parser.add_argument("--clients", type=int, default=20, help="concurrent searchers (0: none)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long they search")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--searcher", action="store_true", help=argparse.SUPPRESS)
    for name in ("database", "work", "backend", "token", "queries-file", "folder"):
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.searcher:
        searcher(args)
        return
    work = Path(tempfile.mkdtemp(prefix="vir-search-bench-"))
    started = time.perf_counter()
    corpus = Corpus(args.docs)
    sizes = [len(t) for t in corpus.texts]
    print(
        f"corpus: {args.docs} documents ({sum(c == 'cy' for c in corpus.langs)} in Welsh), "
        f"{statistics.mean(sizes) / 1000:.1f} KB mean, {min(sizes) / 1000:.1f}–"
        f"{max(sizes) / 1000:.1f} KB; made in {time.perf_counter() - started:.0f} s"
    )
    queries = {kind: corpus.queries(kind, args.queries) for kind in KINDS}
    queries_file = work / "queries.json"
    queries_file.write_text(json.dumps(queries))
    results: dict[str, Any] = {}
    with postgres_database(f"vir_bench_search_{os.getpid()}") as url:
        app = bench_app(work, url)
        password = secrets.token_urlsafe(16)
        with app.app_context():
            from vir.accounts import operations as account_ops
            from vir.core.db import db
            from vir.orgs.operations import create_org
            from vir.rooms.operations import create_folder, room_for

            estyn = create_org("estyn", "Estyn", "inspectorate")
            folders = []
            for slug in ("cardiff", "swansea"):
                org = create_org(slug, slug.title(), "local_authority")
                folders.append(create_folder(room_for(org), "inspectors", "Papers"))
            account_ops.create_user(
                "bench@test.example",
                "Bench",
                estyn,
                ["inspector"],
                password=password,
                assign=[folders[0].room.provider],
            )
            db.session.commit()
            folder_id = folders[0].id
            started = time.perf_counter()
            record(folders, corpus)
            # the statistics a running database has (autovacuum would gather them later)
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            print(f"recorded in {time.perf_counter() - started:.0f} s")
        token = (
            app.test_client()
            .post("/api/v1/tokens", json={"email": "bench@test.example", "password": password})
            .get_json()["token"]
        )
        for backend in args.backends.split(","):
            app.config["VIR_SEARCH_BACKEND"] = backend
            with app.app_context():
                from vir.search.operations import reindex

                started = time.perf_counter()
                n = reindex()
                took = time.perf_counter() - started
            child = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.search",
                    "--searcher",
                    f"--database={url}",
                    f"--work={work}",
                    f"--backend={backend}",
                    f"--token={token}",
                    f"--queries-file={queries_file}",
                    f"--folder={folder_id}",
                    f"--fresh={args.fresh}",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode:
                print(child.stderr[-3000:])
                raise SystemExit(f"the {backend} searcher failed")
            results[backend] = json.loads(child.stdout.strip().splitlines()[-1])
            results[backend]["docs_s"] = n / took
            if args.clients:
                results[backend]["concurrent"] = concurrent(
                    args, backend, url, work, token, queries
                )
    results["tantivy"] = tantivy_reference(corpus, queries, work)
    results["FTS5"] = fts5(corpus, queries)
    report(args, results)


def report(args: argparse.Namespace, results: dict[str, Any]) -> None:
    engines = list(results)
    print(f"\n{args.docs} documents, {args.queries} queries a kind; p50 / p95 ms (× tantivy p50)")
    print("| query | " + " | ".join(engines) + " |")
    print("|---" * (len(engines) + 1) + "|")
    base = results["tantivy"]["kinds"]
    for kind in KINDS:
        cells = []
        for engine in engines:
            k = results[engine]["kinds"][kind]
            ratio = k["p50"] / base[kind]["p50"] if base[kind]["p50"] else float("nan")
            cells.append(f"{k['p50']:.1f} / {k['p95']:.1f} (×{ratio:.0f})")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    print("\nshare of hits whose snippet marks a match:")
    for kind in KINDS:
        shares = []
        for engine in engines:
            m = results[engine]["kinds"][kind]["marked"]
            shares.append(f"{engine} {'—' if m is None else f'{m:.0%}'}")
        print(f"  {kind:14} " + ", ".join(shares))
    print(
        "\nhits per query (top 10): "
        + ", ".join(
            f"{e} {statistics.mean(results[e]['kinds'][k]['hits'] for k in KINDS):.1f}"
            for e in engines
        )
    )
    for engine in engines:
        r = results[engine]
        line = f"{engine:9} indexing {r['docs_s']:7.0f} docs/s"
        if "rss_mb" in r:
            line += (
                f"; searching process RSS {r['rss_mb']:.0f} MB; new document searchable "
                f"p50 {r['fresh_p50']:.0f} ms, p95 {r['fresh_p95']:.0f} ms"
            )
        print(line)
        if "concurrent" in r:
            c = r["concurrent"]
            print(
                f"{'':9} {args.clients} concurrent searchers, gunicorn {args.workers} workers: "
                f"{c['per_s']:.0f} searches/s, p50 {c['p50']:.0f} ms, p95 {c['p95']:.0f} ms, "
                f"{c['errors']} errors; worker RSS "
                + ", ".join(f"{m:.0f}" for m in c["worker_rss_mb"])
                + " MB"
            )


if __name__ == "__main__":
    main()
