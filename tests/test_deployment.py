"""The production shape, brought up on loopback from the files that ship in deploy/: nginx
(Debian's, with deploy/nginx/vir.conf, TLS) → gunicorn's two pools (the ExecStart of
deploy/systemd/vir-web.service and vir-bulk.service) → PostgreSQL, Redis, Ceph RGW and
clamd, with the task worker of deploy/systemd/vir-worker.service. Sign in, upload 1 GB,
search, download it with its SHA-256 checked, and /readyz through nginx; each request is
answered by the pool that nginx's map names for it."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import secrets
import shlex
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests import files
from tests.conftest import PG_ADMIN_URL, s3_config
from tests.services import nginx
from tests.services.ceph import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
GB = 1024**3
BOUNDARY = "vir-deployment-boundary"


def _exec_start(unit: str, env: dict[str, str] | None = None) -> list[str]:
    """The unit's ExecStart, with /opt/vir/.venv/bin as this test's virtualenv and ${VAR}
    taken from ``env``, as systemd does."""
    line = next(
        x
        for x in (DEPLOY / "systemd" / unit).read_text().splitlines()
        if x.startswith("ExecStart=")
    )
    args = shlex.split(line.removeprefix("ExecStart="))
    args = [re.sub(r"\$\{(\w+)\}", lambda m: (env or {})[m.group(1)], a) for a in args]
    return [a.replace("/opt/vir/.venv/bin", str(BIN)) for a in args]


def _env_file(**overrides: str) -> dict[str, str]:
    """deploy/vir.env.example, as systemd reads it, with this test's values."""
    env = {}
    for line in (DEPLOY / "vir.env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    env.update(overrides)
    return {**{k: v for k, v in os.environ.items() if not k.startswith("VIR_")}, **env}


@contextlib.contextmanager
def _running(args: list[str], env: dict[str, str] | None, log: Path) -> Iterator[Any]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
        self.opened: list[http.client.HTTPConnection] = []

    def close(self) -> None:
        for conn in self.opened:
            conn.close()

    def call(
        self, method: str, path: str, body: Any = None, headers: dict | None = None
    ) -> http.client.HTTPResponse:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context, timeout=600
        )
        self.opened.append(conn)
        conn.request(method, path, body=body, headers=headers or {})
        return conn.getresponse()

    def json(self, method: str, path: str, payload: Any = None, headers: dict | None = None):  # type: ignore[no-untyped-def]
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        response = self.call(method, path, json.dumps(payload) if payload else None, hdrs)
        return response.status, json.loads(response.read() or b"null")


def _csv_chunks(total: int, digest: Any) -> Iterator[bytes]:
    line = b"Ysgol Gymraeg Bro Taf,93.5,Trefniadau presenoldeb\n"
    block = b"school,attendance,note\n" + line * ((1 << 20) // len(line))
    sent = 0
    while sent < total:
        piece = block[: min(len(block), total - sent)]
        digest.update(piece)
        sent += len(piece)
        yield piece


def _multipart(size: int, digest: Any) -> tuple[int, Iterator[bytes]]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nAttendance\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="attendance.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from _csv_chunks(size, digest)
        yield tail

    return len(head) + size + len(tail), body()


def provision(env: dict[str, str], password: str) -> None:
    """With the `vir` CLI, as an operator would: the schema, Cardiff, and its editor Eleri."""
    vir = _exec_start("vir-worker.service")[0]
    for args, stdin in (
        (["db", "upgrade"], None),
        (["orgs", "add", "cardiff", "--name", "Cardiff", "--kind", "local_authority"], None),
        (
            ["users", "add", "editor@cardiff.example", "--name", "Eleri", "--org", "cardiff",
             "--role", "provider_editor", "--password-stdin"],
            password + "\n",
        ),
    ):  # fmt: skip
        subprocess.run(
            [vir, *args], env=env, check=True, capture_output=True, input=stdin, text=True
        )


@pytest.fixture
def database() -> Iterator[str]:
    name = f"vir_deploy_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_nginx_gunicorn_postgres_redis_ceph_clamd(tmp_path, s3_server, database):
    from tests.services.clamd import clamd

    try:
        nginx.binary()
    except RuntimeError as exc:
        pytest.fail(str(exc))

    redis_url = "redis://127.0.0.1:6379/7"  # the queue's own name keeps concurrent runs apart
    web_port, bulk_port, https_port, http_port = (free_port() for _ in range(4))
    (tmp_path / "metrics").mkdir()
    with clamd(stream_max="2100M") as clamd_sock:
        env = _env_file(
            VIR_SECRET_KEY=secrets.token_urlsafe(32),
            VIR_BASE_URL=f"https://127.0.0.1:{https_port}",
            VIR_DATABASE_URL=database,
            VIR_DATA_DIR=str(tmp_path / "data"),
            VIR_BIND=f"127.0.0.1:{web_port}",
            VIR_WORKERS="2",
            VIR_BULK_BIND=f"127.0.0.1:{bulk_port}",
            VIR_BULK_WORKERS="1",
            VIR_REDIS_URL=redis_url,
            VIR_QUEUE_NAME=f"vir-deployment-{uuid.uuid4().hex[:8]}",
            VIR_CLAMD_SOCKET=str(clamd_sock),
            VIR_SMTP_HOST="",
            VIR_LOG_FORMAT="json",
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
            VIR_METRICS_TOKEN="scrape-0123456789",
            **{k: str(v) for k, v in s3_config(s3_server).items()},
        )
        password = secrets.token_urlsafe(16)
        provision(env, password)
        conf = nginx.conf(tmp_path / "nginx", https_port, http_port, web_port, bulk_port)
        with (
            _running(_exec_start("vir-web.service", env), env, tmp_path / "gunicorn.log"),
            _running(_exec_start("vir-bulk.service", env), env, tmp_path / "bulk.log"),
            _running(_exec_start("vir-worker.service", env), env, tmp_path / "worker.log"),
            nginx.running(conf, tmp_path / "nginx.out", https_port),
        ):
            web = Client(https_port)
            try:
                _journey(web, tmp_path, password)
            finally:
                web.close()
        # Each request went to its pool: the heavy ones to the bulk pool, reading to the other.
        pools = {
            "web": (tmp_path / "gunicorn.log").read_text(),
            "bulk": (tmp_path / "bulk.log").read_text(),
        }
        for line, pool in (
            ('"POST /api/v1/tokens" 201', "bulk"),
            (f'"POST /api/v1/folders/{folder_id(pools)}/documents" 201', "bulk"),
            ('"GET /api/v1/search" 200', "web"),
            ('"GET /readyz" 200', "web"),
        ):
            other = "web" if pool == "bulk" else "bulk"
            assert line in pools[pool] and line not in pools[other], (line, pools)


def folder_id(pools: dict[str, str]) -> str:
    return re.search(r'"POST /api/v1/folders/(\d+)/documents"', pools["bulk"]).group(1)


def _journey(web: Client, tmp_path: Path, password: str) -> None:
    for _ in range(200):
        with contextlib.suppress(OSError, http.client.HTTPException):
            if web.call("GET", "/livez").status == 200:
                break
        time.sleep(0.2)
    status, ready = web.json("GET", "/readyz")
    assert status == 200, ready
    assert set(ready["checks"].values()) == {"ok"}, ready
    r = web.call("GET", "/sign-in")
    assert r.status == 200
    assert "max-age=63072000" in r.headers["Strict-Transport-Security"]
    assert len(r.headers["X-Request-ID"]) == 32  # nginx's $request_id, kept by VIR
    r.read()

    status, token = web.json(
        "POST",
        "/api/v1/tokens",
        {"email": "editor@cardiff.example", "password": password},
    )
    assert status == 201, token
    auth = {"Authorization": f"Bearer {token['token']}"}
    status, folder = web.json(
        "POST",
        "/api/v1/providers/cardiff/folders",
        {"name": "Data", "area": "provider"},
        auth,
    )
    assert status == 201, folder

    digest = hashlib.sha256()
    length, body = _multipart(GB, digest)
    started = time.monotonic()
    r = web.call(
        "POST",
        f"/api/v1/folders/{folder['id']}/documents",
        body,
        {
            **auth,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length),
        },
    )
    stored = json.loads(r.read())
    took = time.monotonic() - started
    assert r.status == 201, stored
    assert stored["size"] == GB and stored["sha256"] == digest.hexdigest()
    assert stored["scanned"] is True
    print(f"\n1 GB upload through nginx: {took:.1f} s ({GB / took / 1e6:.0f} MB/s)")

    small = files.pdf("Adroddiad hunanwerthuso: arweinyddiaeth a thrawsnewid")
    pdf_body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="ser.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + small
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    r = web.call(
        "POST",
        f"/api/v1/folders/{folder['id']}/documents",
        pdf_body,
        {**auth, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert r.status == 201, r.read()
    r.read()
    # Indexed by the worker (through Redis), searchable through nginx.
    deadline, found = time.monotonic() + 60, []
    while time.monotonic() < deadline and not found:
        status, result = web.json("GET", "/api/v1/search?q=arweinyddiaeth", None, auth)
        assert status == 200, result
        found = [h["filename"] for h in result["results"]]
        time.sleep(0.5)
    assert found == ["ser.pdf"], (tmp_path / "worker.log").read_text()[-3000:]

    # The download: a redirect to a short-lived link on the store, read whole.
    r = web.call("GET", f"/api/v1/documents/{stored['id']}/download", None, auth)
    if r.status in (302, 303, 307):
        r.read()
        from urllib.parse import urlsplit

        link = urlsplit(r.headers["Location"])
        store = http.client.HTTPConnection(link.hostname, link.port, timeout=600)
        web.opened.append(store)
        store.request("GET", link.path + ("?" + link.query if link.query else ""))
        r = store.getresponse()
    assert r.status == 200
    check, size = hashlib.sha256(), 0
    while chunk := r.read(1 << 20):
        check.update(chunk)
        size += len(chunk)
    assert size == GB and check.hexdigest() == digest.hexdigest()

    scrape = {"Authorization": "Bearer scrape-0123456789"}
    metrics = web.call("GET", "/metrics", None, scrape).read().decode()
    assert 'vir_uploads_total{kind="document"} 2.0' in metrics
