"""How request bodies are received: large multipart bodies are parsed by python-multipart in
1 MiB blocks and must give exactly what werkzeug's parser gives; a body cut off or over a limit
keeps nothing; the spool does not keep what it wrote in memory; large buffers are reused."""

from __future__ import annotations

import errno
import hashlib
import http.client
import io
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import MultiPartParser, default_stream_factory

from vir.core.uploads import (
    ADVISE_STEP,
    DIRECT_BLOCK,
    READ_SIZE,
    HashingSpool,
    StreamingMultiPartParser,
    keep_large_buffers,
)

BOUNDARY = "vIr-b0undary-2026"


def part(
    name: str,
    value: bytes,
    filename: str | None = None,
    headers: tuple[str, ...] = (),
    disposition: str | None = None,
) -> bytes:
    if disposition is None:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
    lines = [f"Content-Disposition: {disposition}", *headers]
    return (f"--{BOUNDARY}\r\n" + "\r\n".join(lines) + "\r\n\r\n").encode() + value + b"\r\n"


def body(*parts: bytes, close: bool = True) -> bytes:
    return b"".join(parts) + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


def parse(
    kind: type[MultiPartParser],
    data: bytes,
    *,
    stream_factory: Any = None,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1000,
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, bytes]]]:
    parser = kind(
        stream_factory=stream_factory or default_stream_factory,
        max_form_memory_size=max_form_memory_size,
        max_form_parts=max_form_parts,
        cls=MultiDict,
    )
    form, files = parser.parse(io.BytesIO(data), BOUNDARY.encode(), len(data))
    got = []
    for name, f in files.items(multi=True):
        got.append((name, f.filename, f.content_type, f.stream.read()))
        f.close()
    return list(form.items(multi=True)), got


BIG = (b"school,year,attendance\n" + b"Ysgol Gymraeg,2026,93.5\n" * 140_000)[: 3 * READ_SIZE]
assert len(BIG) == 3 * READ_SIZE

CASES = {
    "fields and files": body(
        part("title", b"Improvement plan"),
        part("file", BIG, "plan.csv", ("Content-Type: text/csv",)),
        part("category", b"improvement_plan"),
        part("extra", b"%PDF-1.7 tiny", "second.pdf", ("Content-Type: application/pdf",)),
    ),
    "UTF-8 names and values": body(
        part("title", "Cynllun gwella – Ŵyl".encode()),
        part("file", BIG, "Adroddiad hunanwerthuso ŵ.csv"),
    ),
    "RFC 2231 file name": body(
        part(
            "file",
            BIG,
            disposition=(
                "form-data; name=\"file\"; filename*=UTF-8''Cynllun%20gwella%20%E2%80%93%202026.csv"
            ),
        )
    ),
    "a field in another charset": body(
        part(
            "title",
            "Caerdydd café".encode("latin-1"),
            headers=("Content-Type: text/plain; charset=latin-1",),
        ),
        part("file", BIG, "a.csv"),
    ),
    "empty file and field": body(
        part("note", b""), part("file", b"", "empty.csv"), part("big", BIG, "big.csv")
    ),
    "boundary-like bytes in the data": body(
        part("file", BIG + f"\r\n--{BOUNDARY[:-3]}\r\n--{BOUNDARY}x".encode() + BIG, "b.csv")
    ),
    "lone CR and LF at the end of data": body(
        part("file", BIG + b"\r", "c.csv"), part("other", BIG + b"\n\r\n", "d.csv")
    ),
    "a preamble before the first part": b"\r\n" + body(part("file", BIG, "e.csv")),
}


@pytest.mark.parametrize("case", CASES)
def test_large_bodies_parse_exactly_as_werkzeug_parses_them(case: str) -> None:
    data = CASES[case]
    assert len(data) >= READ_SIZE  # large enough for VIR to stream it
    assert parse(StreamingMultiPartParser, data) == parse(MultiPartParser, data)


@pytest.mark.parametrize("shift", [-60, -45, -40, -21, -20, -19, -4, -2, -1, 0, 1, 2, 7])
def test_a_boundary_split_across_two_reads_is_found(shift: int) -> None:
    """The closing delimiter (and a file that ends in CR LF) straddle the edge of a 1 MiB read
    at every offset that matters."""
    head = part("file", b"", "edge.csv")[:-2]  # headers only, without the data's CR LF
    size = READ_SIZE - len(head) + shift
    content = (b"x" * (size - 2) + b"\r\n")[:size]
    data = body(head + content + b"\r\n", part("title", b"after the edge"))
    expected = ([("title", "after the edge")], [("file", "edge.csv", None, content)])
    assert parse(StreamingMultiPartParser, data) == expected
    assert parse(MultiPartParser, data) == expected


def spools(directory: Path) -> Any:
    def factory(**_: Any) -> HashingSpool:
        return HashingSpool(directory)

    return factory


def test_limits_hold_and_a_refused_body_leaves_no_file(tmp_path: Path) -> None:
    many = body(*(part(f"f{i}", b"v") for i in range(20)), part("file", BIG, "a.csv"))
    with pytest.raises(RequestEntityTooLarge):
        parse(StreamingMultiPartParser, many, max_form_parts=10)
    huge_field = body(part("file", BIG, "a.csv"), part("note", b"n" * 600_000))
    with pytest.raises(RequestEntityTooLarge):
        parse(StreamingMultiPartParser, huge_field, stream_factory=spools(tmp_path))
    assert list(tmp_path.iterdir()) == []  # the file part before it was removed
    cut_off = body(part("title", b"Plan"), part("file", BIG, "a.csv"))[: 2 * READ_SIZE]
    with pytest.raises(ValueError, match="ended"):
        parse(StreamingMultiPartParser, cut_off, stream_factory=spools(tmp_path))
    assert list(tmp_path.iterdir()) == []
    unclosed = body(part("file", BIG, "a.csv"), close=False)
    with pytest.raises(ValueError):
        parse(StreamingMultiPartParser, unclosed, stream_factory=spools(tmp_path))
    assert list(tmp_path.iterdir()) == []
    bad_header = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="a.csv"\r\nX-Bad: \xff\r\n\r\n'
    ).encode("latin-1") + BIG
    with pytest.raises(ValueError):
        parse(StreamingMultiPartParser, body(bad_header + b"\r\n"), stream_factory=spools(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_requests_read_large_bodies_in_blocks_and_spool_them(app: Any, monkeypatch: Any) -> None:
    """Through Flask: a large body is read 1 MiB at a time into one buffer (each smaller read
    makes gunicorn copy its read-ahead again), and the file lands in a hashing spool (for a
    signed-in caller of a route that takes files: here, taken as given)."""
    from vir.core.uploads import VirRequest

    monkeypatch.setattr(VirRequest, "may_spool", lambda self: True)
    payload = bytes(range(256)) * 8192  # 2 MiB
    data = body(part("title", b"Plan"), part("file", payload, "data.csv"))
    sizes: list[int] = []

    class Counting(io.BytesIO):
        def readinto(self, buffer: Any) -> int:
            sizes.append(len(buffer))
            return super().readinto(buffer)

    with app.test_request_context(
        "/upload",
        method="POST",
        input_stream=Counting(data),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        content_length=len(data),
    ):
        from flask import request

        stored = request.files["file"]
        assert request.form["title"] == "Plan"
        assert stored.stream.read() == payload
        assert stored.stream.sha256 == hashlib.sha256(payload).hexdigest()
        # werkzeug asks for no more than is left of the body, so the last read is shorter.
        assert sizes == [READ_SIZE] * (len(data) // READ_SIZE) + [len(data) % READ_SIZE]
        stored.stream.close()


def resident_bytes(path: Path) -> int:
    out = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(out.split()[0])


@pytest.mark.parametrize("direct", [True, False])
def test_the_spool_keeps_every_byte_and_its_hash(tmp_path: Path, direct: bool) -> None:
    """The spool writes around the page cache (O_DIRECT, a thread hashing and writing whole
    blocks) or, on a file system that refuses that, through it. Pieces of odd sizes straddle
    the blocks; the file, its size and its SHA-256 come out the same either way."""
    spool = HashingSpool(tmp_path)
    assert spool._direct is not None  # ext4 here; tmpfs too on Linux 6.6 and later
    if not direct:
        spool._close_direct()  # as on a file system that refuses O_DIRECT
    data = os.urandom(3 * DIRECT_BLOCK + 12345)
    for start in range(0, len(data), 1_000_003):
        spool.write(data[start : start + 1_000_003])
    assert spool.size == len(data)
    assert spool.sha256 == hashlib.sha256(data).hexdigest()
    spool.seek(0)
    assert spool.read() == data
    spool.close()
    assert not spool.path.exists()


def test_the_spool_does_not_keep_what_it_wrote_in_memory(tmp_path: Path) -> None:
    """A gigabyte upload does not fill a gigabyte of page cache: written around it, or, where
    O_DIRECT is refused, dropped from it two steps behind the writing once on disk."""
    for direct in (True, False):
        spool = HashingSpool(tmp_path)
        if not direct:
            spool._close_direct()  # as on a file system that refuses O_DIRECT
        block = os.urandom(1024 * 1024)
        digest = hashlib.sha256()
        for _ in range(48):
            spool.write(block)
            digest.update(block)
        if not direct:
            os.fsync(spool.fileno())  # what the kernel writes back in its own time, now
        for _ in range(ADVISE_STEP // len(block)):
            spool.write(block)
            digest.update(block)
        assert spool.sha256 == digest.hexdigest()
        assert resident_bytes(spool.path) <= 3 * ADVISE_STEP + 4 * 1024 * 1024
        spool.seek(0)
        assert hashlib.sha256(spool.read()).hexdigest() == digest.hexdigest()
        spool.close()
        assert not spool.path.exists()


def test_large_buffers_are_kept_for_reuse() -> None:
    assert keep_large_buffers() is True  # glibc: mallopt accepted every setting


def test_write_faults_in_the_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A direct write the file system refuses (EINVAL) goes through the page cache instead; a
    full disk fails the upload, at the next write or when the file is read."""
    spool = HashingSpool(tmp_path)
    real = os.pwrite
    fault = [errno.EINVAL]

    def pwrite(fd: int, data: Any, offset: int) -> int:
        if fd == spool._direct:
            raise OSError(fault[0], os.strerror(fault[0]))
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    data = os.urandom(2 * DIRECT_BLOCK + 5)
    spool.write(data)
    assert spool.sha256 == hashlib.sha256(data).hexdigest() and spool._refused
    spool.seek(0)
    assert spool.read() == data
    spool.close()

    spool, fault[0] = HashingSpool(tmp_path), errno.ENOSPC
    with pytest.raises(OSError, match=os.strerror(errno.ENOSPC)):
        for _ in range(4):
            spool.write(data)
        spool.seek(0)
    spool.close()
    assert list(tmp_path.iterdir()) == []


def test_gunicorn_stores_large_uploads_whole(tmp_path: Path) -> None:
    """Production's server: gunicorn with `vir.gunicorn_conf`, which lets werkzeug receive a
    body of known length straight into VIR's buffer. A 12 MB upload with a Content-Length, and
    one sent chunked (gunicorn's own reading), are both stored byte for byte. Two workers
    share their Prometheus counts through PROMETHEUS_MULTIPROC_DIR."""
    from tests.services.ceph import free_port

    (tmp_path / "metrics").mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "VIR_METRICS_TOKEN": "scrape-0123456789",
        "VIR_DATA_DIR": str(tmp_path),
        "VIR_COOKIE_SECURE": "0",
        "VIR_SECRET_KEY": secrets.token_urlsafe(32),
        "VIR_MAX_UPLOAD_MB": "20",
        "VIR_CLAMD": "off",
    }
    env.pop("VIR_DATABASE_URL", None)
    vir = [sys.executable, "-c", "from vir.cli import main; main()"]
    password = secrets.token_urlsafe(16)
    for args, stdin in (
        (["db", "upgrade"], None),
        (
            ["orgs", "add", "cardiff", "--name", "Cardiff Council", "--kind", "local_authority"],
            None,
        ),
        (
            [
                "users",
                "add",
                "editor@test.example",
                "--name",
                "Editor",
                "--org",
                "cardiff",
                "--role",
                "provider_editor",
                "--password-stdin",
            ],
            password + "\n",
        ),
    ):
        subprocess.run(
            [*vir, *args], env=env, check=True, capture_output=True, input=stdin, text=True
        )
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "python:vir.gunicorn_conf",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "vir.wsgi:app",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def call(
            method: str,
            path: str,
            body: Any = None,
            headers: dict | None = None,
            chunked: bool = False,
        ) -> tuple[int, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
                response = conn.getresponse()
                return response.status, response.read()
            finally:
                conn.close()

        for _ in range(100):
            try:
                call("GET", "/health")
                break
            except OSError:
                time.sleep(0.1)
        status, raw = call(
            "POST",
            "/api/v1/tokens",
            json.dumps({"email": "editor@test.example", "password": password}),
            {"Content-Type": "application/json"},
        )
        auth = {"Authorization": f"Bearer {json.loads(raw)['token']}"}
        status, raw = call(
            "POST",
            "/api/v1/providers/cardiff/folders",
            json.dumps({"name": "Figures", "area": "provider"}),
            {**auth, "Content-Type": "application/json"},
        )
        folder = json.loads(raw)["id"]
        data = (b"school,attendance\n" + b"Ysgol Gymraeg,93.5\n" * 700_000)[: 12 * 1024 * 1024]
        for chunked in (False, True):
            payload = body(
                part("title", b"Attendance"),
                part("file", data, "attendance.csv", ("Content-Type: text/csv",)),
            )
            headers = {**auth, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
            if chunked:
                sent: Any = (payload[i : i + 300_000] for i in range(0, len(payload), 300_000))
            else:
                sent, headers["Content-Length"] = payload, str(len(payload))
            status, raw = call(
                "POST", f"/api/v1/folders/{folder}/documents", sent, headers, chunked=chunked
            )
            assert status == 201, raw[:300]
            document = json.loads(raw)
            assert document["size"] == len(data)
            assert document["sha256"] == hashlib.sha256(data).hexdigest()
            status, raw = call("GET", f"/api/v1/documents/{document['id']}/download", headers=auth)
            assert status == 200 and raw == data
        # A chunked body past VIR_MAX_UPLOAD_MB to a route that takes no files, with no
        # session, used to leave a spool file of nearly the limit behind for good.
        big = body(part("file", b"\0" * (25 * 1024 * 1024), "big.pdf"))
        try:
            status, _raw = call(
                "POST",
                "/sign-in",
                (big[i : i + 1_000_000] for i in range(0, len(big), 1_000_000)),
                {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
                chunked=True,
            )
            assert status in (400, 413)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while still sending
        time.sleep(0.5)
        assert list((tmp_path / "tmp").glob("upload-*")) == []
        # Whichever worker answers the scrape adds up both workers' counts.
        scrape = {"Authorization": "Bearer scrape-0123456789"}
        for _ in range(4):
            status, raw = call("GET", "/metrics", headers=scrape)
            assert status == 200
            assert b'vir_uploads_total{kind="document"} 2.0' in raw, raw[-2000:]
        assert call("GET", "/metrics")[0] == 404
    finally:
        server.terminate()
        server.wait(10)
