"""Benchmark: indexing throughput and search latency, through VIR's own code, with SQLite FTS5
over the same corpus in the same run as a reference.

    .venv/bin/python -m bench.search [--docs 10000] [--queries 200]

Documents (~12 KB of text each) are recorded as rows with their text already extracted, then
`vir.search.operations.reindex` builds the index (as `vir search reindex` does). Search is timed
through the API (`GET /api/v1/search`, top 10 with snippets, permission filter on) as an
inspector assigned to one of two providers, twice: "first" empties the remembered postings of
words (vir.search.scoring) before every query, so each reads its words from the index as a
first search after a start does; "repeat" runs the same queries again after one untimed
pass, as a running server answers words searched before. Goals (issue 5): indexing >= 100
docs/s, search p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

WORDS = (
    "attendance",
    "leadership",
    "improvement",
    "school",
    "pupils",
    "curriculum",
    "wellbeing",
    "inclusion",
    "exclusions",
    "data",
    "governance",
    "budget",
    "safeguarding",
    "teaching",
    "learning",
    "progress",
    "support",
    "council",
    "report",
    "strategy",
    "performance",
    "standards",
    "literacy",
    "numeracy",
    "welsh",
    "medium",
    "ysgol",
    "disgyblion",
    "presenoldeb",
    "arweinyddiaeth",
    "gwella",
    "cynllun",
    "addysg",
)
VOCAB = list(WORDS) + [f"term{i}" for i in range(20000)]


def text(rng: random.Random, size: int = 12_000) -> str:
    out, n = [], 0
    while n < size:
        w = rng.choice(WORDS) if rng.random() < 0.3 else rng.choice(VOCAB)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


def record(folders: list, docs: int, rng: random.Random) -> list[str]:
    """Rows for ``docs`` documents across ``folders`` with their text already extracted (no
    stored files), committed; their texts, in order."""
    from vir.core.db import db, utcnow
    from vir.documents.models import Document, DocumentVersion
    from vir.search.models import DocumentText, IndexStatus

    now = utcnow()
    corpus = []
    for i in range(docs):
        body = text(rng)
        corpus.append(body)
        folder = folders[i % len(folders)]
        doc = Document(
            uid=secrets.token_hex(16),
            folder=folder,
            folder_id=folder.id,
            title=f"Paper {i} {rng.choice(WORDS)}",
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
            uploaded_at=now,
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
    return corpus


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(42)
    password = secrets.token_urlsafe(16)
    work = Path(tempfile.mkdtemp(prefix="vir-search-bench-"))

    from argon2 import PasswordHasher

    from vir import create_app
    from vir.accounts import operations as account_ops
    from vir.core.db import db
    from vir.orgs.operations import create_org
    from vir.rooms.operations import create_folder, room_for
    from vir.search.operations import reindex

    account_ops._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    url = f"sqlite:///{work / 'vir.sqlite3'}"
    app = create_app(
        {
            "SECRET_KEY": secrets.token_urlsafe(16),
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "VIR_DATA_DIR": str(work),
            "VIR_TASKS_IMMEDIATE": True,
            "VIR_SEARCH_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "VIR_RATE_LIMITS": False,
        }
    )
    corpus: list[str] = []
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        estyn = create_org("estyn", "Estyn", "inspectorate")
        folders = []
        for slug in ("cardiff", "swansea"):
            org = create_org(slug, slug.title(), "local_authority")
            folders.append(create_folder(room_for(org), "provider", "Papers"))
        account_ops.create_user(
            "bench@test.example",
            "Bench",
            estyn,
            ["inspector"],
            password=password,
            assign=[folders[0].room.provider],
        )
        db.session.commit()
        corpus.extend(record(folders, args.docs, rng))
        start = time.perf_counter()
        n = reindex()
        indexing = time.perf_counter() - start

    # The reference: SQLite FTS5 over the same texts, in the same run.
    fts = sqlite3.connect(":memory:")
    fts.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
    start = time.perf_counter()
    fts.executemany("INSERT INTO t(body) VALUES (?)", ((b,) for b in corpus))
    fts.commit()
    fts_indexing = time.perf_counter() - start

    client = app.test_client()
    token = client.post(
        "/api/v1/tokens", json={"email": "bench@test.example", "password": password}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    kinds = {
        "one word": lambda: rng.choice(WORDS),
        "two words (AND)": lambda: f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
        "phrase": lambda: (
            '"' + " ".join(rng.choice(corpus).split()[(k := rng.randrange(500)) : k + 2]) + '"'
        ),
        # "did you mean" from the readable vocabulary: no hits, a suggestion
        "misspelt word": lambda: (w := rng.choice(WORDS))[:3] + "q" + w[4:],
        "prefix": lambda: rng.choice(WORDS)[:5] + "*",
        "fuzzy word~1": lambda: rng.choice(WORDS) + "~1",
    }
    print(
        f"corpus: {args.docs} documents, mean {sum(map(len, corpus)) / len(corpus) / 1000:.1f}"
        f" KB of text"
    )
    print(
        f"indexing through VIR (vir search reindex): {n / indexing:7.1f} docs/s "
        f"({indexing:.1f} s; goal >= 100)"
    )
    print(f"indexing, SQLite FTS5 reference:           {len(corpus) / fts_indexing:7.1f} docs/s")
    from vir.search import scoring

    with app.app_context():  # open the searcher once, as the first search of a server does
        client.get("/api/v1/search", headers=headers, query_string={"q": "warm"})
    for label, make in kinds.items():
        queries = [make() for _ in range(args.queries)]
        for first in (True, False):
            if not first:
                for q in queries:
                    client.get("/api/v1/search", headers=headers, query_string={"q": q})
            vir_ms, fts_ms = [], []
            for q in queries:
                if first:
                    scoring.forget(words_only=True)
                start = time.perf_counter()
                r = client.get("/api/v1/search", headers=headers, query_string={"q": q})
                vir_ms.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200, r.get_json()
                start = time.perf_counter()
                fts.execute(
                    "SELECT rowid, snippet(t, 0, '<mark>', '</mark>', '…', 16) FROM t "
                    "WHERE t MATCH ? ORDER BY rank LIMIT 10",
                    (q if q.startswith('"') else " AND ".join(q.replace("~1", "").split()),),
                ).fetchall()
                fts_ms.append((time.perf_counter() - start) * 1000)
            print(
                f"search {label:16} ({'first ' if first else 'repeat'}): VIR API p50 "
                f"{statistics.median(vir_ms):6.1f} ms, p95 {percentile(vir_ms, 95):6.1f} ms "
                f"(goal <= 50) | FTS5 p50 {statistics.median(fts_ms):5.1f} ms, "
                f"p95 {percentile(fts_ms, 95):5.1f} ms"
            )


if __name__ == "__main__":
    main()
