"""The Google Cloud Storage backend (``DATASET_STORAGE_BACKEND=gcs``), via google-cloud-storage.

Credentials are Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's
application-default login, or the metadata server); with ``STORAGE_EMULATOR_HOST`` set, the
client talks to that emulator anonymously. Transient failures (429, 5xx, dropped connections) are
retried by the client's own ``Retry`` policy, bounded by ``StorageSettings.retry_deadline_s``; what
survives it is translated into the platform's error types by ``translate_error``, with messages
that name what to fix and never carry a credential or a server's message.

Writes are atomic because GCS publishes an object only when its upload is finalised: a single
request below ``multipart_threshold_bytes``, a chunked resumable upload above it. Uploads are
retried even without a generation precondition (the library's default is not to): every write
here replaces a whole object with the same bytes, so repeating one is harmless.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pixel_platform.core.errors import (
    MissingDependencyError,
    ObjectNotFoundError,
    PixelError,
    StorageError,
    TransientStorageError,
)
from pixel_platform.storage.base import ObjectInfo
from pixel_platform.storage.keys import validate_key
from pixel_platform.storage.messages import bucket_missing, credentials_rejected, still_failing
from pixel_platform.storage.settings import StorageSettings
from pixel_platform.storage.spooled import SpooledWrites, TranslatingReader

try:
    import google.auth.exceptions as auth_exceptions
    import requests
    from google.api_core import exceptions as api_exceptions
    from google.api_core.retry import Retry
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    from google.cloud.storage.retry import DEFAULT_RETRY
except ImportError:  # pragma: no cover - exercised by test_gcs.py with the import blocked
    raise MissingDependencyError("google-cloud-storage", "gcs") from None

READ_CHUNK_BYTES = 1024 * 1024
_UPLOAD_CHUNK_UNIT = 256 * 1024  # resumable upload chunks must be a multiple of this
EMULATOR_PROJECT = "pixel-emulator"
CREDENTIAL_VARS = (
    "GOOGLE_APPLICATION_CREDENTIALS (a service-account key file) or gcloud's "
    "application-default login"
)


def build_gcs_client(settings: StorageSettings) -> storage.Client:
    """A storage client for ``settings``: anonymous on an emulator, else ADC."""
    if settings.gcs_emulator_host:
        return storage.Client(
            project=settings.gcs_project or EMULATOR_PROJECT,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": settings.gcs_emulator_host},
        )
    try:
        return storage.Client(project=settings.gcs_project)
    except auth_exceptions.DefaultCredentialsError:
        raise StorageError(f"no Google credentials found for GCS; set {CREDENTIAL_VARS}") from None


class GCSObjectStore(SpooledWrites):
    scheme = "gs"
    backend = "gcs"

    def __init__(
        self,
        client: storage.Client,
        bucket: str,
        *,
        retry_deadline_s: float = 120.0,
        timeout_s: tuple[float, float] = (10.0, 60.0),
        multipart_threshold_bytes: int = 64 * 1024 * 1024,
        multipart_chunk_bytes: int = 16 * 1024 * 1024,
        spool_dir: Path | None = None,
    ) -> None:
        if multipart_chunk_bytes <= 0 or multipart_chunk_bytes % _UPLOAD_CHUNK_UNIT:
            raise StorageError(
                f"GCS upload chunks must be a positive multiple of {_UPLOAD_CHUNK_UNIT} bytes, "
                f"got {multipart_chunk_bytes}"
            )
        self._client = client
        self._bucket = client.bucket(bucket)
        self.bucket = bucket
        self._retry: Retry = DEFAULT_RETRY.with_timeout(retry_deadline_s)
        self._timeout = timeout_s
        self._threshold = multipart_threshold_bytes
        self._chunk = multipart_chunk_bytes
        self._spool_dir = spool_dir

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> GCSObjectStore:
        bucket = settings.required_bucket(cls.backend)
        return cls(
            build_gcs_client(settings),
            bucket,
            retry_deadline_s=settings.retry_deadline_s,
            timeout_s=(settings.connect_timeout_s, settings.read_timeout_s),
            multipart_threshold_bytes=settings.multipart_threshold_bytes,
            multipart_chunk_bytes=settings.multipart_chunk_bytes,
        )

    @property
    def endpoint(self) -> str:
        return str(self._client._connection.API_BASE_URL)

    @contextmanager
    def _translated(self, action: str, key: str | None = None) -> Iterator[None]:
        try:
            yield
        except _CLIENT_ERRORS as exc:
            # ``from None``: the library's exception text carries the request URL and response.
            raise translate_error(
                exc, action=action, bucket=self.bucket, key=key, endpoint=self.endpoint
            ) from None

    # -- reads ----------------------------------------------------------------------------------
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        # GCS lists in lexicographic order of the UTF-8 names, which is Python's str order, so
        # pages stream straight through (no sort, no listing held in memory).
        validate_key(prefix, allow_prefix=True)
        with self._translated("list", prefix or None):
            blobs = self._client.list_blobs(
                self._bucket, prefix=prefix or None, retry=self._retry, timeout=self._timeout
            )
            for blob in blobs:
                yield _info(blob)

    def head(self, key: str) -> ObjectInfo | None:
        """Metadata, or ``None``; a missing bucket also reads as ``None``, as on S3."""
        validate_key(key)
        blob = self._get_blob(key, "inspect")
        return _info(blob) if blob is not None else None

    def _get_blob(self, key: str, action: str) -> storage.Blob | None:
        with self._translated(action, key):
            try:
                return self._bucket.get_blob(key, retry=self._retry, timeout=self._timeout)
            except api_exceptions.NotFound:  # the bucket (a missing blob returns None)
                return None

    @contextmanager
    def open_read(self, key: str) -> Iterator[BinaryIO]:
        validate_key(key)
        blob = self._get_blob(key, "read")
        if blob is None:
            raise self._missing(key)
        # Ranged reads of READ_CHUNK_BYTES each, pinned to the generation HEAD saw: a rewrite
        # during the read fails it (412/404) instead of splicing two versions together.
        with self._translated("read", key):
            reader = blob.open(
                "rb",
                chunk_size=READ_CHUNK_BYTES,
                if_generation_match=blob.generation,
                retry=self._retry,
                timeout=self._timeout,
            )
        raw = TranslatingReader(
            reader,
            lambda exc: self._read_error(exc, key) if isinstance(exc, _CLIENT_ERRORS) else None,
        )
        with io.BufferedReader(raw, buffer_size=READ_CHUNK_BYTES) as buffered:
            yield buffered  # type: ignore[misc]  # BufferedReader is a BinaryIO at run time

    def _read_error(self, exc: Exception, key: str) -> PixelError:
        if isinstance(exc, api_exceptions.NotFound | api_exceptions.PreconditionFailed):
            return TransientStorageError(f"{self.uri(key)} changed while being read; read it again")
        return translate_error(
            exc, action="read", bucket=self.bucket, key=key, endpoint=self.endpoint
        )

    def _missing(self, key: str) -> StorageError:
        with self._translated("read", key):
            bucket_exists = self._bucket.exists(retry=self._retry, timeout=self._timeout)
        if not bucket_exists:
            return bucket_missing_error(self.bucket, self.endpoint)
        return ObjectNotFoundError(f"object {key!r} not found in gs://{self.bucket}")

    # -- writes ---------------------------------------------------------------------------------
    # open_write, upload_file: SpooledWrites (spool to disk, then _upload)
    def _upload(self, path: Path, key: str) -> None:
        large = path.stat().st_size >= self._threshold
        # A chunk size makes the upload resumable in chunks, each retried on its own.
        blob = self._bucket.blob(key, chunk_size=self._chunk if large else None)
        with self._translated("write", key):
            try:
                blob.upload_from_filename(
                    str(path), retry=self._retry, timeout=self._timeout, checksum="crc32c"
                )
            except api_exceptions.NotFound:
                raise bucket_missing_error(self.bucket, self.endpoint) from None

    def _copy(self, src_key: str, dst_key: str) -> None:
        """With the Rewrite API, which (unlike copyTo) handles objects of any size by returning a
        token to continue from."""
        source = self._bucket.blob(src_key)
        target = self._bucket.blob(dst_key)
        with self._translated("copy", src_key):
            try:
                token: str | None = None
                while True:
                    token, _, _ = target.rewrite(
                        source, token=token, retry=self._retry, timeout=self._timeout
                    )
                    if token is None:
                        break
            except api_exceptions.NotFound:
                raise self._missing(src_key) from None

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._translated("delete", key):
            try:
                self._bucket.delete_blob(key, retry=self._retry, timeout=self._timeout)
            except api_exceptions.NotFound:
                return


def _info(blob: storage.Blob) -> ObjectInfo:
    updated: datetime | None = blob.updated
    if updated is None:  # only on a blob that was never loaded; every caller loads it
        raise StorageError(f"gs://{blob.bucket.name}/{blob.name} has no update time")
    return ObjectInfo(
        key=str(blob.name),
        size=int(blob.size or 0),
        etag=str(blob.etag).strip('"'),
        last_modified=updated.astimezone(UTC),
    )


# -- error translation ---------------------------------------------------------------------------
_CLIENT_ERRORS: tuple[type[Exception], ...] = (
    api_exceptions.GoogleAPIError,  # HTTP errors and RetryError (the retry deadline passed)
    auth_exceptions.GoogleAuthError,
    requests.RequestException,
)
_TRANSIENT = (
    api_exceptions.TooManyRequests,
    api_exceptions.ServerError,
    api_exceptions.RetryError,
    requests.ConnectionError,
    requests.Timeout,
    auth_exceptions.TransportError,
)


def translate_error(
    exc: Exception, *, action: str, bucket: str, key: str | None, endpoint: str
) -> PixelError:
    """Map a google-cloud-storage exception to a platform error whose message says what to fix.

    Only the exception's type and HTTP code are used, never its text: it quotes request URLs and
    response bodies.
    """
    where = f"gs://{bucket}/{key}" if key else f"gs://{bucket}"
    code = getattr(exc, "code", None)
    label = f"{type(exc).__name__}" + (f" (HTTP {code})" if code else "")
    if isinstance(exc, auth_exceptions.DefaultCredentialsError | auth_exceptions.RefreshError):
        return StorageError(f"no usable Google credentials for {endpoint}; set {CREDENTIAL_VARS}")
    if isinstance(exc, api_exceptions.Unauthorized | api_exceptions.Forbidden):
        return credentials_rejected(endpoint, label, action, where, CREDENTIAL_VARS, bucket)
    if isinstance(exc, api_exceptions.NotFound):
        return ObjectNotFoundError(f"{where} not found")
    if isinstance(exc, _TRANSIENT):
        return still_failing(action, where, label, endpoint)
    return StorageError(f"could not {action} {where}: {label} from {endpoint}")


def bucket_missing_error(bucket: str, endpoint: str) -> StorageError:
    return bucket_missing(bucket, endpoint, "GCS_BUCKET")
