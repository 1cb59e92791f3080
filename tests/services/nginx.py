"""nginx from Debian, run as an unprivileged process on loopback with the site VIR ships
(deploy/nginx/vir.conf), its ports, certificate and paths moved into a temporary directory."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SITE = ROOT / "deploy" / "nginx" / "vir.conf"


def binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        raise RuntimeError("nginx is missing: make test installs it (scripts/system-deps)")
    return found


def conf(tmp: Path, port: int, http_port: int, web: int, bulk: int, tls: bool = True) -> Path:
    """deploy/nginx/vir.conf on loopback ports (its two pools on ``web`` and ``bulk``) inside a
    minimal nginx.conf of the caller's own. With ``tls`` a self-signed certificate; without,
    the site answers plain HTTP on ``port`` (for benchmarks, where TLS is not what is
    measured)."""
    tmp.mkdir(parents=True, exist_ok=True)
    site = SITE.read_text()
    moves = [
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{web};"),
        ("server 127.0.0.1:8001;", f"server 127.0.0.1:{bulk};"),
        ("/var/log/nginx/", f"{tmp}/"),
        ("alias /opt/vir/static/;", f"alias {ROOT}/static/;"),
    ]
    if tls:
        cert, key = tmp / "cert.pem", tmp / "key.pem"
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=vir.test", "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        moves += [
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;"),
            ("/etc/ssl/vir/fullchain.pem", str(cert)),
            ("/etc/ssl/vir/privkey.pem", str(key)),
        ]
    else:
        moves.append(("listen 443 ssl http2;", f"listen 127.0.0.1:{port};"))
    for old, new in moves:
        assert old in site, old  # the shipped file still has what is moved
        site = site.replace(old, new)
    if not tls:
        site = "\n".join(x for x in site.splitlines() if not x.strip().startswith("ssl_"))
    (tmp / "site.conf").write_text(site)
    path = tmp / "nginx.conf"
    path.write_text(
        f"daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
        "events { worker_connections 1024; }\n"
        "http {\n  include /etc/nginx/mime.types;\n"
        f"  client_body_temp_path {tmp}/body;\n  proxy_temp_path {tmp}/proxy;\n"
        f"  fastcgi_temp_path {tmp}/fcgi;\n  uwsgi_temp_path {tmp}/uwsgi;\n"
        f"  scgi_temp_path {tmp}/scgi;\n  access_log {tmp}/access.log;\n"
        f"  include {tmp}/site.conf;\n}}\n"
    )
    return path


@contextlib.contextmanager
def running(path: Path, log: Path, port: int, **popen: object) -> Iterator[subprocess.Popen]:
    """nginx with this configuration, until the block ends; it answers on ``port`` first."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [binary(), "-c", str(path)], stdout=out, stderr=subprocess.STDOUT, **popen
        )
        try:
            for _ in range(100):
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                if proc.poll() is not None:
                    raise RuntimeError(f"nginx did not start: {log.read_text()[-2000:]}")
                time.sleep(0.05)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
