"""A real clamd on a Unix socket, loaded with a one-line signature database the tests write
(the EICAR test file's MD5), since the signature mirrors cannot be reached here."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.files import EICAR
from tests.services.ceph import ServiceError


def _answers(sock_path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        s.connect(str(sock_path))
        s.sendall(b"zPING\0")
        return s.recv(16).startswith(b"PONG")


@contextlib.contextmanager
def clamd(stream_max: str = "64M") -> Iterator[Path]:
    binary = shutil.which("clamd") or "/usr/sbin/clamd"
    if not Path(binary).exists():
        raise ServiceError("clamd is missing: run scripts/system-deps (Debian clamav-daemon)")
    base = Path(tempfile.mkdtemp(prefix="vir-clamd-"))
    (base / "db").mkdir()
    md5 = hashlib.md5(EICAR).hexdigest()  # noqa: S324 - ClamAV's .hdb format is MD5
    (base / "db" / "vir-test.hdb").write_text(f"{md5}:{len(EICAR)}:VIR-Test-EICAR\n")
    sock = base / "clamd.sock"
    (base / "clamd.conf").write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {base / 'db'}\nForeground yes\n"
        f"LogFile {base / 'clamd.log'}\nStreamMaxLength {stream_max}\n"
        f"User {os.getenv('USER', 'root')}\n"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(base / "clamd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if _answers(sock):
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ServiceError(f"clamd did not start; see {base / 'clamd.log'}")
            time.sleep(0.1)
        yield sock
    finally:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(base, ignore_errors=True)
