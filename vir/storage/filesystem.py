"""Files on local disk: the embedded default."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from flask import Response

from vir.storage.base import CHUNK, HashingReader, ListedObject, Storage, StorageError, StoredObject
from vir.storage.http import attachment_headers


class FilesystemStorage(Storage):
    name = "fs"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(f"key escapes the storage directory: {key!r}")
        return path

    def save(self, key: str, stream: IO[bytes], content_type: str) -> StoredObject:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            reader = HashingReader(stream)
            # Write beside the target and rename: a crash never leaves half a file at the key.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out:
                    while chunk := reader.read(CHUNK):
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                if path.exists():
                    raise StorageError(f"object exists: {key}")
                os.link(tmp, path)  # fails if the key exists, unlike rename
            finally:
                os.unlink(tmp)
        except OSError as exc:
            raise StorageError(f"could not write {key}: {exc}") from exc
        return StoredObject(key=key, size=reader.size, sha256=reader.sha256)

    def save_file(
        self, key: str, path: Path, content_type: str, *, size: int, sha256: str
    ) -> StoredObject:
        """A hard link when the spool is on the same file system: no bytes are copied."""
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
        except FileExistsError as exc:
            raise StorageError(f"object exists: {key}") from exc
        except OSError:
            return super().save_file(key, path, content_type, size=size, sha256=sha256)
        return StoredObject(key=key, size=size, sha256=sha256)

    def open(self, key: str) -> Iterator[bytes]:
        try:
            fh = self._path(key).open("rb")
        except OSError as exc:
            raise StorageError(f"could not read {key}: {exc}") from exc

        def chunks() -> Iterator[bytes]:
            with fh:
                while chunk := fh.read(CHUNK):
                    yield chunk

        return chunks()

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"could not delete {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def copy(self, source: str, target: str) -> None:
        src, dst = self._path(source), self._path(target)
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        except OSError as exc:
            raise StorageError(f"could not copy {source}: {exc}") from exc

    def list(self, prefix: str = "") -> Iterator[ListedObject]:
        if not self.root.exists():
            return
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(".upload-"):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    st = path.stat()
                    yield ListedObject(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def send(
        self, key: str, *, filename: str, content_type: str, inline: bool, headers: dict[str, str]
    ) -> Response:
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"missing object {key}")
        response = Response(self.open(key), mimetype=content_type, direct_passthrough=True)
        response.headers["Content-Length"] = str(path.stat().st_size)
        response.headers.update(attachment_headers(filename, inline=inline))
        response.headers.update(headers)
        return response

    def check(self) -> str:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".vir-check"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise StorageError(f"cannot write to {self.root}: {exc}") from exc
        return f"filesystem storage at {self.root} is writable"
