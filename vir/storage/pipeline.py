"""Sending a large upload to S3 while it is still arriving.

Without this, a large upload is received in full and only then sent to S3, so it takes the sum
of both transfers. Here the bytes are handed over as they arrive (by the request's spool, which
also writes them to disk for the checks): each full part is sent as a part of an S3 multipart
upload at once, a few in parallel, from a few buffers that are reused from part to part. Parts
are invisible until the upload is completed, which happens only after every check has passed;
a refused or abandoned upload is aborted, so nothing is ever stored for it (and the bucket's
lifecycle rule aborts anything a crash leaves behind).
"""

from __future__ import annotations

import logging
import queue
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from vir.storage.base import StorageError

log = logging.getLogger(__name__)


class PipelinedUpload:
    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        *,
        part_size: int,
        concurrency: int = 4,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.part_size = part_size
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="vir-s3-part")
        # One buffer being filled while up to `concurrency` are sent; taking a free one waits,
        # which is the back-pressure on the request. Memory stays at (concurrency + 1) parts.
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        for _ in range(concurrency + 1):
            self._free.put(bytearray(part_size))
        self._buffer: bytearray | None = None
        self._filled = 0
        self._fed = 0
        self._parts: list[Future[dict[str, Any]]] = []
        self._done = False
        self.error: Exception | None = None
        try:
            self.upload_id = client.create_multipart_upload(
                Bucket=bucket, Key=key, **(extra or {})
            )["UploadId"]
        except (BotoCoreError, ClientError) as exc:
            self._pool.shutdown()
            raise StorageError(f"could not start uploading {key}: {exc}") from exc

    def _send(self, number: int, buffer: bytearray, length: int) -> dict[str, Any]:
        try:
            # A whole buffer goes as it is; the short last part is copied out once.
            body = buffer if length == len(buffer) else bytes(memoryview(buffer)[:length])
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=body,
            )
            return {"PartNumber": number, "ETag": response["ETag"]}
        except Exception as exc:
            self.error = exc
            raise
        finally:
            self._free.put(buffer)

    def _submit(self) -> None:
        assert self._buffer is not None
        number = len(self._parts) + 1
        self._parts.append(self._pool.submit(self._send, number, self._buffer, self._filled))
        self._buffer, self._filled = None, 0

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """The next bytes of the upload, in order."""
        if self.error is not None or self._done:
            return  # the failure is reported by finish()
        view = memoryview(data)
        self._fed += len(view)
        while view:
            if self._buffer is None:
                self._buffer = self._free.get()
            n = min(len(view), self.part_size - self._filled)
            self._buffer[self._filled : self._filled + n] = view[:n]
            self._filled += n
            view = view[n:]
            if self._filled == self.part_size:
                self._submit()

    def finish(self, total: int) -> None:
        """The request body is complete (``total`` bytes): send the rest, wait for every
        part."""
        if total != self._fed and self.error is None:
            self.error = StorageError(f"{self._fed} bytes were sent, not {total}")
        if self.error is None and (self._filled or not self._parts):
            if self._buffer is None:
                self._buffer = self._free.get()
            self._submit()
        try:
            if self.error is not None:
                raise self.error
            for part in self._parts:
                part.result()
        except Exception as exc:
            self.abort()
            raise StorageError(f"could not upload {self.key}: {exc}") from exc

    def complete(self) -> None:
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": [p.result() for p in self._parts]},
            )
        except (BotoCoreError, ClientError) as exc:
            self.abort()
            raise StorageError(f"could not complete {self.key}: {exc}") from exc
        finally:
            self._close()
        self._done = True

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
            )
        except (BotoCoreError, ClientError):
            log.exception("could not abort the multipart upload of %s", self.key)
        finally:
            self._close()

    def _close(self) -> None:
        self._pool.shutdown(wait=True)

    @property
    def finished(self) -> bool:
        return self._done
