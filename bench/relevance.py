"""Benchmark: precision and recall of search on a fixed English and Welsh corpus.

    .venv/bin/python -m bench.relevance [--corpus bench/relevance] [--show-misses]

The corpus (bench/relevance/docs: council papers in English and Welsh, written as DOCX, ODT,
PDF, RTF, XLSX and text by LibreOffice) is uploaded through the API, as a provider would, and
every query of bench/relevance/queries.json is searched as an inspector, with the interface in
the query's language. Each query names the
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
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "TESTING": True,
            "VIR_DATA_DIR": str(work),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'vir.sqlite3'}",
            "VIR_TASKS_IMMEDIATE": True,
            "VIR_SEARCH_ENABLED": True,
            "VIR_SEARCH_MUTATIONS": mutations,
            "WTF_CSRF_ENABLED": False,
            "VIR_RATE_LIMITS": False,
        }
    )
    password = secrets.token_urlsafe(12)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        estyn = create_org("estyn", "Estyn", "inspectorate")
        gwynedd = create_org("gwynedd", "Gwynedd", "local_authority")
        folder = create_folder(room_for(gwynedd), "provider", "Papers")
        account_ops.create_user(
            "editor@test.example", "Editor", gwynedd, ["provider_editor"], password=password
        )
        account_ops.create_user(
            "inspector@test.example",
            "Inspector",
            estyn,
            ["inspector"],
            password=password,
            assign=[gwynedd],
        )
        db.session.commit()
        folder_id = folder.id
    client = app.test_client()
    headers = {}
    for role in ("editor", "inspector"):
        token = client.post(
            "/api/v1/tokens", json={"email": f"{role}@test.example", "password": password}
        ).get_json()["token"]
        headers[role] = f"Bearer {token}"
    return app, headers, folder_id


def run(
    corpus: Path, mutations: bool, show_misses: bool, interface: str | None = None
) -> dict[str, list[float]]:
    work = Path(tempfile.mkdtemp(prefix="vir-relevance-"))
    app, headers, folder_id = _app(work, mutations)  # type: ignore[misc]
    client = app.test_client()
    names = {}
    for path in sorted((corpus / "docs").iterdir()):
        r = client.post(
            f"/api/v1/folders/{folder_id}/documents",
            headers={"Authorization": headers["editor"]},
            data={"file": (io.BytesIO(path.read_bytes()), path.name)},
            content_type="multipart/form-data",
        )
        assert r.status_code == 201, (path.name, r.get_json())
        names[r.get_json()["id"]] = path.name
    scores: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for query in json.loads((corpus / "queries.json").read_text()):
        # Asked in the query's language, as a Welsh or English speaker's interface would ask
        # (a word English has too, like "plant", is widened only in a Welsh search).
        r = client.get(
            "/api/v1/search",
            headers={
                "Authorization": headers["inspector"],
                "Accept-Language": interface or query["lang"],
            },
            query_string={"q": query["q"], "per_page": 100},
        )
        assert r.status_code == 200, (query, r.get_json())
        found = {h["filename"] for h in r.get_json()["results"]}
        relevant = set(query["relevant"])
        right = len(found & relevant)
        for kind in (query["kind"], f"lang:{query['lang']}", "all"):
            scores[kind].append((right, len(found), len(relevant)))
        if show_misses and found != relevant:
            print(
                f"  {query['q']!r}: missed {sorted(relevant - found)}, "
                f"extra {sorted(found - relevant)}"
            )
    out = {}
    for kind, rows in scores.items():
        right = sum(r for r, _, _ in rows)
        found = sum(f for _, f, _ in rows)
        relevant = sum(v for _, _, v in rows)
        out[kind] = [
            len(rows),
            right / found if found else 1.0,
            right / relevant if relevant else 1.0,
        ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=HERE)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    runs = {
        "mutations on": (True, None),
        "on, Welsh interface for all": (True, "cy"),
        "mutations off": (False, None),
    }
    results = {}
    for label, (mutations, interface) in runs.items():
        print(f"{label}:")
        results[label] = run(args.corpus, mutations, args.show_misses, interface)
    print(f"\n{'':<22} {'':>3}  " + "  ".join(f"{label:>28}" for label in runs))
    print(
        f"{'queries':<22} {'n':>3}  " + "  ".join(f"{'precision':>18} {'recall':>9}" for _ in runs)
    )
    for kind in sorted(
        results["mutations on"], key=lambda k: (k == "all", k.startswith("lang"), k)
    ):
        n = results["mutations on"][kind][0]
        print(
            f"{kind:<22} {n:>3}  "
            + "  ".join(
                f"{results[label][kind][1]:>18.3f} {results[label][kind][2]:>9.3f}"
                for label in runs
            )
        )
    from vir.search.analysis import english_words, variants

    english = english_words()
    for welsh in (False, True):
        widened = [w for w in english if len(variants(w, welsh)) > 1]
        into = [w for w in widened if set(variants(w, welsh)[1:]) & english]
        print(
            f"English words (Debian wbritish, {len(english):,}) widened in "
            f"{'a Welsh' if welsh else 'an English'} search: {len(widened):,} "
            f"(widened into another English word: {len(into)})"
        )


if __name__ == "__main__":
    main()
