"""One backup file holding the database and every stored object, taken consistently, and
its restore into an empty installation (SQLite or PostgreSQL; filesystem or S3, in any
combination, so a backup also moves an installation between back ends).

The file is a tar: ``manifest.json`` (format, migration revision, when, counts, each
object's size and SHA-256), ``db/<table>.jsonl`` (every row, read in one transaction, so
the tables agree with each other), and ``objects/<key>`` for every object those rows name.
Objects are never changed once written, so the ones the snapshot names are the ones read
after it; each is checked against the SHA-256 its row recorded, on the way out and in.
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Date, DateTime, LargeBinary, Table, func, insert, select, text
from sqlalchemy.engine import Connection

from vir.core.db import db
from vir.storage import get_storage
from vir.storage.base import HashingReader

FORMAT = "vir-backup/1"
SKIP = {"alembic_version"}  # the schema comes from the migrations, not the backup


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why."""


@dataclass
class Report:
    tables: dict[str, int] = field(default_factory=dict)
    objects: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)  # named by a row, absent from the store


def _tables() -> list[Table]:
    return [t for t in db.metadata.sorted_tables if t.name not in SKIP]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in row.items():
        column = table.columns[name]
        kind = column.type
        impl = getattr(kind, "impl", kind)
        if value is None:
            out[name] = None
        elif isinstance(impl, DateTime):
            out[name] = datetime.fromisoformat(value)
        elif isinstance(impl, Date):
            out[name] = date.fromisoformat(value)
        elif isinstance(impl, LargeBinary):
            out[name] = base64.b64decode(value)
        else:
            out[name] = value
    return out


def _revision(conn: Connection) -> str:
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def _objects(conn: Connection) -> list[tuple[str, int, str]]:
    """(key, size, sha256) of every object a row names: document versions, and forwarded
    files not yet purged."""
    from vir.documents.models import DocumentVersion
    from vir.forwards.models import Forward

    versions = conn.execute(
        select(DocumentVersion.storage_key, DocumentVersion.size, DocumentVersion.sha256)
    ).all()
    forwards = conn.execute(
        select(Forward.storage_key, Forward.size, Forward.sha256).where(Forward.purged_at.is_(None))
    ).all()
    return [(k, int(s), h) for k, s, h in [*versions, *forwards]]


class _ChunkReader(io.RawIOBase):
    """A stored object's chunks as a file, for tarfile."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            try:
                self._left = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(time.time())
    tar.addfile(info, io.BytesIO(data))


def backup(out: IO[bytes], progress: Callable[[str, int], None] | None = None) -> Report:
    """Write the backup to ``out`` (a file opened for binary writing)."""
    report = Report()
    tick = progress or (lambda _what, _n: None)
    engine = db.engine
    with engine.connect() as conn:
        # One snapshot for every table: rows written meanwhile are in none of them.
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        else:
            conn.exec_driver_sql("BEGIN")  # SQLite: a read transaction holds one snapshot
        revision = _revision(conn)
        objects = _objects(conn)
        with tarfile.open(fileobj=out, mode="w|") as tar:
            for table in _tables():
                lines = []
                for row in conn.execute(select(table)).mappings():
                    lines.append(json.dumps({k: _encode(v) for k, v in row.items()}))
                report.tables[table.name] = len(lines)
                _add_bytes(tar, f"db/{table.name}.jsonl", "\n".join(lines).encode())
                tick("table", 1)
            conn.rollback()
            storage = get_storage()
            kept = []
            for key, size, sha256 in objects:
                if not storage.exists(key):
                    report.missing.append(key)
                    tick("object", 1)
                    continue
                reader = HashingReader(_ChunkReader(iter(storage.open(key))))
                info = tarfile.TarInfo(f"objects/{key}")
                info.size, info.mtime = size, int(time.time())
                tar.addfile(info, reader)
                if reader.sha256 != sha256:
                    raise BackupError(f"{key}: the stored bytes no longer match their SHA-256")
                kept.append({"key": key, "size": size, "sha256": sha256})
                report.objects += 1
                report.bytes += size
                tick("object", 1)
            manifest = {
                "format": FORMAT,
                "revision": revision,
                "database": engine.dialect.name,
                "storage": storage.name,
                "created": datetime.now().astimezone().isoformat(),
                "tables": report.tables,
                "objects": kept,
                "missing": report.missing,
            }
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
    return report


def count_steps() -> int:
    """How many steps ``backup`` reports, for a progress bar."""
    with db.engine.connect() as conn:
        return len(_tables()) + len(_objects(conn))


def _is_empty(conn: Connection) -> bool:
    from vir.orgs.models import Organisation

    return conn.execute(select(func.count()).select_from(Organisation)).scalar_one() == 0


def restore(source: Path, progress: Callable[[str, int], None] | None = None) -> Report:
    """Restore a backup into this installation, whose database is migrated to the backup's
    revision and empty, and whose store does not hold the backup's keys yet."""
    tick = progress or (lambda _what, _n: None)
    report = Report()
    with tarfile.open(source, mode="r:") as tar:
        try:
            manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        except (KeyError, ValueError) as exc:
            raise BackupError(f"{source} is not a VIR backup (no manifest)") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        with db.engine.begin() as conn:
            if _revision(conn) != manifest["revision"]:
                raise BackupError(
                    f"the database is at migration {_revision(conn)}, the backup at "
                    f"{manifest['revision']}: run `vir db upgrade` (or downgrade) to match first"
                )
            if not _is_empty(conn):
                raise BackupError("the database is not empty: restore only into a new one")
            for table in _tables():
                member = tar.extractfile(f"db/{table.name}.jsonl")
                raw = member.read().decode() if member else ""
                rows = [_decode(table, json.loads(line)) for line in raw.splitlines() if line]
                for start in range(0, len(rows), 500):
                    conn.execute(insert(table), rows[start : start + 500])
                report.tables[table.name] = len(rows)
                tick("table", 1)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
        storage = get_storage()
        for item in manifest["objects"]:
            member = tar.extractfile(f"objects/{item['key']}")
            if member is None:
                raise BackupError(f"{item['key']} is named in the manifest but not in the file")
            stored = storage.save(item["key"], member, "application/octet-stream")
            if stored.sha256 != item["sha256"]:
                storage.delete(item["key"])
                raise BackupError(f"{item['key']}: the backup's bytes do not match their SHA-256")
            report.objects += 1
            report.bytes += stored.size
            tick("object", 1)
        report.missing = list(manifest.get("missing", []))
    return report


def _reset_sequences(conn: Connection) -> None:
    """Rows came with their ids: each serial column's sequence continues after the largest."""
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not _integer(pk[0]):
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
        ).scalar()
        if sequence:
            largest = select(func.max(pk[0])).scalar_subquery()
            conn.execute(select(func.setval(sequence, func.coalesce(largest, 0) + 1, False)))


def _integer(column: Any) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False


def manifest_steps(source: Path) -> int:
    try:
        with tarfile.open(source, mode="r:") as tar:
            manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        return len(manifest["tables"]) + len(manifest["objects"])
    except (KeyError, ValueError, TypeError, tarfile.TarError) as exc:
        raise BackupError(f"{source} is not a VIR backup") from exc
