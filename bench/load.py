"""Benchmark: VIR under mixed load, as it is deployed (gunicorn and `vir worker`), on loopback.

    .venv/bin/python -m bench.load [--clients 20] [--seconds 60] [--database sqlite|postgresql]
                                   [--workers 4] [--docs 1000] [--profile] [--py-spy FILE]

The server is pinned to one core and this load generator to the other, so neither steals
the other's time. The server is what deploy/ ships: nginx (deploy/nginx/vir.conf, on plain
HTTP) in front of two gunicorn pools, ``--workers`` sync workers for pages, lists, searches
and downloads, and ``--bulk-workers`` for sign-ins and uploads at vir-bulk.service's lower
priority (its Nice=), and the task worker that indexes uploads at vir-worker.service's.
``--one-pool`` runs one gunicorn alone instead, the shape before the pools.

A room holds a folder of ``--docs`` documents (2-40 KB of Zipf-distributed English
and Welsh text each, as bench.search makes, indexed) and a
working folder seeded with 30 PDFs of 1-5 MB. Then, in order:

1. **Large folder**, one client, nothing else running: the HTML folder page of the large
   folder, and the API list of it a page (100 documents) at a time; p50/p95 and size.
2. **Each operation alone**, one client: latency and the server's CPU ms per request.
3. **Mixed load**: ``--clients`` clients (half provider editors, half inspectors, each with
   an account of its own) for ``--seconds``, each repeating, with no pause: sign in (a new API
   token), list a folder's first page, search, download a file and check its SHA-256, and
   (editors) upload a 1-5 MB PDF. p50/p95/max per operation, errors, the server's CPU ms per
   request, and then every file uploaded is downloaded again and checked: none may be lost.
4. ``--profile``: each operation run in this process under cProfile, with the functions that
   take most of its time.

Goals (issue 13): at 20 clients p95 <= 300 ms for list, search and download; the folder page
with 1,000 documents p95 <= 100 ms; the API list p95 <= 50 ms a page. Loopback only; it
starts and stops everything it uses.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import (
    bench_app,
    free_port,
    multipart,
    percentile,
    postgres_database,
    process_tree_cpu,
)
from bench.search import Corpus, record

# Search words for the load: mid-frequency English and Welsh words of the benchmark corpus.
_VOCAB = Corpus(0)
WORDS = _VOCAB.en[100:2000] + _VOCAB.cy[100:1000]

SERVER_CORE, CLIENT_CORE = 1, 0
PASSWORD = "load benchmark password 1"  # noqa: S105 - accounts of a throwaway database
PDF = "application/pdf"
ROOT = Path(__file__).resolve().parent.parent


# --- files ------------------------------------------------------------------------------


def pdf(text: str, image: bytes, side: int) -> bytes:
    """A one-page PDF with ``text`` and a greyscale picture of ``side`` x ``side`` pixels
    (``image``, already deflated): the size of a scanned plan, text a reader can extract."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET q 300 0 0 300 72 300 cm /Im1 Do Q".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (side, side, len(image))
        + image
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class Files:
    """PDFs of 1-5 MB with words of their own, cheap to make during the run: a few
    pictures are deflated once and reused."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.images = []
        for mb in (1, 2, 3, 4, 5):
            side = int((mb * 1_000_000) ** 0.5)
            raw = rng.randbytes(side * side)
            self.images.append((zlib.compress(raw, 1), side))

    def make(self, label: str) -> tuple[bytes, str]:
        image, side = self.rng.choice(self.images)
        words = " ".join(self.rng.choice(WORDS) for _ in range(12))
        data = pdf(f"{label} {words}", image, side)
        return data, hashlib.sha256(data).hexdigest()


# --- the server -------------------------------------------------------------------------


def build(work: Path, url: str | None, docs: int, clients: int) -> dict[str, Any]:
    """The room, its folders, the accounts and the large folder's documents, indexed."""
    from vir.accounts import operations as account_ops
    from vir.core.db import db
    from vir.orgs.operations import create_org
    from vir.rooms.operations import create_folder, room_for
    from vir.search.operations import reindex

    app = bench_app(work, url, fast_hashing=False)
    with app.app_context():
        estyn = create_org("estyn", "Estyn", "inspectorate")
        cardiff = create_org("cardiff", "Cardiff", "local_authority")
        large = create_folder(room_for(cardiff), "provider", "Evidence archive")
        working = create_folder(room_for(cardiff), "provider", "Working papers")
        people = []
        for n in range(clients):
            role = "provider_editor" if n % 2 == 0 else "inspector"
            email = f"load{n}@{'cardiff' if role == 'provider_editor' else 'estyn'}.example"
            org = cardiff if role == "provider_editor" else estyn
            assign = [cardiff] if role == "inspector" else None
            account_ops.create_user(
                email, f"Load {n}", org, [role], password=PASSWORD, assign=assign
            )
            people.append((email, role))
        db.session.commit()
        record([large], Corpus(docs))
        reindex()
        folders = {"large": large.id, "working": working.id}
        db.engine.dispose()
    return {"folders": folders, "people": people}


def _unit_nice(unit: str) -> int:
    """The Nice= of a unit that ships in deploy/systemd, so that the benchmark runs what is
    deployed."""
    text = (ROOT / "deploy" / "systemd" / unit).read_text()
    found = re.search(r"^Nice=(-?\d+)$", text, re.M)
    return int(found.group(1)) if found else 0


def _start(args: list[str], env: dict[str, str], log: Any, nice: int = 0) -> subprocess.Popen:
    def prepare() -> None:
        os.sched_setaffinity(0, {SERVER_CORE})
        os.nice(nice)

    return subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=prepare)


def start_server(
    work: Path,
    url: str | None,
    workers: int,
    port: int,
    threads: int = 1,
    pools: bool = True,
    bulk_workers: int = 2,
) -> list[subprocess.Popen]:
    """The server on SERVER_CORE. With ``pools``, as deploy/ ships it: nginx (the shipped
    site, plain HTTP) in front of two gunicorn pools, the bulk one (sign-ins, uploads) and
    the task worker at their units' lower priority (Nice=). Without, one gunicorn alone."""
    env = {
        **os.environ,
        "VIR_DATA_DIR": str(work),
        "VIR_SECRET_KEY": secrets.token_hex(32),
        "VIR_WORKERS": str(workers),
        "VIR_CLAMD": "off",
        "VIR_COOKIE_SECURE": "0",
        # One address sends everything here: the per-address limits would refuse a load
        # test, not measure it.
        "VIR_RATE_LIMITS": "0",
    }
    if threads > 1:  # gunicorn's gthread workers
        env["GUNICORN_CMD_ARGS"] = f"--threads {threads}"
    if url:
        env["VIR_DATABASE_URL"] = url
    bin_dir = Path(sys.executable).parent
    log = (work / "server.log").open("wb")
    gunicorn = [str(bin_dir / "gunicorn"), "-c", "python:vir.gunicorn_conf", "vir.wsgi:app"]
    worker_nice = _unit_nice("vir-worker.service") if pools else 0
    if not pools:
        web = _start(gunicorn, {**env, "VIR_BIND": f"127.0.0.1:{port}"}, log)
        return [web, _start([str(bin_dir / "vir"), "worker"], env, log, worker_nice)]
    from tests.services import nginx

    web_port, bulk_port = free_port(), free_port()
    env["VIR_PROXY_COUNT"] = "1"
    started = [
        _start(gunicorn, {**env, "VIR_BIND": f"127.0.0.1:{web_port}"}, log),
        _start(
            gunicorn,
            {**env, "VIR_BIND": f"127.0.0.1:{bulk_port}", "VIR_WORKERS": str(bulk_workers)},
            log,
            _unit_nice("vir-bulk.service"),
        ),
        _start([str(bin_dir / "vir"), "worker"], env, log, worker_nice),
    ]
    conf = nginx.conf(work / "nginx", port, free_port(), web_port, bulk_port, tls=False)
    started.append(_start([nginx.binary(), "-c", str(conf)], env, log))
    return started


# --- the clients ------------------------------------------------------------------------


class Refused(Exception):
    pass


class Client:
    def __init__(self, port: int, email: str, role: str, files: Files | None) -> None:
        self.port, self.email, self.role, self.files = port, email, role, files
        self.token = ""
        self.cookie = ""

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        expect: int = 200,
    ) -> tuple[bytes, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            sent = dict(headers or {})
            if self.token:
                sent.setdefault("Authorization", f"Bearer {self.token}")
            if self.cookie:
                sent.setdefault("Cookie", self.cookie)
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            if response.status != expect:
                raise Refused(f"{method} {path}: {response.status} {data[:200]!r}")
            return data, {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()

    # Operations: each returns nothing, or raises.
    def sign_in(self) -> None:
        body = json.dumps({"email": self.email, "password": PASSWORD}).encode()
        data, _ = self.call(
            "POST", "/api/v1/tokens", body, {"Content-Type": "application/json"}, 201
        )
        self.token = json.loads(data)["token"]

    def web_sign_in(self) -> None:
        """A browser's session, for the HTML pages."""
        self.token = ""
        page, headers = self.call("GET", "/sign-in")
        self.cookie = headers["set-cookie"].split(";", 1)[0]
        csrf = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
        form = f"csrf_token={csrf}&email={self.email}&password={PASSWORD.replace(' ', '+')}"
        _, headers = self.call(
            "POST",
            "/sign-in",
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
            302,
        )
        self.cookie = headers["set-cookie"].split(";", 1)[0]

    def list(self, folder: int, page: int = 1) -> int:
        data, _ = self.call("GET", f"/api/v1/folders/{folder}/documents?page={page}&page_size=100")
        json.loads(data)
        return len(data)

    def folder_page(self, folder: int) -> int:
        data, _ = self.call("GET", f"/rooms/folders/{folder}")
        return len(data)

    def search(self, rng: random.Random) -> None:
        q = rng.choice(WORDS) if rng.random() < 0.6 else f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
        json.loads(self.call("GET", f"/api/v1/search?q={q.replace(' ', '+')}")[0])

    def download(self, document_id: int, sha256: str) -> None:
        data, _ = self.call("GET", f"/api/v1/documents/{document_id}/download")
        if hashlib.sha256(data).hexdigest() != sha256:
            raise Refused(f"document {document_id}: the file downloaded is not the one uploaded")

    def upload(self, folder: int, label: str) -> tuple[int, str]:
        data, sha = self.files.make(label)
        body, kind = multipart(f"{label}.pdf", data, PDF)
        answer, _ = self.call(
            "POST", f"/api/v1/folders/{folder}/documents", body, {"Content-Type": kind}, 201
        )
        return json.loads(answer)["id"], sha


class Shared:
    """What the clients know between them: the files they may download, and their results."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.downloadable: list[tuple[int, str]] = []
        self.uploaded: list[tuple[int, str]] = []
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def pick(self, rng: random.Random) -> tuple[int, str]:
        with self.lock:
            return rng.choice(self.downloadable)

    def add(self, document: tuple[int, str]) -> None:
        with self.lock:
            self.downloadable.append(document)
            self.uploaded.append(document)


EDITOR_MIX = [("sign-in", 5), ("list", 30), ("search", 25), ("download", 25), ("upload", 15)]
INSPECTOR_MIX = [("sign-in", 5), ("list", 35), ("search", 35), ("download", 25)]


def run_client(
    client: Client,
    folders: dict[str, int],
    shared: Shared,
    until: float,
    seed: int,
    think: float = 0.0,
) -> None:
    rng = random.Random(seed)
    mix = EDITOR_MIX if client.role == "provider_editor" else INSPECTOR_MIX
    names, weights = zip(*mix, strict=True)
    n = 0
    while time.perf_counter() < until:
        if think:
            time.sleep(min(rng.expovariate(1 / think), max(0.0, until - time.perf_counter())))
        op = rng.choices(names, weights)[0]
        start = time.perf_counter()
        try:
            if op == "sign-in":
                client.sign_in()
            elif op == "list":
                client.list(folders[rng.choice(("large", "working"))])
            elif op == "search":
                client.search(rng)
            elif op == "download":
                client.download(*shared.pick(rng))
            else:
                n += 1
                shared.add(client.upload(folders["working"], f"load-{seed}-{n}"))
        except (Refused, OSError, ValueError) as exc:
            with shared.lock:
                shared.errors[op].append(str(exc))
            continue
        with shared.lock:
            shared.times[op].append(time.perf_counter() - start)


# --- reporting --------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def row(name: str, times: list[float], extra: str = "") -> str:
    if not times:
        return f"  {name:<22} no requests"
    return (
        f"  {name:<22} n={len(times):<5} p50 {ms(statistics.median(times)):>5} ms  "
        f"p95 {ms(percentile(times, 95)):>5} ms  max {ms(max(times)):>5} ms{extra}"
    )


def timed(fn: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def large_folder(port: int, folders: dict[str, int], people: list, docs: int) -> None:
    inspector = next(e for e, r in people if r == "inspector")
    web = Client(port, inspector, "inspector", None)
    web.web_sign_in()
    size = web.folder_page(folders["large"])
    # Warm: every gunicorn worker compiles the templates on its first page (about 100 ms).
    timed(lambda: web.folder_page(folders["large"]), 20)
    page_times = timed(lambda: web.folder_page(folders["large"]), 60)
    api = Client(port, inspector, "inspector", None)
    api.sign_in()
    pages = max(1, -(-docs // 100))
    timed(lambda: api.list(folders["large"]), 20)
    sizes = []
    api_times = []
    for i in range(60):
        start = time.perf_counter()
        sizes.append(api.list(folders["large"], page=i % pages + 1))
        api_times.append(time.perf_counter() - start)
    print(f"\nLarge folder ({docs} documents), one client, nothing else running:")
    print(row("HTML folder page", page_times, f"  {size / 1000:.0f} KB  (goal p95 <= 100 ms)"))
    print(
        row(
            "API list, 100 a page",
            api_times,
            f"  {statistics.median(sizes) / 1000:.0f} KB  (goal p95 <= 50 ms)",
        )
    )


def each_alone(
    port: int, roots: list[int], folders: dict[str, int], people: list, shared: Shared
) -> None:
    editor = next(e for e, r in people if r == "provider_editor")
    inspector = next(e for e, r in people if r == "inspector")
    files = Files(random.Random(3))
    rng = random.Random(4)
    e = Client(port, editor, "provider_editor", files)
    i = Client(port, inspector, "inspector", None)
    e.sign_in()
    i.sign_in()
    n = 0

    def upload() -> None:
        nonlocal n
        n += 1
        shared.add(e.upload(folders["working"], f"alone-{n}"))

    ops = {
        "sign-in": (i.sign_in, 10),
        "list": (lambda: i.list(folders["large"]), 30),
        "search": (lambda: i.search(rng), 30),
        "download": (lambda: i.download(*shared.pick(rng)), 30),
        "upload": (upload, 10),
    }
    print("\nEach operation alone, one client (server CPU counts the task worker too):")
    for name, (fn, count) in ops.items():
        time.sleep(1.0 if name == "list" else 0.2)  # let the worker finish what came before
        before = process_tree_cpu(roots)
        times = timed(fn, count)
        if name == "upload":
            time.sleep(3)  # the worker extracts and indexes each upload
        cpu = (process_tree_cpu(roots) - before) / count
        print(row(name, times, f"  server CPU {cpu * 1000:.0f} ms/request"))


def mixed(
    port: int,
    roots: list[int],
    folders: dict[str, int],
    people: list,
    shared: Shared,
    seconds: float,
    spy: Path | None = None,
    think: float = 0.0,
) -> None:
    clients = [
        Client(port, email, role, Files(random.Random(n)) if role == "provider_editor" else None)
        for n, (email, role) in enumerate(people)
    ]
    for c in clients:
        c.sign_in()
    spies = []
    if spy:  # sampled stacks of the web workers and the task worker, while the load runs
        for n, root in enumerate(roots):
            spies.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "py-spy"),
                        *("record", "--subprocesses", "--nonblocking", "--format", "raw"),
                        *("--duration", str(int(seconds)), "-p", str(root)),
                        *("-o", f"{spy}.{n}"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    before = process_tree_cpu(roots), time.process_time()
    until = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=run_client, args=(c, folders, shared, until, n, think))
        for n, c in enumerate(clients)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    server_cpu = process_tree_cpu(roots) - before[0]
    client_cpu = time.process_time() - before[1]  # this process alone, all its threads
    total = sum(len(v) for v in shared.times.values())
    errors = sum(len(v) for v in shared.errors.values())
    pauses = f"pauses of {think:g} s on average" if think else "no pauses"
    print(f"\nMixed load: {len(clients)} clients for {seconds:.0f} s, {pauses}:")
    for op in ("sign-in", "list", "search", "download", "upload"):
        goal = "  (goal p95 <= 300 ms)" if op in ("list", "search", "download") else ""
        print(row(op, shared.times.get(op, []), goal))
    print(
        f"  {total} requests, {total / elapsed:.1f} ops/s, {errors} errors; server CPU "
        f"{server_cpu / max(total, 1) * 1000:.0f} ms/request ({server_cpu / elapsed * 100:.0f}% "
        f"of its core); load generator {client_cpu / elapsed * 100:.0f}% of its core"
    )
    for op, messages in shared.errors.items():
        print(f"  {op} errors: {len(messages)}, e.g. {messages[0]}")
    for p in spies:
        p.wait(timeout=seconds + 60)
    if spies:
        print(f"  py-spy stacks (collapsed): {spy}.0 (web), {spy}.1 (task worker)")


def lost(port: int, people: list, shared: Shared) -> int:
    inspector = next(e for e, r in people if r == "inspector")
    c = Client(port, inspector, "inspector", None)
    c.sign_in()
    missing = 0
    for document_id, sha in shared.uploaded:
        try:
            c.download(document_id, sha)
        except (Refused, OSError) as exc:
            missing += 1
            print(f"  lost: {exc}")
    print(
        f"  every upload downloaded again: {len(shared.uploaded) - missing} intact, {missing} lost"
    )
    return missing


def profile(work: Path, url: str | None, folders: dict[str, int], people: list) -> None:
    """Each operation in this process under cProfile: where its time goes."""
    import cProfile
    import pstats

    from vir import create_app

    app = create_app(
        {
            "VIR_DATA_DIR": str(work),
            "VIR_STORAGE_DIR": str(work / "files"),
            "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{work / 'vir.sqlite3'}",
            "VIR_SEARCH_ENABLED": False,
            "VIR_RATE_LIMITS": False,
            "VIR_TASKS_IMMEDIATE": True,
            "SECRET_KEY": "profile",
        }
    )
    client = app.test_client()
    inspector = next(e for e, r in people if r == "inspector")
    token = client.post("/api/v1/tokens", json={"email": inspector, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    rng = random.Random(5)
    with app.app_context():
        from sqlalchemy import select

        from vir.core.db import db
        from vir.documents.models import Document

        document = db.session.scalars(
            select(Document.id).where(Document.folder_id == folders["working"])
        ).first()
    calls = {
        "list": lambda: client.get(
            f"/api/v1/folders/{folders['large']}/documents?page_size=100", headers=headers
        ),
        "search": lambda: client.get(f"/api/v1/search?q={rng.choice(WORDS)}", headers=headers),
        "download": lambda: client.get(f"/api/v1/documents/{document}/download", headers=headers),
        "sign-in": lambda: client.post(
            "/api/v1/tokens", json={"email": inspector, "password": PASSWORD}
        ),
    }
    print("\nProfile: functions with the most cumulative time, 20 requests each")
    for name, call in calls.items():
        call()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(20):
            call().close()
        prof.disable()
        stats = pstats.Stats(prof)
        total = stats.total_tt
        print(f"  {name}: {total / 20 * 1000:.1f} ms a request in-process")
        ranked = sorted(
            (
                (ct, f"{Path(f).name}:{line} {fn}")
                for (f, line, fn), (_, _, _, ct, _) in stats.stats.items()
                if "/vir/" in f or "sqlalchemy/engine" in f or "whoosh" in f or "jinja" in f
            ),
            reverse=True,
        )
        for ct, where in ranked[:8]:
            print(f"      {ct / 20 * 1000:7.1f} ms  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument(
        "--one-pool",
        action="store_true",
        help="one gunicorn alone, no nginx and no bulk pool (the shape before issue 13's pools)",
    )
    parser.add_argument("--bulk-workers", type=int, default=2, help="workers of the bulk pool")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause in seconds between one client's requests (exponential); 0: none",
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="FILE",
        help="sample the server's stacks during the mixed load into FILE.0, FILE.1 "
        "(needs py-spy: .venv/bin/pip install py-spy)",
    )
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        raise SystemExit("this benchmark needs two cores: one for the server, one for it")
    os.sched_setaffinity(0, {CLIENT_CORE})
    work = Path(tempfile.mkdtemp(prefix="vir-load-bench-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, True)
        url = None
        if args.database == "postgresql":
            url = stack.enter_context(postgres_database(f"vir_load_{secrets.token_hex(4)}"))
        print(
            f"VIR under load on core {SERVER_CORE}: "
            + (
                f"gunicorn {args.workers} workers x {args.threads} threads + task worker"
                if args.one_pool
                else f"nginx -> gunicorn {args.workers} workers x {args.threads} threads (web "
                f"pool) + {args.bulk_workers} (bulk pool, nice "
                f"{_unit_nice('vir-bulk.service')}) + task worker (nice "
                f"{_unit_nice('vir-worker.service')})"
            )
            + f"; this generator on core {CLIENT_CORE}; {args.database}, "
            f"files on disk, {args.docs} documents in the large folder"
        )
        setup = build(work, url, args.docs, args.clients)
        folders, people = setup["folders"], setup["people"]
        port = free_port()
        processes = start_server(
            work, url, args.workers, port, args.threads, not args.one_pool, args.bulk_workers
        )
        for p in processes:
            stack.callback(_stop, p)
        _wait_for(port)
        roots = [p.pid for p in processes]
        shared = Shared()
        seeder = Client(
            port,
            next(e for e, r in people if r == "provider_editor"),
            "provider_editor",
            Files(random.Random(1)),
        )
        seeder.sign_in()
        for n in range(30):
            shared.add(seeder.upload(folders["working"], f"seed-{n}"))
        _wait_until_indexed(port, people, 30)  # the quiet phases are quiet
        large_folder(port, folders, people, args.docs)
        each_alone(port, roots, folders, people, shared)
        mixed(port, roots, folders, people, shared, args.seconds, args.py_spy, args.think)
        missing = lost(port, people, shared)
        if args.profile:
            profile(work, url, folders, people)
        log = (work / "server.log").read_text(errors="replace")
        if "Traceback" in log:
            print("\nThe server logged a traceback:\n" + log[log.index("Traceback") :][:3000])
    if missing:
        raise SystemExit(1)


def _wait_until_indexed(port: int, people: list, seeds: int) -> None:
    inspector = Client(port, next(e for e, r in people if r == "inspector"), "inspector", None)
    inspector.sign_in()
    for _ in range(600):
        found = json.loads(inspector.call("GET", "/api/v1/search?q=seed")[0])["total"]
        if found >= seeds:
            time.sleep(1)  # and the worker's last commit settles
            return
        time.sleep(0.3)
    raise SystemExit(f"the worker indexed {found} of {seeds} seed files in 180 s")


def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)  # refused, or nginx's 502 while gunicorn starts
    raise SystemExit("the server did not start")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


if __name__ == "__main__":
    main()
