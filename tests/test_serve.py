"""The embedded run mode as `make run` starts it: one process serving the web and running the
task worker, which indexes the demo documents in the background; Ctrl+C stops it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.services.ceph import free_port

VIR = [sys.executable, "-c", "from vir.cli import main; main()"]


def _call(url: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_serve_runs_web_and_worker_together(tmp_path: Path) -> None:
    env = {**os.environ, "VIR_DATA_DIR": str(tmp_path / "data"), "VIR_COOKIE_SECURE": "0"}
    env.pop("VIR_DATABASE_URL", None)
    subprocess.run([*VIR, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*VIR, "demo", "--password-stdin"],
        env=env,
        check=True,
        capture_output=True,
        input="demo password 1234\n",
        text=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [*VIR, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                _call(base + "/health")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        token = _call(
            base + "/api/v1/tokens",
            {"email": "inspector@estyn.example", "password": "demo password 1234"},
        )["token"]
        found = 0
        for _ in range(150):  # the worker indexes the demo documents in the background
            found = _call(base + "/api/v1/search?q=attendance", token=token)["total"]
            if found:
                break
            time.sleep(0.2)
        assert found >= 1
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output = server.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            server.kill()
            output = server.communicate()[0].decode()
            raise AssertionError("vir serve did not stop on Ctrl+C:\n" + output) from None
    assert "Traceback" not in output, output
