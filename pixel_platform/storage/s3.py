"""The S3-compatible backend (OVH Object Storage in production, SeaweedFS in tests).

Retries of throttling, 5xx and dropped connections are botocore's "standard" retry mode, bounded by
``StorageSettings.max_attempts``. botocore retries *requests*, not the reading of a response body:
a connection reset half-way through a GET body surfaces as ``ResponseStreamingError`` after the
request already succeeded. ``_ResumableBody`` covers that gap: it re-issues the GET with a
``Range`` from the byte where the body broke, pinned to the same version with ``If-Match``, up to
the same bound. Whatever survives the retries is translated here into the platform's error types
(see ``translate_error``) with messages that say what to fix and never carry a credential.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSLError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from pixel_platform.core.errors import (
    ConfigError,
    ObjectNotFoundError,
    PixelError,
    StorageError,
    TransientStorageError,
)
from pixel_platform.storage.base import ObjectInfo
from pixel_platform.storage.cache import ReadCache
from pixel_platform.storage.keys import validate_key
from pixel_platform.storage.messages import bucket_missing, credentials_rejected, still_failing
from pixel_platform.storage.settings import StorageSettings
from pixel_platform.storage.spooled import SpooledWrites, TranslatingReader

S3Client = Any  # botocore builds the client class at run time; no static type without stubs
READ_CHUNK_BYTES = 1024 * 1024
_CA_BUNDLE_VARS = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")
DEFAULT_BODY_ATTEMPTS = 5
# A body read that broke after its request succeeded: reset, timeout, or fewer bytes than
# Content-Length (botocore's ResponseStreamingError is an HTTPClientError).
_BODY_ERRORS = (HTTPClientError, IncompleteReadError, ReadTimeoutError, BotoConnectionError)


# -- client -------------------------------------------------------------------------------------
def build_s3_client(settings: StorageSettings) -> S3Client:
    """A boto3 S3 client for ``settings``; a plain function so Dagster resources can reuse it."""
    custom_endpoint = bool(settings.endpoint_url)
    config = Config(
        # "total_max_attempts" counts the first try, matching StorageSettings.max_attempts (>= 1);
        # botocore's "max_attempts" key would count retries only, one more request than asked.
        retries={"total_max_attempts": settings.max_attempts, "mode": "standard"},
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
        # S3-compatible services rarely have wildcard DNS for virtual-host buckets.
        s3={"addressing_style": "path"} if custom_endpoint else None,
        # botocore >= 1.36 sends CRC32 trailer checksums by default, which OVH and several other
        # S3-compatible services reject (ovh/public-cloud-roadmap#781); AWS keeps the default.
        request_checksum_calculation="when_required" if custom_endpoint else "when_supported",
        response_checksum_validation="when_required" if custom_endpoint else "when_supported",
    )
    # A private session: the default one is shared module state and not thread-safe to create.
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        verify=resolve_tls_verify(settings),
        config=config,
    )


def resolve_tls_verify(settings: StorageSettings) -> bool | str:
    """What to pass as botocore's ``verify``.

    Passing ``True`` would make botocore ignore ``AWS_CA_BUNDLE`` (it only reads it when ``verify``
    is ``None``), so the environment's bundle is forwarded explicitly and verification stays on.
    A plain-http endpoint has no TLS at all: a stale or empty bundle variable must not break it.
    """
    if settings.endpoint_url and settings.endpoint_url.lower().startswith("http://"):
        return True
    if settings.verify_tls is False:
        return False
    if isinstance(settings.verify_tls, str):
        return _existing_bundle(settings.verify_tls, "OVH_S3_CA_BUNDLE")
    for name in _CA_BUNDLE_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return _existing_bundle(value, name)
    return True


def _existing_bundle(path: str, source: str) -> str:
    if not Path(path).is_file():
        raise ConfigError(f"{source}={path!r} is not a file; point it at a PEM CA bundle")
    return path


# -- store ---------------------------------------------------------------------------------------
class S3ObjectStore(SpooledWrites):
    scheme = "s3"
    backend = "s3"

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        cache_dir: Path | None = None,
        multipart_threshold_bytes: int = 64 * 1024 * 1024,
        multipart_chunk_bytes: int = 16 * 1024 * 1024,
        spool_dir: Path | None = None,
        body_attempts: int = DEFAULT_BODY_ATTEMPTS,
    ) -> None:
        if body_attempts < 1:
            raise ConfigError(f"body_attempts must be >= 1, got {body_attempts}")
        self._client = client
        self._body_attempts = body_attempts
        self.bucket = bucket
        self._cache = ReadCache(cache_dir) if cache_dir is not None else None
        self._transfer_config = TransferConfig(
            multipart_threshold=multipart_threshold_bytes,
            multipart_chunksize=multipart_chunk_bytes,
        )
        self._spool_dir = spool_dir

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> S3ObjectStore:
        bucket = settings.required_bucket(cls.backend)
        return cls(
            build_s3_client(settings),
            bucket,
            cache_dir=settings.cache_dir,
            multipart_threshold_bytes=settings.multipart_threshold_bytes,
            multipart_chunk_bytes=settings.multipart_chunk_bytes,
            body_attempts=settings.max_attempts,
        )

    @property
    def client(self) -> S3Client:
        return self._client

    @property
    def endpoint(self) -> str:
        return str(self._client.meta.endpoint_url)

    # -- errors ---------------------------------------------------------------------------------
    def _error(self, exc: Exception, action: str, key: str | None) -> Exception:
        return translate_error(
            exc, action=action, bucket=self.bucket, key=key, endpoint=self.endpoint
        )

    @contextmanager
    def _translated(self, action: str, key: str | None = None) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            # ``from None``: the botocore exception's response dict may echo the access key id.
            raise self._error(exc, action, key) from None

    # -- reads ----------------------------------------------------------------------------------
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        validate_key(prefix, allow_prefix=True)
        paginator = self._client.get_paginator("list_objects_v2")
        infos: list[ObjectInfo] = []
        with self._translated("list", prefix or None):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                infos.extend(
                    _info(obj["Key"], obj["Size"], obj["ETag"], obj["LastModified"])
                    for obj in page.get("Contents", ())
                )
        # AWS and Ceph (OVH) already return UTF-8 byte order, which is Python's str order, and
        # sorting sorted input is linear. Filer-backed servers (SeaweedFS) return directory
        # order instead ("a/x" before "a-b"), so the contract's key order is enforced here, at
        # the cost of holding the listing (~200 bytes per object) before the first yield.
        infos.sort(key=lambda info: info.key)
        yield from infos

    def sample(self, prefix: str = "", limit: int = 5) -> tuple[tuple[str, ...], bool]:
        """Up to ``limit`` keys under ``prefix`` in one LIST request, and whether there are
        more: an access check that costs the same on a bucket of any size."""
        validate_key(prefix, allow_prefix=True)
        with self._translated("list", prefix or None):
            page = self._client.list_objects_v2(
                Bucket=self.bucket, Prefix=prefix, MaxKeys=max(limit, 1)
            )
        contents = page.get("Contents", ())
        keys = tuple(str(obj["Key"]) for obj in contents[:limit])
        return keys, bool(page.get("IsTruncated")) or len(contents) > limit

    def head(self, key: str) -> ObjectInfo | None:
        """Metadata, or ``None``; a missing bucket also reads as ``None`` (HEAD has no body)."""
        validate_key(key)
        try:
            resp = self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise self._error(exc, "inspect", key) from None
        except BotoCoreError as exc:
            raise self._error(exc, "inspect", key) from None
        return _info(key, resp["ContentLength"], resp["ETag"], resp["LastModified"])

    @contextmanager
    def open_read(self, key: str) -> Iterator[BinaryIO]:
        validate_key(key)
        if self._cache is not None:
            with open(self._cached_copy(key, self._cache), "rb") as fh:
                yield fh
            return
        with self._translated("read", key):
            resp = self._client.get_object(Bucket=self.bucket, Key=key)
        body = self._resumable(key, resp)
        raw = TranslatingReader(body, lambda exc: self._read_error(exc, key))
        with io.BufferedReader(raw, buffer_size=READ_CHUNK_BYTES) as reader:
            yield reader  # type: ignore[misc]  # BufferedReader is a BinaryIO at run time

    def _read_error(self, exc: Exception, key: str) -> Exception | None:
        """A failure while reading a body: the client's, translated; a body that changed under
        the read, transient (read it again); anything else is not ours to translate."""
        if isinstance(exc, (ClientError, BotoCoreError)):
            return self._error(exc, "read", key)
        if isinstance(exc, _ObjectChanged):
            return TransientStorageError(f"{exc}; read it again")
        return None

    def _resumable(self, key: str, resp: dict[str, Any]) -> _ResumableBody:
        etag = str(resp["ETag"])

        def reopen(offset: int) -> Any:
            try:
                return self._client.get_object(
                    Bucket=self.bucket, Key=key, IfMatch=etag, Range=f"bytes={offset}-"
                )["Body"]
            except ClientError as exc:
                if _code(exc) == "PreconditionFailed":
                    raise _ObjectChanged(key) from None
                raise

        return _ResumableBody(
            resp["Body"],
            size=int(resp["ContentLength"]),
            reopen=reopen,
            attempts=self._body_attempts,
        )

    def _cached_copy(self, key: str, cache: ReadCache, attempts: int = 3) -> Path:
        for _ in range(attempts):
            info = self.head(key)
            if info is None:
                raise self._missing(key)
            path = cache.lookup(self.bucket, key, info.etag) or self._download(key, info, cache)
            if path is not None:
                return path
        raise TransientStorageError(f"{self.uri(key)} kept changing while being read")

    def _download(self, key: str, info: ObjectInfo, cache: ReadCache) -> Path | None:
        """Fill the cache entry for ``info``; ``None`` if the object changed since its HEAD."""
        with self._translated("read", key):
            try:
                # If-Match pins the GET to the version HEAD saw, so the file matches its name.
                resp = self._client.get_object(
                    Bucket=self.bucket, Key=key, IfMatch=f'"{info.etag}"'
                )
            except ClientError as exc:
                if _code(exc) == "PreconditionFailed":
                    return None
                raise
            with closing(self._resumable(key, resp)) as body:
                chunks = iter(lambda: body.read(READ_CHUNK_BYTES), b"")
                try:
                    return cache.store(self.bucket, key, info.etag, chunks, expected_size=info.size)
                except _ObjectChanged:
                    return None

    def _missing(self, key: str) -> Exception:
        # HEAD of a missing key and of a missing bucket both answer a bare 404; tell them apart
        # so the message points at the real problem.
        with self._translated("read", key):
            try:
                self._client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if is_not_found(exc):
                    return bucket_missing_error(self.bucket, self.endpoint)
                raise
        return ObjectNotFoundError(f"object {key!r} not found in s3://{self.bucket}")

    # -- writes ---------------------------------------------------------------------------------
    # open_write, upload_file: SpooledWrites (spool to disk, then _upload)
    def _upload(self, path: Path, key: str) -> None:
        size = path.stat().st_size
        with self._translated("write", key):
            if size < self._transfer_config.multipart_threshold:
                # One PUT, as the transfer manager would do, minus its thread pool per call.
                with open(path, "rb") as fh:
                    self._client.put_object(Bucket=self.bucket, Key=key, Body=fh)
            else:
                # Managed transfer: parallel multipart upload, each part retried by botocore.
                self._client.upload_file(str(path), self.bucket, key, Config=self._transfer_config)

    def _copy(self, src_key: str, dst_key: str) -> None:
        """The bytes never pass through this machine. boto3's managed copy uses one
        ``CopyObject`` below the multipart threshold and ``UploadPartCopy`` parts above it
        (CopyObject alone stops at 5 GiB)."""
        source = {"Bucket": self.bucket, "Key": src_key}
        with self._translated("copy", src_key):
            try:
                self._client.copy(source, self.bucket, dst_key, Config=self._transfer_config)
            except ClientError as exc:
                if is_not_found(exc):
                    raise self._missing(src_key) from None
                raise

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._translated("delete", key):
            self._client.delete_object(Bucket=self.bucket, Key=key)


class _ObjectChanged(Exception):
    """The object was replaced while its body was being read (a resumed GET's If-Match failed)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"{key!r} changed while being read")


class _ResumableBody:
    """One object version's bytes; a body read that breaks is resumed with a ranged GET.

    ``reopen(offset)`` returns a new body starting at ``offset`` of the same version (or raises
    ``_ObjectChanged``). At most ``attempts`` bodies are read in all, with a short backoff between
    them; the last failure is raised as it came, for the caller to translate.
    """

    def __init__(
        self, body: Any, *, size: int, reopen: Callable[[int], Any], attempts: int
    ) -> None:
        self._body = body
        self._size = size
        self._reopen = reopen
        self._attempts_left = attempts - 1
        self._offset = 0
        self.resumed = 0

    def read(self, amount: int) -> bytes:
        while True:
            if self._offset >= self._size:
                return b""
            try:
                data: bytes = self._body.read(amount)
            except _BODY_ERRORS:
                if self._attempts_left <= 0:
                    raise
                self._attempts_left -= 1
                self.resumed += 1
                self._close_body()
                time.sleep(min(2.0, 0.1 * 2**self.resumed))
                self._body = self._reopen(self._offset)
                continue
            self._offset += len(data)
            return data

    def _close_body(self) -> None:
        # A broken connection may fail to close; it is dropped either way.
        with contextlib.suppress(Exception):
            self._body.close()

    def close(self) -> None:
        self._close_body()


def _info(key: str, size: int, etag: str, last_modified: Any) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=int(size),
        etag=etag.strip('"'),
        last_modified=last_modified.astimezone(UTC),
    )


# -- error translation ---------------------------------------------------------------------------
CREDENTIAL_VARS = (
    "OVH_S3_ACCESS_KEY / OVH_S3_SECRET_KEY (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
)
_AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AccountProblem",
        "AuthorizationHeaderMalformed",
        "ExpiredToken",
        "Forbidden",
        "InvalidAccessKeyId",
        "InvalidSecurity",
        "InvalidToken",
        "SignatureDoesNotMatch",
        "403",
    }
)
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
_TRANSIENT_CODES = frozenset(
    {
        "BandwidthLimitExceeded",
        "InternalError",
        "RequestLimitExceeded",
        "RequestTimeout",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
    }
)


def translate_error(
    exc: Exception, *, action: str, bucket: str, key: str | None, endpoint: str
) -> PixelError:
    """Map a botocore/boto3 exception to a platform error whose message says what to fix.

    Only the error *code* is taken from the server, never its message: some servers echo the
    access key id in InvalidAccessKeyId messages, and credentials must not reach logs.
    """
    where = f"s3://{bucket}/{key}" if key else f"s3://{bucket}"
    if isinstance(exc, S3UploadFailedError) and isinstance(exc.__context__, Exception):
        exc = exc.__context__  # boto3 wraps the real ClientError of a managed upload
    if isinstance(exc, ClientError):
        return _translate_client_error(
            exc, action=action, where=where, bucket=bucket, endpoint=endpoint
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return StorageError(f"no complete S3 credentials for {endpoint}; set {CREDENTIAL_VARS}")
    if isinstance(exc, SSLError):
        return StorageError(
            f"TLS verification failed for {endpoint}; if it uses a private CA, set "
            "OVH_S3_CA_BUNDLE (or AWS_CA_BUNDLE) to its PEM bundle"
        )
    if isinstance(exc, BotoConnectionError | HTTPClientError | IncompleteReadError):
        return TransientStorageError(
            f"could not {action} {where}: {type(exc).__name__} talking to {endpoint}, "
            "still failing after the client's retries"
        )
    return StorageError(f"could not {action} {where}: {type(exc).__name__}")


def _translate_client_error(
    exc: ClientError, *, action: str, where: str, bucket: str, endpoint: str
) -> PixelError:
    code, status = _code(exc), _status(exc)
    label = code if code.isalnum() and len(code) <= 64 else f"HTTP {status}"
    if code == "NoSuchBucket":
        return bucket_missing_error(bucket, endpoint)
    if code in _AUTH_CODES or status == 403:
        return credentials_rejected(endpoint, label, action, where, CREDENTIAL_VARS, bucket)
    if code in _NOT_FOUND_CODES or status == 404:
        return ObjectNotFoundError(f"{where} not found")
    if code in _TRANSIENT_CODES or status == 429 or (status or 0) >= 500:
        return still_failing(action, where, label, endpoint)
    return StorageError(f"could not {action} {where}: {label} (HTTP {status}) from {endpoint}")


def bucket_missing_error(bucket: str, endpoint: str) -> StorageError:
    return bucket_missing(bucket, endpoint, "OVH_S3_BUCKET (or AWS_S3_BUCKET)")


def is_not_found(exc: ClientError) -> bool:
    """A missing object (or, for HEAD, possibly a missing bucket) - not a missing-bucket code."""
    code = _code(exc)
    return code != "NoSuchBucket" and (code in _NOT_FOUND_CODES or _status(exc) == 404)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None
