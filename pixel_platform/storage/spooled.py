"""Writes for remote object stores: spool to a local file, then upload it in one go.

Outputs can be many GB, so they are spooled to disk, not memory; nothing is sent if the ``with``
block raises, and the object appears only when its upload finished (atomic for readers). A store
gives ``_upload(path, key)`` and ``_spool_dir``; S3 and GCS share the rest.
"""

from __future__ import annotations

import tempfile
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pixel_platform.core.errors import StorageError
from pixel_platform.storage.base import ObjectInfo, ObjectStore
from pixel_platform.storage.keys import validate_key


class SpooledWrites(ObjectStore):
    _spool_dir: str | Path | None

    @abstractmethod
    def _upload(self, path: Path, key: str) -> None:
        """Publish the file at ``path`` as ``key`` (retried and error-mapped by the store)."""

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
        info = self.head(key)
        if info is None:
            raise StorageError(f"{self.uri(key)} is missing right after its upload succeeded")
        return info
