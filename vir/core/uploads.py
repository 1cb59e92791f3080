"""How request bodies are parsed, and where uploaded files land meanwhile.

Each file part is written to a stream the request asks for: VIR's request class gives it a
HashingSpool, a private file in the data directory that hashes and counts what is written, and
for S3 hands it, as it arrives, to a multipart upload (vir.storage.pipeline). The filesystem
back end then takes the file with a hard link. Receiving is most of the CPU time of a large
upload, and the request's thread is the bottleneck, so the body is read in large blocks into
one reused buffer, parsed by python-multipart (which hands file data on as slices of that
buffer rather than copies), and the hashing, sending and writing are left to the spool's
own thread.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import mmap
import os
import queue
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, TypeVar

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

# How a spool keeps out of the page cache (see HashingSpool): blocks written with O_DIRECT, or,
# where that is refused, each stretch written back and dropped a little behind the writing.
ADVISE_STEP = 8 * 1024 * 1024
_fadvise = getattr(os, "posix_fadvise", None)  # not on macOS: pages then stay cached
DIRECT_BLOCK = 4 * 1024 * 1024
SPOOL_BLOCKS_AHEAD = 2  # how far the spool's writer may fall behind before the request waits
_O_DIRECT = getattr(os, "O_DIRECT", 0)  # Linux and a few others


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_large_buffers() -> bool:
    """Let the C allocator reuse the megabyte-sized buffers that receiving and sending a large
    upload go through, instead of mapping fresh memory for each and returning it at once.

    By default glibc maps each allocation above a threshold (128 KiB, rising with use to at
    most 32 MiB) afresh, and gives memory back as soon as the top of the heap is free, so every
    such buffer costs page faults and the zeroing of new pages: a third of the CPU time of
    receiving a gigabyte (two and a half times as fast with this). What it costs: up to 64 MiB
    freed by a worker may stay in its RSS for reuse. Called by the server entry points; a no-op
    on C libraries without mallopt."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return all(
        (
            mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024),
            mallopt(_M_TRIM_THRESHOLD, 64 * 1024 * 1024),
            mallopt(_M_TOP_PAD, 8 * 1024 * 1024),
        )
    )


def _pwrite_all(fd: int, data: Any, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n
    view.release()


class HashingSpool:
    """A writable, readable temporary file that keeps the SHA-256 and size of what was written.

    A large upload passes through it once on its way to storage, and nothing reads it back
    until it is complete, so it is written around the page cache where the file system allows
    (O_DIRECT, in aligned blocks), or else its pages are dropped behind the write position.
    Filling the page cache with a gigabyte that is deleted seconds later would cost more CPU
    than the rest of receiving it (on a virtual machine that hands freed memory back to its
    host, several times more), and would push out what the cache holds for everything else.
    With O_DIRECT, full blocks are hashed and written by a thread of the spool's own while the
    request goes on receiving, since each write waits for the disk."""

    def __init__(self, directory: Path) -> None:
        self._direct: int | None = None  # first: __getattr__ looks at it
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
        self._staged = 0  # bytes in the block being filled
        self._flushed = 0  # where that block starts in the file
        self._writer: ThreadPoolExecutor | None = None
        self._error: BaseException | None = None
        self._refused = False  # O_DIRECT opened, but writes refused: the page cache it is
        if _O_DIRECT:
            try:
                self._direct = os.open(name, os.O_WRONLY | _O_DIRECT)
            except OSError:  # tmpfs and some others
                pass
            else:
                self._free: queue.SimpleQueue[mmap.mmap] = queue.SimpleQueue()
                # Page-aligned, as O_DIRECT needs; pages are only touched when used.
                self._stage = mmap.mmap(-1, DIRECT_BLOCK)
                self._blocks = [self._stage]

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self._direct is not None:
            self._stage_write(data)  # the writer hashes it and hands it to the pipeline
            return len(data)
        if self.pipeline is not None:
            self.pipeline.feed(data)
        self._hash.update(data)
        n = self._file.write(data)
        if _fadvise is not None and self.size - self._advised >= ADVISE_STEP:
            self._drop_behind()
        return n

    def _stage_write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        view = memoryview(data)
        while view:
            n = min(len(view), DIRECT_BLOCK - self._staged)
            self._stage[self._staged : self._staged + n] = view[:n]
            self._staged += n
            view = view[n:]
            if self._staged == DIRECT_BLOCK:
                self._hand_over()

    def _hand_over(self) -> None:
        """The block is full: the writer hashes it, hands it to the S3 pipeline and writes it
        (in order: one thread), and the request fills another, waiting only when the writer
        is far behind. Receiving is the bottleneck of a large upload; this is all that it
        leaves to the request's own thread."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vir-spool")
            for _ in range(SPOOL_BLOCKS_AHEAD):
                block = mmap.mmap(-1, DIRECT_BLOCK)
                self._blocks.append(block)
                self._free.put(block)
        self._writer.submit(self._absorb, self._stage, self._flushed)
        self._flushed += DIRECT_BLOCK
        self._stage, self._staged = self._free.get(), 0

    def _absorb(self, block: mmap.mmap, offset: int) -> None:
        try:
            if self._error is not None:
                return
            self._hash.update(block)
            if self.pipeline is not None:
                self.pipeline.feed(block)
            self._pwrite(block, offset)
        except BaseException as exc:  # reported to the request by its next write
            self._error = exc
        finally:
            self._free.put(block)

    def _pwrite(self, data: Any, offset: int) -> None:
        assert self._direct is not None
        if not self._refused:
            try:
                if os.pwrite(self._direct, data, offset) == len(data):
                    return
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                self._refused = True
        # Through the page cache, as a short or refused direct write must go.
        _pwrite_all(self._file.fileno(), data, offset)

    def _end_direct(self) -> None:
        """Writing is over (the file is about to be read): wait for the writer, then hash
        and write the last, unaligned piece through the ordinary file."""
        if self._direct is None:
            return
        if self._writer is not None:
            self._writer.shutdown(wait=True)
        if self._error is not None:
            self._close_direct()
            raise self._error
        tail = memoryview(self._stage)[: self._staged]
        self._hash.update(tail)
        if self.pipeline is not None:
            self.pipeline.feed(tail)
        _pwrite_all(self._file.fileno(), tail, self._flushed)
        tail.release()  # the block can be closed now
        self._close_direct()

    def _close_direct(self) -> None:
        assert self._direct is not None
        if self._writer is not None:
            self._writer.shutdown(wait=True)
        os.close(self._direct)
        self._direct = None
        for block in self._blocks:
            block.close()
        self._blocks = []
        self._staged = 0
        self._file.seek(0, os.SEEK_END)

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
        self._end_direct()
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._direct is not None:
            self._close_direct()
        self._file.close()
        if not self.claimed:
            if self.pipeline is not None and not self.pipeline.finished:
                self.pipeline.abort()
            self.path.unlink(missing_ok=True)

    def __getattr__(self, name: str) -> Any:  # read, seek, tell, flush, fileno, ...
        self._end_direct()
        return getattr(self._file, name)

    def __iter__(self) -> Any:
        self._end_direct()
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
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
            "on_end": self.end,
        }

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
        self.header_list.append(
            (self.name_bytes.decode().strip(" \t"), self.value_bytes.decode().strip(" \t"))
        )
        self.name_bytes, self.value_bytes = bytearray(), bytearray()

    def headers_finished(self) -> None:
        self.headers = Headers(self.header_list)
        _, extra = parse_options_header(self.headers.get("content-disposition"))
        self.name, self.filename = extra.get("name"), extra.get("filename")
        if self.filename is not None:
            self.stream: IO[bytes] | None = self.owner.start_file_streaming(
                File(name=self.name or "", filename=self.filename, headers=self.headers),
                self.content_length,
            )
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
        self.files.append(
            (self.name, FileStorage(self.stream, self.filename, self.name, headers=self.headers))
        )

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
                    data: bytes | bytearray = block if n == READ_SIZE else block[: n or 0]
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

    def _parse_multipart(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> Any:
        kind = StreamingMultiPartParser if (content_length or 0) >= READ_SIZE else MultiPartParser
        parser = kind(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
        )
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


F = TypeVar("F", bound=Callable[..., Any])


def takes_files(view: F) -> F:
    """Marks a view that receives uploaded files; put it straight under the route decorator.
    Every other route's file parts are read and thrown away, never written to disk."""
    view._vir_takes_files = True  # type: ignore[attr-defined]
    return view


def _takes_files(view: Any) -> bool:
    while view is not None:  # through the decorators' functools.wraps
        if getattr(view, "_vir_takes_files", False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


class Discard:
    """Where a file part goes when the route takes no files or the caller may not upload:
    read (so the body can be parsed) and dropped."""

    size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def seek(self, *args: Any) -> int:
        return 0

    def read(self, *args: Any) -> bytes:
        return b""

    def close(self) -> None:
        pass


SPOOL_DIR = "tmp"
SPOOL_STALE_MINUTES = 60  # a spool file unwritten this long belongs to no live upload


def spool_dir(app: Any = None) -> Path:
    return Path((app or current_app).config["VIR_DATA_DIR"]) / SPOOL_DIR


def stale_spools(app: Any = None, minutes: int = SPOOL_STALE_MINUTES) -> list[Path]:
    """Spool files left by uploads that ended without cleaning up (a killed worker)."""
    import time

    directory = spool_dir(app)
    if not directory.is_dir():
        return []
    cutoff = time.time() - minutes * 60
    found = []
    for path in directory.glob("upload-*"):
        try:
            if path.stat().st_mtime < cutoff:
                found.append(path)
        except FileNotFoundError:
            continue
    return found


def sweep_spools(app: Any = None, minutes: int = SPOOL_STALE_MINUTES) -> int:
    """Remove stale spool files (at start and periodically); how many were removed."""
    removed = 0
    for path in stale_spools(app, minutes):
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed


class VirRequest(Request):
    form_data_parser_class = LargeReadParser

    def close(self) -> None:
        # Every spool this request made is closed, whatever happened: a body refused half
        # way by werkzeug's parser (413 for too many parts) leaves its files out of
        # request.files, where werkzeug's own close would find them.
        super().close()
        for spool in getattr(self, "_vir_spools", ()):
            spool.close()

    def may_spool(self) -> bool:
        """Whether this request's files may be written to disk: a route that takes files,
        and a caller who is signed in (the route then checks they may write there)."""
        from flask_login import current_user

        view = current_app.view_functions.get(self.endpoint or "")
        return _takes_files(view) and bool(current_user.is_authenticated)

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if not self.may_spool():
            return Discard()  # type: ignore[return-value]
        spool = HashingSpool(spool_dir())
        self.__dict__.setdefault("_vir_spools", []).append(spool)
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
