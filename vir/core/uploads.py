"""Where uploaded files land while a request is parsed.

Werkzeug writes each file part to a stream the request asks for. VIR's request class gives it
a private file in the data directory that hashes and counts as it is written, so a large
upload is written to disk once, hashed once, and then handed to storage (a hard link for the
filesystem back end; parallel ranged reads for S3) with no further copies.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from flask import Request, current_app
from werkzeug.formparser import FormDataParser, MultiPartParser

# How much of a multipart body is read at a time. Werkzeug reads 64 KiB; gunicorn receives up to
# 1 MiB ahead and, for each smaller read, copies what is left of that buffer, so a large upload
# was copied some 8 times over. Werkzeug refuses a read larger than MAX_FORM_MEMORY_SIZE (its
# decoder holds one read at a time), hence the cap at half of that.
READ_SIZE = 256 * 1024


class HashingSpool:
    """A writable, readable temporary file that keeps the SHA-256 and size of what was written."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix="upload-")
        self.path = Path(name)
        self._file: IO[bytes] = os.fdopen(fd, "w+b")
        self._hash = hashlib.sha256()
        self.size = 0
        self.claimed = False  # set when the upload checks take the file over
        self.plan: Any = None  # where the file will be stored, when known in advance
        self.pipeline: Any = None  # storing it while it arrives (S3)
        self._notified = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        n = self._file.write(data)
        if self.pipeline is not None and self.size - self._notified >= self.pipeline.part_size:
            self._file.flush()  # the pipeline reads the file by offset
            self._notified = self.size
            self.pipeline.written(self.size)
        return n

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        self._file.close()
        if not self.claimed:
            if self.pipeline is not None and not self.pipeline.finished:
                self.pipeline.abort()
            self.path.unlink(missing_ok=True)

    def __getattr__(self, name: str) -> Any:  # read, seek, tell, flush, readable, ...
        return getattr(self._file, name)

    def __iter__(self) -> Any:
        return iter(self._file)


class LargeReadParser(FormDataParser):
    def _parse_multipart(self, stream: IO[bytes], mimetype: str, content_length: int | None,
                         options: dict[str, str]) -> Any:
        parser = MultiPartParser(stream_factory=self.stream_factory,
                                 max_form_memory_size=self.max_form_memory_size,
                                 max_form_parts=self.max_form_parts, cls=self.cls,
                                 buffer_size=min(READ_SIZE, (self.max_form_memory_size
                                                             or 2 * READ_SIZE) // 2))
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class VirRequest(Request):
    form_data_parser_class = LargeReadParser

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None,
                         content_length: int | None = None) -> IO[bytes]:
        directory = Path(current_app.config["VIR_DATA_DIR"]) / "tmp"
        spool = HashingSpool(directory)
        planner = current_app.extensions.get("vir_upload_planner")
        if planner is not None and total_content_length:
            spool.plan = planner(total_content_length)
            if spool.plan is not None:
                from vir.storage import StorageError, get_storage

                try:
                    spool.pipeline = get_storage().start_pipeline(spool.plan.key, spool.path)
                except StorageError:
                    spool.plan = None  # stored after receipt instead; that path reports it
        return spool  # type: ignore[return-value]
