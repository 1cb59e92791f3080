"""Benchmark: how soon a new upload is searchable, on an index of many documents, with the
embedded worker (`vir serve`: the web server and the task worker in one process).

    .venv/bin/python -m bench.freshness [--docs 10000] [--uploads 40]

An index of ``--docs`` documents (~12 KB of text each, as bench.search makes them) is built
first. Then `vir serve` is started on it and ``--uploads`` small text files, each with a word
of its own, are uploaded through the API one at a time, after pauses of 0 to 3 s (a worker
that has been idle must notice new work as quickly as a busy one). For each, the search API is
asked for its word every 20 ms until the document is found; the time from the end of the
upload request to the first answer that finds it is reported. Goal (issue 12): p95 <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import multipart
from bench.search import percentile, record


def build(work: Path, docs: int, password: str) -> None:
    from argon2 import PasswordHasher

    from vir import create_app
    from vir.accounts import operations as account_ops
    from vir.core.db import db
    from vir.orgs.operations import create_org
    from vir.rooms.operations import create_folder, room_for
    from vir.search.operations import reindex

    rng = random.Random(42)
    account_ops._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "VIR_DATA_DIR": str(work),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'vir.sqlite3'}",
            "VIR_TASKS_IMMEDIATE": True,
            "VIR_SEARCH_ENABLED": False,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        estyn = create_org("estyn", "Estyn", "inspectorate")
        cardiff = create_org("cardiff", "Cardiff", "local_authority")
        folder = create_folder(room_for(cardiff), "provider", "Papers")
        account_ops.create_user(
            "editor@test.example", "Editor", cardiff, ["provider_editor"], password=password
        )
        account_ops.create_user(
            "inspector@test.example",
            "Inspector",
            estyn,
            ["inspector"],
            password=password,
            assign=[cardiff],
        )
        db.session.commit()
        record([folder], docs, rng)
        start = time.perf_counter()
        reindex()
        print(f"index of {docs} documents built in {time.perf_counter() - start:.0f} s")
        db.engine.dispose()


def _call(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> dict:
    request = urllib.request.Request(  # noqa: S310 - loopback
        url, data=body, method=method, headers=headers or {}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--uploads", type=int, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vir-fresh-bench-"))
    password = secrets.token_urlsafe(16)
    build(work, args.docs, password)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "VIR_DATA_DIR": str(work),
        "VIR_SECRET_KEY": secrets.token_hex(16),
        "VIR_COOKIE_SECURE": "0",
        "VIR_SEARCH_ENABLED": "1",
        "VIR_RATE_LIMITS": "0",
    }  # it polls the search API every 20 ms
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("vir")),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(300):
            try:
                tokens = {
                    role: _call(
                        f"{base}/tokens",
                        "POST",
                        json.dumps(
                            {"email": f"{role}@test.example", "password": password}
                        ).encode(),
                        {"Content-Type": "application/json"},
                    )["token"]
                    for role in ("editor", "inspector")
                }
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("vir serve did not start")
        editor = {"Authorization": f"Bearer {tokens['editor']}"}
        inspector = {"Authorization": f"Bearer {tokens['inspector']}"}
        folder = _call(f"{base}/providers/cardiff/folders", headers=editor)
        folder_id = (folder["folders"] if isinstance(folder, dict) else folder)[0]["id"]
        # warm: the first search opens the index
        _call(f"{base}/search?q=warm", headers=inspector)
        rng = random.Random(7)
        waits = []
        for i in range(args.uploads):
            time.sleep(rng.uniform(0, 3))
            word = f"fresh{i}x{secrets.token_hex(3)}"
            body, kind = multipart(
                f"fresh-{i}.txt", f"New paper {word} on attendance".encode(), "text/plain"
            )
            _call(
                f"{base}/folders/{folder_id}/documents",
                "POST",
                body,
                {**editor, "Content-Type": kind},
            )
            uploaded = time.perf_counter()
            while _call(f"{base}/search?q={word}", headers=inspector)["total"] == 0:
                if time.perf_counter() - uploaded > 60:
                    raise SystemExit(f"upload {i} was not searchable after 60 s")
                time.sleep(0.02)
            waits.append(time.perf_counter() - uploaded)
        print(
            f"new upload searchable ({args.uploads} uploads, {args.docs}-document index, "
            f"vir serve): p50 {statistics.median(waits):.2f} s, "
            f"p95 {percentile(waits, 95):.2f} s, max {max(waits):.2f} s (goal p95 <= 2 s)"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
