"""Benchmark: a large upload through VIR vs raw boto3 to the same S3 endpoint, in one run.

Starts a Ceph RGW on loopback (as the tests do), runs VIR under gunicorn (one worker) against
it on SQLite, then, after one untimed upload of each, in each run, in alternating order:
  1. raw: boto3 ``upload_fileobj`` of the file to the bucket (boto3's default TransferConfig);
  2. app: ``POST /api/v1/folders/{id}/documents`` streaming the same file over HTTP.
The store is emptied after every upload (Ceph here keeps objects in memory). Prints MB/s for
both, the ratio and its median, the CPU time per GB of the machine and of each process, and
the server's peak RSS growth during each upload and during its first.

    .venv/bin/python -m bench.upload_s3 [--size-mb 1024] [--runs 3]

Goals (issue 3): app >= 80 % of raw; server RSS growth <= 100 MB.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

from tests.services.ceph import ceph_rgw, free_port

CHUNK = 1024 * 1024


def make_file(path: Path, size_mb: int) -> None:
    line = b"school,year,attendance,notes\n" + b"Ysgol,2026,93.5,steady improvement\n" * 28
    block = (line * (CHUNK // len(line) + 1))[:CHUNK]
    with path.open("wb") as fh:
        for _ in range(size_mb):
            fh.write(block)


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def worker_pid(pid: int) -> int:
    """gunicorn's worker is a child of the process we started; waitress serves in-process."""
    for _ in range(50):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    return pid


def cpu_seconds(me: int, server: int) -> dict[str, float]:
    """CPU time (user + system, all threads) so far of this process (the client), the VIR
    server and its workers, and the Ceph daemons, to show where a run's cycles go."""
    from bench.common import processes

    tick = os.sysconf("SC_CLK_TCK")
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    # Everything the machine did but wait: with the kernel's own work (network, disk).
    totals: dict[str, float] = {"machine": (sum(fields) - fields[3] - fields[4]) / tick}
    for pid, (ppid, comm, cpu) in processes().items():
        if pid == me:
            name = "client (this process)"
        elif pid == server or ppid == server:
            name = "VIR server"
        elif comm in ("radosgw", "ceph-osd", "ceph-mon"):
            name = comm
        else:
            continue
        totals[name] = totals.get(name, 0.0) + cpu
    return totals


def cpu_report(before: dict[str, float], after: dict[str, float], size: int) -> str:
    used = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    machine = used.pop("machine")
    parts = [f"{k} {v / (size / 1e9):.2f}" for k, v in sorted(used.items()) if v >= 0.05]
    return f"{machine / (size / 1e9):.2f} CPU s/GB on the machine, of which {', '.join(parts)}"


def reset_peak(pid: int) -> None:
    # Linux >= 4.0: writing 5 to clear_refs resets VmHWM to the current RSS.
    Path(f"/proc/{pid}/clear_refs").write_text("5")


class MultipartBody:
    """A file-like multipart/form-data body that streams the file from disk."""

    def __init__(self, path: Path, boundary: str) -> None:
        self.head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.fh = path.open("rb")
        self.length = len(self.head) + path.stat().st_size + len(self.tail)
        self.stage = 0

    def read(self, n: int = -1) -> bytes:
        if self.stage == 0:
            self.stage = 1
            return self.head
        if self.stage == 1:
            data = self.fh.read(CHUNK)
            if data:
                return data
            self.stage = 2
            return self.tail
        self.fh.close()
        return b""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server", choices=["gunicorn", "waitress"], default="gunicorn")
    parser.add_argument(
        "--storage",
        choices=["s3", "fs"],
        default="s3",
        help="fs: measure receiving alone, without S3",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vir-bench-"))
    source = work / "figures.csv"
    make_file(source, args.size_mb)
    size = source.stat().st_size
    with ceph_rgw(memory_bytes=4 * size + (1 << 30)) as s3:
        bucket = "vir-bench"
        cfg = Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        client = boto3.client(
            "s3",
            endpoint_url=s3.endpoint,
            aws_access_key_id=s3.access_key,
            aws_secret_access_key=s3.secret_key,
            region_name="us-east-1",
            config=cfg,
        )
        client.create_bucket(Bucket=bucket)
        port = free_port()
        env = {
            **os.environ,
            "VIR_DATA_DIR": str(work / "data"),
            "VIR_STORAGE": args.storage,
            "VIR_S3_ENDPOINT_URL": s3.endpoint,
            "VIR_S3_BUCKET": bucket,
            "VIR_S3_ACCESS_KEY": s3.access_key,
            "VIR_S3_SECRET_KEY": s3.secret_key,
            "VIR_S3_ADDRESSING_STYLE": "path",
            "VIR_COOKIE_SECURE": "0",
            "VIR_MAX_UPLOAD_MB": str(args.size_mb + 64),
        }
        vir = [sys.executable, "-c", "from vir.cli import main; main()"]
        password = secrets.token_urlsafe(16)
        subprocess.run([*vir, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run(
            [
                *vir,
                "orgs",
                "add",
                "cardiff",
                "--name",
                "Cardiff Council",
                "--kind",
                "local_authority",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                *vir,
                "users",
                "add",
                "bench@test.example",
                "--name",
                "Bench",
                "--org",
                "cardiff",
                "--role",
                "provider_editor",
                "--password-stdin",
            ],
            env=env,
            check=True,
            capture_output=True,
            input=password + "\n",
            text=True,
        )
        # The production web server (gunicorn streams the body to the app; waitress, used by
        # `vir serve`, first buffers a large body to a file of its own).
        if args.server == "gunicorn":
            cmd = [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "python:vir.gunicorn_conf",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "vir.wsgi:app",
            ]
        else:
            cmd = [*vir, "serve", "--port", str(port)]
        env["VIR_SECRET_KEY"] = secrets.token_urlsafe(32)
        env["VIR_CLAMD"] = "off"  # the upload path alone is measured
        env["VIR_RATE_LIMITS"] = "0"
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            conn = None
            for _ in range(100):
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                    conn.request("GET", "/health")
                    conn.getresponse().read()
                    break
                except OSError:
                    time.sleep(0.1)
            assert conn is not None

            def call(
                method: str, path: str, body: object = None, headers: dict | None = None
            ) -> dict:
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
                data = resp.read()
                if resp.status >= 300:
                    raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
                return json.loads(data) if data else {}

            token = call(
                "POST",
                "/api/v1/tokens",
                json.dumps({"email": "bench@test.example", "password": password}),
                {"Content-Type": "application/json"},
            )["token"]
            auth = {"Authorization": f"Bearer {token}"}
            folder = call(
                "POST",
                "/api/v1/providers/cardiff/folders",
                json.dumps({"name": "Bench", "area": "provider"}),
                {**auth, "Content-Type": "application/json"},
            )["id"]
            served_by = worker_pid(server.pid) if args.server == "gunicorn" else server.pid
            me = os.getpid()

            def upload_raw(run: int) -> float:
                start = time.perf_counter()
                with source.open("rb") as fh:
                    client.upload_fileobj(fh, bucket, f"raw/{run}")
                return time.perf_counter() - start

            def upload_app() -> tuple[float, float]:
                baseline = rss_kb(served_by, "VmRSS")
                reset_peak(served_by)
                boundary = secrets.token_hex(16)
                body = MultipartBody(source, boundary)
                start = time.perf_counter()
                doc = call(
                    "POST",
                    f"/api/v1/folders/{folder}/documents",
                    body,
                    {
                        **auth,
                        "Content-Type": f"multipart/form-data; boundary={boundary}",
                        "Content-Length": str(body.length),
                    },
                )
                took = time.perf_counter() - start
                assert doc["size"] == size, doc
                return took, (rss_kb(served_by, "VmHWM") - baseline) / 1024

            def clear_bucket() -> None:
                """The test Ceph keeps objects in memory: delete them, and give its garbage
                collector time to hand the memory back for the next upload to reuse."""
                listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
                for obj in listed:
                    client.delete_object(Bucket=bucket, Key=obj["Key"])
                time.sleep(5)

            # Warm up, untimed: the first gigabyte either side stores costs the store fresh
            # memory, which on a virtual machine costs several times more than reused memory.
            upload_raw(-1)
            clear_bucket()
            _, first_growth = upload_app()  # the server's first upload: its RSS grows most
            clear_bucket()
            ratios, growths = [], [first_growth]
            mb = size / 1e6
            for run in range(args.runs):
                # Alternate which goes first: each upload leaves the store (and the machine's
                # memory) in a different state for the next.
                first_raw = run % 2 == 0
                cpu0 = cpu_seconds(me, server.pid)
                if first_raw:
                    raw = upload_raw(run)
                    cpu1 = cpu_seconds(me, server.pid)
                    clear_bucket()
                    cpu1b = cpu_seconds(me, server.pid)
                    app, growth = upload_app()
                    cpu2 = cpu_seconds(me, server.pid)
                    raw_cpu, app_cpu = (cpu0, cpu1), (cpu1b, cpu2)
                else:
                    app, growth = upload_app()
                    cpu1 = cpu_seconds(me, server.pid)
                    clear_bucket()
                    cpu1b = cpu_seconds(me, server.pid)
                    raw = upload_raw(run)
                    cpu2 = cpu_seconds(me, server.pid)
                    raw_cpu, app_cpu = (cpu1b, cpu2), (cpu0, cpu1)
                clear_bucket()
                ratios.append(raw / app)
                growths.append(growth)
                order = "raw" if first_raw else "VIR"
                print(f"run {run + 1}: {size / 2**20:.0f} MiB, {order} first")
                print(f"  raw boto3 upload_fileobj : {raw:7.2f} s  {mb / raw:7.1f} MB/s")
                print(f"  through VIR (HTTP + S3)  : {app:7.2f} s  {mb / app:7.1f} MB/s")
                print(f"  VIR / raw throughput     : {raw / app * 100:6.1f} %")
                print(f"  CPU, raw : {cpu_report(*raw_cpu, size)}")
                print(f"  CPU, VIR : {cpu_report(*app_cpu, size)}")
                print(f"  server peak RSS growth   : {growth:6.1f} MB")
            print(
                f"median of {args.runs} runs: VIR / raw {statistics.median(ratios) * 100:.1f} % "
                f"(goal >= 80 %); server peak RSS growth {max(growths):.1f} MB at most, "
                f"{first_growth:.1f} MB in its first upload (goal <= 100 MB)"
            )
        finally:
            server.terminate()
            server.wait(10)
    for p in sorted(work.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    work.rmdir()


if __name__ == "__main__":
    main()
