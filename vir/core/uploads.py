"""How request bodies are parsed, and where uploaded files land meanwhile.

Each file part is written to a stream the request asks for. VIR's request class gives it a
private file in the data directory that hashes and counts as it is written, so a large upload
is written to disk once and hashed once; for S3 its bytes are also handed, as they arrive, to a
multipart upload (vir.storage.pipeline). The filesystem back end then takes the file with a
hard link. Receiving is most of the CPU time of a large upload, so the body is read in large
blocks into one reused buffer, and parsed by python-multipart, which hands file data on as
slices of that buffer rather than as copies.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from flask import Request, current_app
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState
from werkzeug.datastructures import FileStorage, Headers
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import File

# How much of a multipart body is read at a time: gunicorn receives up to 1 MiB at once, and a
# smaller read makes it copy what is left of that over again.
READ_SIZE = 1024 * 1024

# A large upload is written to disk as it arrives, but its pages need not stay in memory: the
# spool asks the kernel to write each stretch back and then to drop it, a little behind the
# write position (and behind what the S3 pipeline has still to read). Filling a gigabyte of
# fresh page cache costs far more than writing it back, and on a virtual machine that returns
# freed memory to its host, several times more again.
ADVISE_STEP = 8 * 1024 * 1024
_fadvise = getattr(os, "posix_fadvise", None)  # not on macOS: pages then stay cached


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_large_buffers() -> bool:
    """Let the C allocator reuse the megabyte-sized buffers that receiving and sending a large
    upload go through, instead of mapping fresh memory for each and returning it at once.

    By default glibc maps any allocation above 128 KiB-32 MiB afresh and gives memory back as
    soon as the top of the heap is free, so every buffer costs page faults and the zeroing of
    new pages: a third of the CPU time of receiving a gigabyte (two and a half times as fast
    with this). What it costs: up to 64 MiB freed by a worker may stay in its RSS for reuse.
    Called by the server entry points; a no-op on C libraries without mallopt."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return all((mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024),
                mallopt(_M_TRIM_THRESHOLD, 64 * 1024 * 1024),
                mallopt(_M_TOP_PAD, 8 * 1024 * 1024)))


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
        self._advised = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        n = self._file.write(data)
        if self.pipeline is not None:
            self.pipeline.feed(data)
        if _fadvise is not None and self.size - self._advised >= ADVISE_STEP:
            self._drop_behind()
        return n

    def _drop_behind(self) -> None:
        self._file.flush()
        fd = self._file.fileno()
        # DONTNEED starts writing back the dirty pages of the new stretch (they stay cached
        # until written), and drops the older, written stretch that nothing will read soon.
        _fadvise(fd, self._advised, self.size - self._advised, os.POSIX_FADV_DONTNEED)
        self._advised = self.size
        end = self.size - 2 * ADVISE_STEP
        if end > 0:
            start = max(0, end - 4 * ADVISE_STEP)  # again, for pages still being written
            _fadvise(fd, start, end - start, os.POSIX_FADV_DONTNEED)

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


class _Parts:
    """python-multipart's callbacks, building what werkzeug's own parser returns: form fields
    (each within ``max_form_memory_size``), files in streams from ``stream_factory``, and no
    more than ``max_form_parts`` parts."""

    def __init__(self, owner: StreamingMultiPartParser, content_length: int | None) -> None:
        self.owner = owner
        self.content_length = content_length
        self.fields: list[tuple[str | None, str]] = []
        self.files: list[tuple[str | None, FileStorage]] = []
        self.open_files: list[IO[bytes]] = []
        self.count = 0
        self.ended = False

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self.part_begin, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
                "on_part_end": self.part_end, "on_end": self.end}

    def part_begin(self) -> None:
        self.count += 1
        limit = self.owner.max_form_parts
        if limit is not None and self.count > limit:
            raise RequestEntityTooLarge()
        self.header_list: list[tuple[str, str]] = []
        self.name_bytes, self.value_bytes = bytearray(), bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.name_bytes += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.value_bytes += data[start:end]

    def header_end(self) -> None:
        # As werkzeug decodes them: UTF-8, a bad byte makes the body malformed (ValueError).
        self.header_list.append((self.name_bytes.decode().strip(" \t"),
                                 self.value_bytes.decode().strip(" \t")))
        self.name_bytes, self.value_bytes = bytearray(), bytearray()

    def headers_finished(self) -> None:
        self.headers = Headers(self.header_list)
        _, extra = parse_options_header(self.headers.get("content-disposition"))
        self.name, self.filename = extra.get("name"), extra.get("filename")
        if self.filename is not None:
            self.stream: IO[bytes] | None = self.owner.start_file_streaming(
                File(name=self.name or "", filename=self.filename, headers=self.headers),
                self.content_length)
            self.open_files.append(self.stream)
        else:
            self.stream, self.value, self.size = None, bytearray(), 0

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.stream is not None:
            self.stream.write(memoryview(data)[start:end])  # type: ignore[arg-type]
            return
        self.size += end - start
        limit = self.owner.max_form_memory_size
        if limit is not None and self.size > limit:
            raise RequestEntityTooLarge()
        self.value += data[start:end]

    def part_end(self) -> None:
        if self.stream is None:
            charset = self.owner.get_part_charset(self.headers)
            self.fields.append((self.name, self.value.decode(charset, "replace")))
            return
        self.stream.seek(0)
        self.open_files.remove(self.stream)
        self.files.append((self.name, FileStorage(self.stream, self.filename, self.name,
                                                  headers=self.headers)))

    def end(self) -> None:
        self.ended = True

    def abandon(self) -> None:
        """A body refused part way: nothing of it is kept (a spool removes its file and
        aborts any upload to S3 it started)."""
        for stream in [*self.open_files, *(f.stream for _, f in self.files)]:
            stream.close()


class StreamingMultiPartParser(MultiPartParser):
    """werkzeug's MultiPartParser, with python-multipart doing the parsing."""

    def parse(self, stream: IO[bytes], boundary: bytes, content_length: int | None) -> Any:
        parts = _Parts(self, content_length)
        try:
            parser = MultipartParser(boundary, parts.callbacks())
            block = bytearray(READ_SIZE)
            readinto = getattr(stream, "readinto", None)
            while True:
                if readinto is not None:
                    n = readinto(block)
                    data: bytes | bytearray = block if n == READ_SIZE else block[:n or 0]
                else:
                    data = stream.read(READ_SIZE)
                if not data:
                    break
                # Callbacks get slices of the block, and the file streams write them out
                # before this returns, so the block can be filled again.
                parser.write(data)  # type: ignore[arg-type]
            parser.finalize()
            if not parts.ended or parser.state != MultipartState.END:
                raise ValueError("the multipart body ended before its closing boundary")
        except FormParserError as exc:
            parts.abandon()
            raise ValueError(str(exc)) from exc
        except BaseException:
            parts.abandon()
            raise
        return self.cls(parts.fields), self.cls(parts.files)


class LargeReadParser(FormDataParser):
    """Bodies of a megabyte or more are parsed by python-multipart; smaller ones, every
    ordinary form among them, by werkzeug's own parser, where speed does not matter. (The two
    agree on what real clients send; werkzeug's test client leaves out the line break before
    the boundary that ends an empty file, which only werkzeug's parser forgives.)"""

    def _parse_multipart(self, stream: IO[bytes], mimetype: str, content_length: int | None,
                         options: dict[str, str]) -> Any:
        kind = (StreamingMultiPartParser if (content_length or 0) >= READ_SIZE
                else MultiPartParser)
        parser = kind(stream_factory=self.stream_factory,
                      max_form_memory_size=self.max_form_memory_size,
                      max_form_parts=self.max_form_parts, cls=self.cls)
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
                    spool.pipeline = get_storage().start_pipeline(spool.plan.key)
                except StorageError:
                    spool.plan = None  # stored after receipt instead; that path reports it
        return spool  # type: ignore[return-value]
