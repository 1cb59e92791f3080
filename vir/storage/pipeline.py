"""Sending a large upload to S3 while it is still arriving.

Without this, a large upload is received in full and only then sent to S3, so it takes the sum
of both transfers. Here the request's spool file is followed as it grows and each full part is
sent as a part of an S3 multipart upload at once, a few in parallel. Parts are invisible until
the upload is completed, which happens only after every check has passed; a refused or
abandoned upload is aborted, so nothing is ever stored for it (and the bucket's lifecycle rule
aborts anything a crash leaves behind).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from vir.storage.base import StorageError

log = logging.getLogger(__name__)


class PipelinedUpload:
    def __init__(self, client: Any, bucket: str, key: str, path: Path, *,
                 part_size: int, concurrency: int = 4, extra: dict[str, str] | None = None
                 ) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.part_size = part_size
        self._fd = os.open(path, os.O_RDONLY)
        self._pool = ThreadPoolExecutor(max_workers=concurrency,
                                        thread_name_prefix="vir-s3-part")
        self._slots = threading.BoundedSemaphore(concurrency)  # bounds memory to N parts
        self._parts: list[Future[dict[str, Any]]] = []
        self._sent = 0  # bytes handed to part uploads
        self._done = False
        self.error: Exception | None = None
        try:
            self.upload_id = client.create_multipart_upload(
                Bucket=bucket, Key=key, **(extra or {}))["UploadId"]
        except (BotoCoreError, ClientError) as exc:
            os.close(self._fd)
            self._pool.shutdown()
            raise StorageError(f"could not start uploading {key}: {exc}") from exc

    def _send(self, number: int, offset: int, length: int) -> dict[str, Any]:
        try:
            data = os.pread(self._fd, length, offset)
            response = self.client.upload_part(Bucket=self.bucket, Key=self.key,
                                               UploadId=self.upload_id, PartNumber=number,
                                               Body=data)
            return {"PartNumber": number, "ETag": response["ETag"]}
        except Exception as exc:
            self.error = exc
            raise
        finally:
            self._slots.release()

    def _submit(self, length: int) -> None:
        self._slots.acquire()  # wait for a free slot: back-pressure on the request
        number = len(self._parts) + 1
        self._parts.append(self._pool.submit(self._send, number, self._sent, length))
        self._sent += length

    def written(self, total: int) -> None:
        """The spool now holds ``total`` bytes: send every full part not yet sent."""
        if self.error is not None:
            return  # the failure is reported by finish()
        while total - self._sent >= self.part_size:
            self._submit(self.part_size)

    def finish(self, total: int) -> None:
        """The request body is complete: send the rest and wait for every part."""
        if total - self._sent > 0 or not self._parts:
            self._submit(total - self._sent)
        try:
            for part in self._parts:
                part.result()
        except Exception as exc:
            self.abort()
            raise StorageError(f"could not upload {self.key}: {exc}") from exc

    def complete(self) -> None:
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                MultipartUpload={"Parts": [p.result() for p in self._parts]})
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
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key,
                                               UploadId=self.upload_id)
        except (BotoCoreError, ClientError):
            log.exception("could not abort the multipart upload of %s", self.key)
        finally:
            self._close()

    def _close(self) -> None:
        self._pool.shutdown(wait=True)
        with contextlib.suppress(OSError):
            os.close(self._fd)

    @property
    def finished(self) -> bool:
        return self._done
