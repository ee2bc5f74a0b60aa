"""Writes for remote object stores: spool to a local file, then upload it in one go.

Outputs can be many GB, so they are spooled to disk, not memory; nothing is sent if the ``with``
block raises, and the object appears only when its upload finished (atomic for readers). A store
gives ``_upload(path, key)``, ``_copy(src_key, dst_key)`` and ``_spool_dir``; S3 and GCS share the
rest.
"""

from __future__ import annotations

import io
import tempfile
from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from pixel_platform.core.errors import StorageError
from pixel_platform.storage.base import ObjectInfo, ObjectStore
from pixel_platform.storage.keys import validate_key


class SpooledWrites(ObjectStore):
    """A bucket store (S3, GCS): ``scheme://bucket/key`` URIs, a repr safe to log, and writes
    spooled to a local file before they are published."""

    scheme: str  # "s3", "gs"
    bucket: str
    _spool_dir: str | Path | None

    @property
    @abstractmethod
    def endpoint(self) -> str:
        """The service's URL (for messages; never with credentials)."""

    def __repr__(self) -> str:
        # Never the client: a repr must be safe to log, and the client carries credentials.
        return f"{type(self).__name__}(bucket={self.bucket!r}, endpoint={self.endpoint!r})"

    def uri(self, key: str = "") -> str:
        if key:
            validate_key(key, allow_prefix=True)
        return f"{self.scheme}://{self.bucket}/{key}"

    @abstractmethod
    def _upload(self, path: Path, key: str) -> None:
        """Publish the file at ``path`` as ``key`` (retried and error-mapped by the store)."""

    @abstractmethod
    def _copy(self, src_key: str, dst_key: str) -> None:
        """Copy ``src_key`` to ``dst_key`` server-side (retried and error-mapped by the store)."""

    @contextmanager
    def open_write(self, key: str) -> Iterator[BinaryIO]:
        validate_key(key)
        with tempfile.NamedTemporaryFile(prefix=".tmp-upload-", dir=self._spool_dir) as spool:
            yield spool  # type: ignore[misc]
            spool.flush()
            self._upload(Path(spool.name), key)

    def upload_file(self, path: Path, key: str) -> ObjectInfo:
        validate_key(key)
        self._upload(Path(path), key)
        return self._head_after(key, "its upload succeeded")

    def copy(self, src_key: str, dst_key: str) -> ObjectInfo:
        validate_key(src_key)
        validate_key(dst_key)
        self._copy(src_key, dst_key)
        return self._head_after(dst_key, "it was copied")

    def _head_after(self, key: str, event: str) -> ObjectInfo:
        """The object a write that succeeded has just published."""
        info = self.head(key)
        if info is None:
            raise StorageError(f"{self.uri(key)} is missing right after {event}")
        return info


class TranslatingReader(io.RawIOBase):
    """A bucket object's body (anything with ``read(n)``) as a raw binary stream, so
    ``BufferedReader`` — and through it gzip, TextIOWrapper, readline — can consume an object
    without holding it in memory. ``translate`` maps a failure of ``read`` to the platform's
    error type, or returns ``None`` for one that is not the client's (it is raised as is)."""

    def __init__(self, body: Any, translate: Callable[[Exception], Exception | None]) -> None:
        super().__init__()
        self._body = body
        self._translate = translate

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data: bytes = self._body.read(len(view))
        except Exception as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from None
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()
