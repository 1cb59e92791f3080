"""Benchmark: precision and recall of search on a fixed English and Welsh corpus.

    .venv/bin/python -m bench.relevance [--corpus bench/relevance] [--show-misses]

The corpus (bench/relevance/docs: council papers in English and Welsh, written as DOCX, ODT,
PDF, RTF, XLSX and text by LibreOffice) is uploaded through the API, as a provider would, and
every query of bench/relevance/queries.json is searched as an inspector. Each query names the
files a correct search returns; the set was derived from the texts by explicit rules (the
words present, their Welsh mutated and unaccented forms, consecutive words for phrases) and
checked by bench/relevance/check_truth.py. Printed: precision and recall per kind of query and
in all, with Welsh mutation matching on (the default) and off (VIR_SEARCH_MUTATIONS=0), so
what mutation matching adds, and what it costs English searches, can be read side by side.
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).with_name("relevance")


def _app(work: Path, mutations: bool) -> tuple[object, dict[str, str], int]:
    from argon2 import PasswordHasher

    from vir import create_app
    from vir.accounts import operations as account_ops
    from vir.core.db import db
    from vir.orgs.operations import create_org
    from vir.rooms.operations import create_folder, room_for

    account_ops._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    app = create_app({"SECRET_KEY": "bench", "TESTING": True, "VIR_DATA_DIR": str(work),
                      "VIR_TASKS_IMMEDIATE": True, "VIR_SEARCH_ENABLED": True,
                      "VIR_SEARCH_MUTATIONS": mutations, "WTF_CSRF_ENABLED": False})
    password = secrets.token_urlsafe(12)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        estyn = create_org("estyn", "Estyn", "inspectorate")
        gwynedd = create_org("gwynedd", "Gwynedd", "local_authority")
        folder = create_folder(room_for(gwynedd), "provider", "Papers")
        account_ops.create_user("editor@test.example", "Editor", gwynedd,
                                ["provider_editor"], password=password)
        account_ops.create_user("inspector@test.example", "Inspector", estyn, ["inspector"],
                                password=password, assign=[gwynedd])
        db.session.commit()
        folder_id = folder.id
    client = app.test_client()
    headers = {}
    for role in ("editor", "inspector"):
        token = client.post("/api/v1/tokens", json={"email": f"{role}@test.example",
                                                    "password": password}).get_json()["token"]
        headers[role] = f"Bearer {token}"
    return app, headers, folder_id


def run(corpus: Path, mutations: bool, show_misses: bool) -> dict[str, list[float]]:
    work = Path(tempfile.mkdtemp(prefix="vir-relevance-"))
    app, headers, folder_id = _app(work, mutations)  # type: ignore[misc]
    client = app.test_client()
    names = {}
    for path in sorted((corpus / "docs").iterdir()):
        r = client.post(f"/api/v1/folders/{folder_id}/documents",
                        headers={"Authorization": headers["editor"]},
                        data={"file": (io.BytesIO(path.read_bytes()), path.name)},
                        content_type="multipart/form-data")
        assert r.status_code == 201, (path.name, r.get_json())
        names[r.get_json()["id"]] = path.name
    scores: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for query in json.loads((corpus / "queries.json").read_text()):
        r = client.get("/api/v1/search", headers={"Authorization": headers["inspector"]},
                       query_string={"q": query["q"], "per_page": 100})
        assert r.status_code == 200, (query, r.get_json())
        found = {h["filename"] for h in r.get_json()["results"]}
        relevant = set(query["relevant"])
        right = len(found & relevant)
        for kind in (query["kind"], f"lang:{query['lang']}", "all"):
            scores[kind].append((right, len(found), len(relevant)))
        if show_misses and found != relevant:
            print(f"  {query['q']!r}: missed {sorted(relevant - found)}, "
                  f"extra {sorted(found - relevant)}")
    out = {}
    for kind, rows in scores.items():
        right = sum(r for r, _, _ in rows)
        found = sum(f for _, f, _ in rows)
        relevant = sum(v for _, _, v in rows)
        out[kind] = [len(rows), right / found if found else 1.0,
                     right / relevant if relevant else 1.0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=HERE)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    results = {}
    for mutations in (True, False):
        print(f"Welsh mutation matching {'on' if mutations else 'off'}:")
        results[mutations] = run(args.corpus, mutations, args.show_misses)
    print(f"\n{'queries':<22} {'n':>3}  {'precision':>9} {'recall':>7}   "
          f"{'(mutations off:':>15} {'precision':>9} {'recall':>7})")
    for kind in sorted(results[True], key=lambda k: (k == "all", k.startswith("lang"), k)):
        n, p, r = results[True][kind]
        _, p0, r0 = results[False][kind]
        print(f"{kind:<22} {n:>3}  {p:>9.3f} {r:>7.3f}   {'':>15} {p0:>9.3f} {r0:>7.3f}")
    from vir.search.analysis import english_words, variants

    english = english_words()
    widened = [w for w in english if len(variants(w)) > 1]
    into_english = [w for w in widened if set(variants(w)[1:]) & english]
    print(f"\nEnglish words (Debian wbritish, {len(english):,}) widened by mutation matching: "
          f"{len(widened):,}, each only to Welsh forms that are not English words "
          f"(widened into an English word: {len(into_english)})")


if __name__ == "__main__":
    main()
