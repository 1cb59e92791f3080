"""What the benchmarks share: an application on a fresh database, percentiles, loopback ports,
multipart bodies and CPU time read from /proc."""

from __future__ import annotations

import io
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

POSTGRES = os.environ.get("VIR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def bench_app(work: Path, database_url: str | None = None, fast_hashing: bool = True, **extra: Any):
    """A VIR application on a database migrated to head, files and index under ``work``.
    ``fast_hashing``: cheap password hashes, for benchmarks that do not time signing in."""
    from vir import create_app

    if fast_hashing:
        from argon2 import PasswordHasher

        from vir.accounts import operations as account_ops

        account_ops._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "VIR_DATA_DIR": str(work),
            "VIR_STORAGE_DIR": str(work / "files"),  # as VIR_DATA_DIR=work would give
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{work / 'vir.sqlite3'}",
            "VIR_TASKS_IMMEDIATE": True,
            "VIR_SEARCH_ENABLED": False,
            "VIR_RATE_LIMITS": False,
            **extra,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


@contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one run, dropped afterwards; its URL."""
    import psycopg

    admin = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def multipart(
    name: str, data: bytes, content_type: str = "application/octet-stream", **fields: str
) -> tuple[bytes, str]:
    """A multipart/form-data body with one file part (and form fields); its Content-Type."""
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for key, value in fields.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            "".encode()
        )
    body.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{name}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
    )
    body.write(data)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


def processes() -> dict[int, tuple[int, str, float]]:
    """Every process now: its parent, its name and its CPU seconds (user + system, with its
    children's once waited for), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), comm, sum(int(f) for f in fields[11:15]) / tick)
    return found


def process_tree_cpu(roots: list[int]) -> float:
    """CPU seconds so far of these processes and all their descendants still running (text
    extraction children come and go; their time counts in their parent's once waited for)."""
    table = processes()
    wanted = set(roots)
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _comm, _cpu) in table.items():
            if ppid in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    return sum(table[pid][2] for pid in wanted if pid in table)
