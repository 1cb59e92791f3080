"""A real S3 server for the tests: a one-node Ceph cluster (monitor, in-memory OSD, RADOS
Gateway) on loopback, in a temporary directory. Recipe: ../shared/S3-TESTING.md.

Run alone to try it: python -m tests.services.ceph
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class ServiceError(RuntimeError):
    pass


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    directory: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], logdir: Path, timeout: float = 60) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise ServiceError(
            f"{' '.join(args)} failed ({result.returncode}): {result.stderr}\nlogs: {logdir}"
        )
    return result.stdout


def _wait(predicate, what: str, logdir: Path, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return
        time.sleep(0.1)
    raise ServiceError(f"{what} did not come up within {seconds:.0f} s; logs in {logdir}")


@contextlib.contextmanager
def ceph_rgw(memory_bytes: int = 4 << 30) -> Iterator[S3Server]:
    """A one-OSD Ceph with RGW on loopback; objects are kept in ``memory_bytes`` of RAM."""
    for tool in (
        "ceph-mon",
        "ceph-osd",
        "radosgw",
        "radosgw-admin",
        "monmaptool",
        "ceph-authtool",
        "ceph",
    ):
        if shutil.which(tool) is None:
            raise ServiceError(
                f"{tool} is missing: run scripts/system-deps (Debian radosgw, ceph-mon, ceph-osd)"
            )
    base = Path(tempfile.mkdtemp(prefix="vir-ceph-"))
    p1, p2, rgw_port = free_port(), free_port(), free_port()
    fsid = str(uuid.uuid4())
    access, secret = "vir-test", secrets.token_hex(16)
    conf = base / "ceph.conf"
    conf.write_text(f"""[global]
fsid = {fsid}
mon host = [v2:127.0.0.1:{p2},v1:127.0.0.1:{p1}]
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
osd pool default pg num = 8
run dir = {base}/run
pid file = {base}/run/$name.pid
admin socket = {base}/run/$name.asok
log file = {base}/log/$name.log
keyring = {base}/keyring
mon data = {base}/mon/$cluster-$id
osd data = {base}/osd/$cluster-$id
osd objectstore = memstore
memstore device bytes = {memory_bytes}
mon warn on pool no redundancy = false

[mon]
paxos propose interval = 0.05
paxos min wait = 0.01

[client.rgw.vir]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw data = {base}/rgw
# Deleted objects' data is reclaimed within seconds, not hours, so a long run (the upload
# benchmark) reuses the memory store instead of growing it.
rgw gc obj min wait = 0
rgw gc processor period = 2
""")
    for sub in ("run", "log", "mon", "osd", "rgw"):
        (base / sub).mkdir()
    c = ["-c", str(conf)]
    procs: list[subprocess.Popen] = []
    try:
        _run(
            [
                "ceph-authtool",
                "--create-keyring",
                str(base / "keyring"),
                "--gen-key",
                "-n",
                "mon.",
                "--cap",
                "mon",
                "allow *",
            ],
            base,
        )
        _run(
            [
                "monmaptool",
                "--create",
                "--fsid",
                fsid,
                "--addv",
                "a",
                f"[v2:127.0.0.1:{p2},v1:127.0.0.1:{p1}]",
                str(base / "monmap"),
            ],
            base,
        )
        _run(
            [
                "ceph-mon",
                *c,
                "--mkfs",
                "-i",
                "a",
                "--monmap",
                str(base / "monmap"),
                "--keyring",
                str(base / "keyring"),
            ],
            base,
        )
        _run(["ceph-mon", *c, "-i", "a"], base)
        osd_uuid = str(uuid.uuid4())
        osd_id = _run(["ceph", *c, "osd", "new", osd_uuid], base).strip()
        (base / "osd" / f"ceph-{osd_id}").mkdir()
        _run(["ceph-osd", *c, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid], base)
        _run(["ceph-osd", *c, "-i", osd_id], base)
        _wait(
            lambda: f"osd.{osd_id} up" in _run(["ceph", *c, "osd", "dump"], base), "the OSD", base
        )
        _run(
            [
                "radosgw-admin",
                *c,
                "user",
                "create",
                "--uid=test",
                "--display-name=test",
                f"--access-key={access}",
                f"--secret-key={secret}",
            ],
            base,
        )
        with (base / "log" / "radosgw.out").open("wb") as log:
            procs.append(
                subprocess.Popen(
                    ["radosgw", "-f", *c, "-n", "client.rgw.vir"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        endpoint = f"http://127.0.0.1:{rgw_port}"

        def answers() -> bool:
            with urllib.request.urlopen(endpoint + "/", timeout=2) as r:
                return b"ListAllMyBucketsResult" in r.read()

        _wait(answers, "radosgw", base, seconds=90)
        yield S3Server(endpoint, access, secret, base)
    finally:
        for proc in procs:
            proc.terminate()
        for pidfile in (base / "run").glob("*.pid"):
            with contextlib.suppress(Exception):
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        time.sleep(0.3)
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.kill()
                proc.wait(5)
        for pidfile in (base / "run").glob("*.pid"):
            with contextlib.suppress(Exception):
                os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    started = time.monotonic()
    with ceph_rgw() as server:
        print(f"S3 at {server.endpoint} after {time.monotonic() - started:.1f} s")
