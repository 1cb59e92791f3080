"""Two web nodes behind a load balancer, as a government service runs: two gunicorn nodes
(deploy/systemd/vir-web.service's ExecStart), each with a data directory of its own, and a
`vir worker` on each host, sharing PostgreSQL (with the PostgreSQL search back end), Redis
and a Ceph RGW bucket. What one node does, the other sees: a document uploaded through A is
found through B within 2 s; a session and a token made on A work on B; the sign-in throttle
counts across both; a periodic job enqueued by both workers runs once; and stopping node A
loses nothing in flight on B."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import secrets
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.conftest import s3_config
from tests.services.ceph import free_port
from tests.test_deployment import _env_file, _exec_start, _running, database, provision  # noqa: F401

BOUNDARY = "vir-cluster-boundary"
# What the load balancer in front of both nodes says the caller's address is.
CALLER = {"X-Forwarded-For": "10.20.30.40"}


class Node:
    def __init__(self, port: int) -> None:
        self.port = port

    def call(
        self, method: str, path: str, body: Any = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (Set-Cookie as the cookies it sets, "name=value; ..."), body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers={**CALLER, **(headers or {})})
            r = conn.getresponse()
            out = dict(r.getheaders())
            cookies = [v.split(";", 1)[0] for k, v in r.getheaders() if k.lower() == "set-cookie"]
            out["Set-Cookie"] = "; ".join(cookies)
            return r.status, out, r.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, payload: Any = None, headers: dict | None = None):  # type: ignore[no-untyped-def]
        status, _h, body = self.call(
            method,
            path,
            json.dumps(payload) if payload is not None else None,
            {"Content-Type": "application/json", **(headers or {})},
        )
        return status, json.loads(body or b"null")

    def upload(self, auth: dict, folder: int, name: str, data: bytes) -> tuple[int, Any]:
        body = (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{name}"\r\nContent-Type: text/plain\r\n\r\n'
            ).encode()
            + data
            + f"\r\n--{BOUNDARY}--\r\n".encode()
        )
        status, _h, out = self.call(
            "POST",
            f"/api/v1/folders/{folder}/documents",
            body,
            {**auth, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        return status, json.loads(out or b"null")

    def wait_up(self) -> None:
        for _ in range(300):
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.call("GET", "/livez")[0] == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"node on port {self.port} did not start")


def _sign_in(node: Node, email: str, password: str) -> str:
    """A web sign-in through the form; the session cookie it sets."""
    status, headers, page = node.call("GET", "/sign-in")
    assert status == 200
    cookie = headers["Set-Cookie"]
    csrf = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    status, headers, _ = node.call(
        "POST",
        "/sign-in",
        urlencode({"email": email, "password": password, "csrf_token": csrf}),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert status in (302, 303), status
    return headers["Set-Cookie"]


def test_two_nodes_share_search_sessions_throttle_and_jobs(tmp_path, s3_server, database):  # noqa: F811
    redis_url = "redis://127.0.0.1:6379/7"
    port_a, port_b = free_port(), free_port()
    password = secrets.token_urlsafe(16)
    common = dict(
        VIR_SECRET_KEY=secrets.token_urlsafe(32),
        VIR_DATABASE_URL=database,
        VIR_WORKERS="2",
        VIR_REDIS_URL=redis_url,
        VIR_QUEUE_NAME=f"vir-cluster-{uuid.uuid4().hex[:8]}",
        VIR_SEARCH_BACKEND="postgres",
        VIR_CLAMD="off",
        VIR_CLAMD_SOCKET="",
        VIR_SMTP_HOST="",
        VIR_REQUIRE_2FA="0",
        VIR_LOGIN_FREE_ATTEMPTS="3",
        VIR_LOG_FORMAT="text",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        **{k: str(v) for k, v in s3_config(s3_server).items()},
    )
    (tmp_path / "metrics").mkdir()  # else the metrics' files land in the working directory
    hosts = {}
    for name, port in (("a", port_a), ("b", port_b)):
        (tmp_path / name).mkdir()
        hosts[name] = _env_file(
            **common,
            VIR_BASE_URL=f"http://127.0.0.1:{port}",
            VIR_DATA_DIR=str(tmp_path / name / "data"),
            VIR_BIND=f"127.0.0.1:{port}",
        )
    vir = _exec_start("vir-worker.service")[0]
    provision(hosts["a"], password)
    logs = {name: tmp_path / f"{name}.log" for name in ("web-a", "web-b", "w-a", "w-b")}
    with (
        _running(_exec_start("vir-web.service", hosts["b"]), hosts["b"], logs["web-b"]),
        _running(_exec_start("vir-worker.service"), hosts["a"], logs["w-a"]),
        _running(_exec_start("vir-worker.service"), hosts["b"], logs["w-b"]),
    ):
        a, b = Node(port_a), Node(port_b)
        with _running(
            _exec_start("vir-web.service", hosts["a"]), hosts["a"], logs["web-a"]
        ) as node_a:
            a.wait_up()
            b.wait_up()
            _shared_state(a, b, password, logs)
            _periodic_jobs_run_once(vir, hosts, logs)
            auth, folder = _token(a, password)
            # Node A stops while B is taking uploads: none of B's is lost.
            results: list[tuple[int, Any]] = []
            threads = [
                threading.Thread(
                    target=lambda n=n: results.append(
                        b.upload(
                            auth, folder, f"during-{n}.txt", f"duringstop{n} ".encode() * 50_000
                        )
                    )
                )
                for n in range(6)
            ]
            for t in threads:
                t.start()
            time.sleep(0.05)
            node_a.terminate()
            node_a.wait(30)
            for t in threads:
                t.join(120)
        assert sorted(s for s, _ in results) == [201] * 6, results
        for n in range(6):
            assert _found_within(b, auth, f"duringstop{n}", 10) is not None, n
        status, listing = b.json("GET", f"/api/v1/folders/{folder}/documents", None, auth)
        names = {d["filename"] for d in listing} if status == 200 else set()
        assert {f"during-{n}.txt" for n in range(6)} <= names, listing


def _paper(word: str) -> bytes:
    return f"{word} ".encode() + b"evidence of progress " * 50_000  # about 1 MB


def _token(node: Node, password: str) -> tuple[dict, int]:
    status, token = node.json(
        "POST", "/api/v1/tokens", {"email": "editor@cardiff.example", "password": password}
    )
    assert status == 201, token
    auth = {"Authorization": f"Bearer {token['token']}"}
    status, folders = node.json("GET", "/api/v1/providers/cardiff/folders", None, auth)
    assert status == 200, folders
    found = [f["id"] for f in folders if f["name"] == "Evidence"]
    if found:
        return auth, found[0]
    status, made = node.json(
        "POST", "/api/v1/providers/cardiff/folders", {"name": "Evidence", "area": "provider"}, auth
    )
    assert status == 201, made
    return auth, made["id"]


def _found_within(node: Node, auth: dict, word: str, seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        status, result = node.json("GET", f"/api/v1/search?q={word}", None, auth)
        assert status == 200, result
        if result["total"]:
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def _shared_state(a: Node, b: Node, password: str, logs: dict[str, Path]) -> None:
    # A token made on A works on B; a document uploaded through A is found through B.
    auth, folder = _token(a, password)
    assert b.json("GET", "/api/v1/providers/cardiff/folders", None, auth)[0] == 200
    took = []
    for n in range(5):
        word = f"clusterword{n}{secrets.token_hex(3)}"
        status, stored = a.upload(auth, folder, f"paper-{n}.txt", f"{word} evidence".encode())
        assert status == 201, stored
        found = _found_within(b, auth, word, 10)
        assert found is not None, logs["w-a"].read_text()[-3000:] + logs["w-b"].read_text()[-3000:]
        took.append(found)
    assert max(took) <= 2, took
    print(f"\nuploaded through A, found through B after at most {max(took) * 1000:.0f} ms")
    # A session made on A works on B (sessions are in the database).
    cookie = _sign_in(a, "editor@cardiff.example", password)
    status, _h, page = b.call("GET", "/", headers={"Cookie": cookie})
    assert status == 200 and b"Eleri" in page, status
    # The throttle counts failures on both nodes together: three free attempts, then 429.
    statuses = [
        node.json("POST", "/api/v1/tokens", {"email": "editor@cardiff.example", "password": "x"})[0]
        for node in (a, b, a, b)
    ]
    assert statuses == [401, 401, 401, 429], statuses


def _periodic_jobs_run_once(vir: str, hosts: dict, logs: dict[str, Path]) -> None:
    """Each worker's scheduler enqueues a periodic job at its minute: here both enqueue the
    index repair (as two schedulers would), and one of the runs is skipped."""
    script = (
        "from vir import create_app\n"
        "from vir.core.tasks import repair_index\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    repair_index(); repair_index()\n"
    )
    python = str(Path(vir).parent / "python")
    subprocess.run([python, "-c", script], env=hosts["a"], check=True, capture_output=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = logs["w-a"].read_text() + logs["w-b"].read_text()
        started = text.count("Executing vir.core.tasks.repair_index")
        finished = len(re.findall(r"tasks\.repair_index: \S+ executed in", text))
        if started >= 2 and finished == started:  # both enqueued runs (at least) are done
            break
        time.sleep(0.2)
    text = logs["w-a"].read_text() + logs["w-b"].read_text()
    # Every start but one was skipped (a scheduler starting on a tenth minute enqueues it too).
    started = text.count("Executing vir.core.tasks.repair_index")
    skipped = text.count("repair_index already ran in this period")
    assert started >= 2 and started - skipped == 1, text[-4000:]


def test_a_periodic_job_runs_once_a_period_whichever_worker_starts_it(tmp_path, sqlite_template):
    """The claim behind the cluster test's check, on the shared Redis: a second start of a
    periodic job in the same period is skipped; a claim from the period before is dropped."""
    import shutil

    from tests.conftest import _config
    from vir import create_app
    from vir.core import tasks

    shutil.copy(sqlite_template, tmp_path / "vir.sqlite3")
    app = create_app(
        _config(
            f"sqlite:///{tmp_path / 'vir.sqlite3'}",
            tmp_path / "data",
            VIR_TASKS_IMMEDIATE=False,
            VIR_REDIS_URL="redis://127.0.0.1:6379/7",
            VIR_QUEUE_NAME=f"vir-once-{uuid.uuid4().hex[:8]}",
        )
    )
    try:
        with app.app_context():
            period = int(time.time() // 600)
            tasks.huey.put(f"vir-periodic:repair_index:{period - 1}", "1")
            assert tasks.repair_index.call_local() == 0  # ran: nothing to repair
            assert tasks.repair_index.call_local() is None  # skipped: already ran
            assert tasks.huey.get(f"vir-periodic:repair_index:{period - 1}", peek=True) is None
            tasks.huey.delete(f"vir-periodic:repair_index:{period}")
    finally:
        with app.app_context():
            from vir.core.db import db

            db.engine.dispose()
        tasks.huey.immediate = True
