"""Photo files in an S3-compatible bucket: MinIO on premises, Aliyun OSS, Huawei OBS, Tencent COS, AWS.

The same keys and guarantees as the local folder (see ``store``): an original lives under
``<prefix>originals/ab/cd/<sha256>``, its thumbnails beside it under ``<prefix>thumbs/...``.

Writes: ``put`` HEADs the key and PUTs only when it is absent. A PUT is atomic (the object appears
whole or not at all), so there is no temporary object to clean up; the body carries Content-MD5,
which every S3-compatible store checks, so bytes damaged on the way are refused rather than kept,
and the SHA-256 goes along as object metadata. The service's put-then-commit discipline is
unchanged: when the row cannot be committed, the objects this request created are deleted.

Reads stream: ``stream`` issues the GET at once (a missing object is reported before any byte is
sent) and hands the body on in chunks, so a 20 MB original is never held whole in memory.

The bucket is private. Browsers never get presigned URLs: photos are served by the API after
the role check (``inspection_service.read_photo``), so who saw which evidence stays decided in
one place.

Client: boto3, the reference S3 client (kept by AWS, retries, timeouts, pagination and every
store's quirks handled through its config). Since botocore 1.36 it adds CRC checksums to every
PUT by default, which several S3-compatible stores refuse; checksums are sent only when an
operation requires them, and integrity comes from Content-MD5 instead.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ecogrid.core.metrics import PHOTO_STORE_ERRORS
from ecogrid.inspections.photos.store import (
    ORIGINALS_PREFIX,
    STREAM_CHUNK_BYTES,
    THUMBS_PREFIX,
    IncompleteWrite,
    InvalidPhotoKey,
    ObjectInfo,
    PhotoNotFound,
    PhotoStoreError,
    PhotoStoreUnavailable,
    StoredObject,
    original_key,
    parse_key,
    thumbnail_key,
)

if TYPE_CHECKING:
    from ecogrid.core.settings import Settings

_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
_UPLOAD_MARK = "?uploadId="


class S3PhotoStore:
    """The PhotoStore protocol over one bucket (and an optional key prefix inside it)."""

    backend = "s3"

    def __init__(self, client: Any, bucket: str, *, prefix: str = "") -> None:
        if prefix and not prefix.endswith("/"):
            raise PhotoStoreError("the key prefix must end with '/'", field="s3_prefix")
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> S3PhotoStore:
        if not settings.s3_bucket:
            raise PhotoStoreError("ECOGRID_S3_BUCKET must be set when ECOGRID_PHOTO_STORE is s3", field="s3_bucket")
        secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
        client = _client(settings.s3_endpoint_url, settings.s3_region, settings.s3_access_key_id, secret,
                         settings.s3_addressing_style, settings.s3_connect_timeout_s, settings.s3_read_timeout_s,
                         settings.s3_max_attempts)
        return cls(client, settings.s3_bucket, prefix=settings.s3_prefix)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    # -- writes ---------------------------------------------------------------------------------

    def put(self, data: bytes) -> StoredObject:
        if not data:
            raise PhotoStoreError("refusing to store an empty file", field="file")
        sha = hashlib.sha256(data).hexdigest()
        key = original_key(sha)
        if self.exists(key):
            return StoredObject(key=key, sha256=sha, size=len(data), created=False)
        self._put_object(key, data, sha=sha, content_type="application/octet-stream")
        return StoredObject(key=key, sha256=sha, size=len(data), created=True)

    def put_thumbnail(
        self, original_sha256: str, *, max_side: int, data: bytes, replace: bool = False
    ) -> StoredObject:
        if not data:
            raise PhotoStoreError("refusing to store an empty thumbnail", field="file")
        key = thumbnail_key(original_sha256, max_side=max_side)
        sha = hashlib.sha256(data).hexdigest()
        if not replace and self.exists(key):
            return StoredObject(key=key, sha256=sha, size=len(data), created=False)
        self._put_object(key, data, sha=sha, content_type="image/jpeg")
        return StoredObject(key=key, sha256=sha, size=len(data), created=True)

    def _put_object(self, key: str, data: bytes, *, sha: str, content_type: str) -> None:
        with self._calls("put"):
            self._client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data,
                                    ContentMD5=self._content_md5(data), ContentType=content_type,
                                    Metadata={"sha256": sha})

    def _content_md5(self, data: bytes) -> str:
        return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")

    # -- reads ----------------------------------------------------------------------------------

    def open(self, key: str) -> bytes:
        return b"".join(self.stream(key))

    def stream(self, key: str, *, chunk_bytes: int = STREAM_CHUNK_BYTES) -> Iterator[bytes]:
        parse_key(key)
        with self._calls("get", key=key):
            body = self._client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"]
        return self._chunks(body, key, chunk_bytes)

    def _chunks(self, body: Any, key: str, chunk_bytes: int) -> Iterator[bytes]:
        try:
            with self._calls("get", key=key):
                yield from body.iter_chunks(chunk_bytes)
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except PhotoNotFound:
            return False
        return True

    def stat(self, key: str) -> ObjectInfo:
        parse_key(key)
        with self._calls("head", key=key):
            head = self._client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        modified = head["LastModified"]
        return ObjectInfo(key=key, size=int(head["ContentLength"]),
                          modified_at=modified.astimezone(UTC) if isinstance(modified, datetime) else modified)

    def delete(self, key: str) -> None:
        parse_key(key)
        with self._calls("delete"):
            self._client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def iter_keys(self) -> Iterator[str]:
        for top in (ORIGINALS_PREFIX, THUMBS_PREFIX):
            for item in self._list("list_objects_v2", "Contents", Prefix=f"{self.prefix}{top}/"):
                key = item["Key"][len(self.prefix):]
                with contextlib.suppress(InvalidPhotoKey):
                    parse_key(key)
                    yield key

    def iter_incomplete(self) -> Iterator[IncompleteWrite]:
        # Multipart uploads never completed (a bulk copy cut off half way); single PUTs leave nothing.
        for item in self._list("list_multipart_uploads", "Uploads", Prefix=self.prefix):
            key = item["Key"][len(self.prefix):]
            initiated = item["Initiated"]
            yield IncompleteWrite(name=f"{key}{_UPLOAD_MARK}{item['UploadId']}",
                                  modified_at=initiated.astimezone(UTC))

    def discard_incomplete(self, name: str) -> None:
        key, mark, upload_id = name.partition(_UPLOAD_MARK)
        if not mark or not upload_id or key.startswith("/") or ".." in key.split("/"):
            raise PhotoStoreError(f"{name!r} is not an interrupted upload of this store", field="name")
        with self._calls("abort"), contextlib.suppress(PhotoNotFound):
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=self.prefix + key, UploadId=upload_id)

    # -- plumbing -------------------------------------------------------------------------------

    def _list(self, operation: str, field: str, **params: Any) -> Iterator[dict[str, Any]]:
        paginator = self._client.get_paginator(operation)
        with self._calls("list"):
            for page in paginator.paginate(Bucket=self.bucket, **params):
                yield from page.get(field, [])

    @contextlib.contextmanager
    def _calls(self, operation: str, *, key: str | None = None) -> Iterator[None]:
        """Missing objects become PhotoNotFound; any other failure PhotoStoreUnavailable (and a metric)."""
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in _NOT_FOUND or code == "NoSuchUpload":
                raise PhotoNotFound(f"no stored photo file for {key!r}") from None
            PHOTO_STORE_ERRORS.labels(self.backend, operation).inc()
            raise PhotoStoreUnavailable(f"the photo store refused {operation}: {code or 'error'} "
                                        f"({error.get('Message', '')})".strip()) from exc
        except BotoCoreError as exc:
            PHOTO_STORE_ERRORS.labels(self.backend, operation).inc()
            raise PhotoStoreUnavailable(f"the photo store could not be reached for {operation}: "
                                        f"{type(exc).__name__}") from exc


@functools.lru_cache(maxsize=8)
def _client(endpoint_url: str | None, region: str, access_key: str | None, secret: str | None,
            addressing_style: str, connect_timeout: float, read_timeout: float, max_attempts: int) -> Any:
    # One client per configuration for the whole process: boto3 clients are thread-safe and slow to build.
    config = Config(
        s3={"addressing_style": addressing_style},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": max_attempts, "mode": "standard"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        signature_version="s3v4",
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region,
                                          aws_access_key_id=access_key, aws_secret_access_key=secret,
                                          config=config)

