"""The object-store interface every backend implements.

Keys are validated by ``validate_key`` on every call. Reads stream; writes are atomic (a reader
never sees a half-written object) and go through a local spool file, so large outputs never sit in
memory and S3 uploads become multipart past a threshold.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from pixel_platform.core.errors import StorageError


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str  # S3 ETag without quotes; local: a digest of size and mtime
    last_modified: datetime  # timezone-aware UTC


class ObjectStore(ABC):
    backend: str

    @abstractmethod
    def uri(self, key: str = "") -> str:
        """A human-readable location: ``s3://bucket/key`` or a filesystem path."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order, paginating as needed."""

    @abstractmethod
    def head(self, key: str) -> ObjectInfo | None:
        """Metadata of one object, or ``None`` if it does not exist."""

    @abstractmethod
    def open_read(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A streaming binary reader over the object's raw bytes (no decompression)."""

    @abstractmethod
    def open_write(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A binary writer; the object appears atomically when the block exits without error."""

    @abstractmethod
    def upload_file(self, path: Path, key: str) -> ObjectInfo:
        """Store a local file under ``key`` atomically (multipart on S3 for large files)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete one object; deleting a missing object is not an error."""

    # -- conveniences built on the primitives ------------------------------------------------
    def exists(self, key: str) -> bool:
        return self.head(key) is not None

    def read_bytes(self, key: str) -> bytes:
        with self.open_read(key) as fh:
            return fh.read()

    def write_bytes(self, key: str, data: bytes) -> None:
        with self.open_write(key) as fh:
            fh.write(data)

    def copy(self, src_key: str, dst_key: str) -> ObjectInfo:
        """Copy one object to another key; the copy appears atomically, like any write.

        This default streams the bytes through the client; backends override it with a
        server-side copy (S3) or a file copy (local).
        """
        with self.open_read(src_key) as src, self.open_write(dst_key) as dst:
            shutil.copyfileobj(src, dst, length=1024 * 1024)
        info = self.head(dst_key)
        if info is None:
            raise StorageError(f"{self.uri(dst_key)} is missing right after it was copied")
        return info

    def delete_prefix(self, prefix: str) -> int:
        keys = [info.key for info in self.list(prefix)]
        for key in keys:
            self.delete(key)
        return len(keys)
