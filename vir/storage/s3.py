"""S3-compatible object storage (MinIO, Ceph RGW, AWS) through boto3."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Response, redirect

from vir.storage.base import CHUNK, HashingReader, ListedObject, Storage, StorageError, StoredObject
from vir.storage.http import attachment_headers
from vir.storage.pipeline import PipelinedUpload

PRESIGN_SECONDS = 120


class S3Storage(Storage):
    name = "s3"

    def __init__(
        self,
        *,
        endpoint_url: str | None,
        bucket: str,
        region: str,
        access_key: str | None,
        secret_key: str | None,
        addressing_style: str = "auto",
        sse: str | None = None,
        multipart_threshold: int = 8 * 1024 * 1024,
        concurrency: int = 4,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.bucket = bucket
        self.sse = sse
        self._session_args = {
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
            "region_name": region,
        }
        self._config = Config(
            s3={"addressing_style": addressing_style},
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            # S3-compatible servers (Ceph RGW among them) reject or ignore the newer flexible
            # checksums; send them only where the operation requires it.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_threshold,
            max_concurrency=concurrency,
        )
        self._local = threading.local()

    @property
    def client(self) -> Any:
        # boto3 sessions are not thread-safe; one client per thread.
        client = getattr(self._local, "client", None)
        if client is None:
            session = boto3.session.Session(**self._session_args)
            client = session.client("s3", endpoint_url=self.endpoint_url, config=self._config)
            self._local.client = client
        return client

    def _extra(self, content_type: str) -> dict[str, str]:
        extra = {"ContentType": content_type}
        if self.sse:
            extra["ServerSideEncryption"] = self.sse
        return extra

    def save(self, key: str, stream: IO[bytes], content_type: str) -> StoredObject:
        if self.exists(key):
            raise StorageError(f"object exists: {key}")
        reader = HashingReader(stream)
        try:
            # upload_fileobj reads the stream in order, one part at a time, so the hash is
            # right and at most a few parts are in memory at once.
            self.client.upload_fileobj(
                reader, self.bucket, key, ExtraArgs=self._extra(content_type), Config=self._transfer
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not upload {key}: {exc}") from exc
        return StoredObject(key=key, size=reader.size, sha256=reader.sha256)

    def save_file(
        self, key: str, path: Path, content_type: str, *, size: int, sha256: str
    ) -> StoredObject:
        """upload_file reads parts from disk in parallel, keeping only a few in memory."""
        if self.exists(key):
            raise StorageError(f"object exists: {key}")
        try:
            self.client.upload_file(
                str(path),
                self.bucket,
                key,
                ExtraArgs={**self._extra(content_type), "Metadata": {"sha256": sha256}},
                Config=self._transfer,
            )
        except (BotoCoreError, ClientError, OSError) as exc:
            raise StorageError(f"could not upload {key}: {exc}") from exc
        return StoredObject(key=key, size=size, sha256=sha256)

    def start_pipeline(self, key: str) -> PipelinedUpload:
        return PipelinedUpload(
            self.client,
            self.bucket,
            key,
            part_size=self._transfer.multipart_chunksize,
            concurrency=self._transfer.max_request_concurrency,
            extra=self._extra("application/octet-stream"),
        )

    def open(self, key: str) -> Iterator[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not read {key}: {exc}") from exc

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        return chunks()

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not delete {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(f"could not check {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"could not check {key}: {exc}") from exc
        return True

    def copy(self, source: str, target: str) -> None:
        try:
            self.client.copy(
                {"Bucket": self.bucket, "Key": source},
                self.bucket,
                target,
                ExtraArgs={"ServerSideEncryption": self.sse} if self.sse else None,
                Config=self._transfer,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not copy {source}: {exc}") from exc

    def list(self, prefix: str = "") -> Iterator[ListedObject]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield ListedObject(item["Key"], item["Size"], item["LastModified"])
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not list {prefix!r}: {exc}") from exc

    def presigned_url(self, key: str, *, filename: str, content_type: str, inline: bool) -> str:
        headers = attachment_headers(filename, inline=inline)
        try:
            return self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": headers["Content-Disposition"],
                    "ResponseContentType": content_type,
                    "ResponseCacheControl": "no-store",
                },
                ExpiresIn=PRESIGN_SECONDS,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not sign a link for {key}: {exc}") from exc

    def send(
        self, key: str, *, filename: str, content_type: str, inline: bool, headers: dict[str, str]
    ) -> Response:
        if inline:
            # The preview page frames the file from our own origin; a redirect to the bucket
            # would be blocked by frame-ancestors, so inline previews stream through VIR.
            response = Response(self.open(key), mimetype=content_type, direct_passthrough=True)
            response.headers.update(attachment_headers(filename, inline=True))
            response.headers.update(headers)
            return response
        response = redirect(
            self.presigned_url(key, filename=filename, content_type=content_type, inline=False)
        )
        response.headers.update(headers)
        return response

    def check(self) -> str:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(
                f"bucket {self.bucket} at {self.endpoint_url or 'AWS'}: {exc}"
            ) from exc
        return f"S3 bucket {self.bucket} at {self.endpoint_url or 'AWS'} is reachable"
