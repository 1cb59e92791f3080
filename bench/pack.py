"""Benchmark: the conference pack of a large folder, through gunicorn, memory and speed.

    .venv/bin/python -m bench.pack [--size-mb 1024] [--files 200] [--storage fs|s3]

A folder is filled with ``--files`` files of random bytes, ``--size-mb`` in all, written
straight to the store (rows and objects, no uploads). gunicorn (one worker) then serves
``GET /api/v1/folders/{id}/pack`` to a client that reads it 1 MiB at a time into a file.
Printed: MB/s, the worker's peak RSS growth during the pack (its high-water mark reset just
before), and the zip checked afterwards (every entry's CRC, every file's SHA-256 against the
index). Goal (issue 14): memory flat in the folder's size.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import http.client
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from contextlib import ExitStack
from pathlib import Path

from bench.common import bench_app, free_port
from bench.upload_s3 import reset_peak, rss_kb, worker_pid

PASSWORD = "pack benchmark password 1"  # noqa: S105 - a throwaway database


def build(work: Path, files: int, size_mb: int, storage: dict[str, str]) -> int:
    """The folder and its files; its id."""
    from vir.accounts import operations as account_ops
    from vir.core.db import db
    from vir.documents.models import Document, DocumentVersion
    from vir.orgs.operations import create_org
    from vir.rooms.operations import create_folder, room_for
    from vir.storage import get_storage

    app = bench_app(work, **storage)
    with app.app_context():
        estyn = create_org("estyn", "Estyn", "inspectorate")
        cardiff = create_org("cardiff", "Cardiff", "local_authority")
        folder = create_folder(room_for(cardiff), "provider", "Conference papers")
        account_ops.create_user(
            "inspector@estyn.example",
            "Inspector",
            estyn,
            ["inspector"],
            password=PASSWORD,
            assign=[cardiff],
        )
        each = size_mb * 1024 * 1024 // files
        store = get_storage()
        block = os.urandom(1024 * 1024)
        for n in range(files):
            data = (block * (each // len(block) + 1))[:each]
            data = n.to_bytes(8, "big") + data[8:]  # each file its own
            key = f"bench/pack/{n}-{secrets.token_hex(4)}"
            stored = store.save(key, io.BytesIO(data), "application/octet-stream")
            doc = Document(
                uid=secrets.token_hex(16), folder_id=folder.id, title=f"Paper {n}", category="data"
            )
            db.session.add(doc)
            db.session.add(
                DocumentVersion(
                    document=doc,
                    version=1,
                    filename=f"paper-{n}.pdf",
                    media_type="application/pdf",
                    size=stored.size,
                    sha256=stored.sha256,
                    storage_backend=store.name,
                    storage_key=key,
                )
            )
        db.session.commit()
        folder_id = folder.id
        db.engine.dispose()
    return folder_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--storage", choices=("fs", "s3"), default="fs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vir-pack-bench-"))
    env = {
        **os.environ,
        "VIR_DATA_DIR": str(work),
        "VIR_SECRET_KEY": secrets.token_hex(32),
        "VIR_CLAMD": "off",
        "VIR_WORKERS": "1",
        "VIR_RATE_LIMITS": "0",
    }
    storage: dict[str, str] = {}
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, True)
        if args.storage == "s3":
            from tests.conftest import s3_config
            from tests.services.ceph import ceph_rgw

            storage = s3_config(stack.enter_context(ceph_rgw(4 * args.size_mb << 20)))
            env.update({k: str(v) for k, v in storage.items()})
        folder = build(work, args.files, args.size_mb, storage)
        port = free_port()
        env["VIR_BIND"] = f"127.0.0.1:{port}"
        command = [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:vir.gunicorn_conf"]
        gunicorn = subprocess.Popen(
            [*command, "vir.wsgi:app"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            token = _token(port)
            worker = worker_pid(gunicorn.pid)
            _pack(port, folder, token, work / "warm.zip", limit=1)  # the worker's first request
            reset_peak(worker)
            before = rss_kb(worker, "VmRSS")
            out = work / "pack.zip"
            start = time.perf_counter()
            size = _pack(port, folder, token, out)
            elapsed = time.perf_counter() - start
            peak = rss_kb(worker, "VmHWM")
            checked = _check(out)
            print(
                f"pack of {args.files} files, {args.size_mb} MB ({args.storage}): "
                f"{size / 1e6:.0f} MB in {elapsed:.1f} s = {size / 1e6 / elapsed:.0f} MB/s; "
                f"worker RSS {before / 1024:.0f} MB before, peak growth "
                f"{(peak - before) / 1024:.1f} MB; {checked}"
            )
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)


def _token(port: int) -> str:
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            body = json.dumps({"email": "inspector@estyn.example", "password": PASSWORD})
            conn.request("POST", "/api/v1/tokens", body, {"Content-Type": "application/json"})
            return json.loads(conn.getresponse().read())["token"]
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def _pack(port: int, folder: int, token: str, out: Path, limit: int | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(
        "GET", f"/api/v1/folders/{folder}/pack", headers={"Authorization": f"Bearer {token}"}
    )
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"pack: {response.status} {response.read()[:300]!r}")
    size = 0
    with out.open("wb") as fh:
        while chunk := response.read(1024 * 1024):
            fh.write(chunk)
            size += len(chunk)
            if limit and size >= limit * 1024 * 1024:
                break
    conn.close()
    return size


def _check(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad:
            raise SystemExit(f"entry {bad} is damaged")
        rows = list(csv.reader(io.StringIO(z.read("index.csv").decode("utf-8-sig"))))[1:]
        for row in rows:
            digest = hashlib.sha256()
            with z.open(row[2]) as fh:
                while block := fh.read(1024 * 1024):
                    digest.update(block)
            if digest.hexdigest() != row[-1]:
                raise SystemExit(f"{row[2]}: SHA-256 differs from the index")
        return f"zip intact, {len(rows)} files match their SHA-256"


if __name__ == "__main__":
    main()
