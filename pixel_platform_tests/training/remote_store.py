"""An ObjectStore that is not a ``LocalObjectStore`` (so code treats it like S3) but keeps its
objects in a directory: the remote paths (release cache, checkpoint mirror) without a server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

from pixel_platform.storage.base import ObjectInfo, ObjectStore
from pixel_platform.storage.local import LocalObjectStore


class RemoteStore(ObjectStore):
    backend = "remote-test"

    def __init__(self, root: Path) -> None:
        self.inner = LocalObjectStore(root)
        self.uploads: list[str] = []

    def uri(self, key: str = "") -> str:
        return f"s3://test-bucket/{key}"

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return self.inner.list(prefix)

    def head(self, key: str) -> ObjectInfo | None:
        return self.inner.head(key)

    def open_read(self, key: str) -> AbstractContextManager[BinaryIO]:
        return self.inner.open_read(key)

    def open_write(self, key: str) -> AbstractContextManager[BinaryIO]:
        return self.inner.open_write(key)

    def upload_file(self, path: Path, key: str) -> ObjectInfo:
        self.uploads.append(key)
        return self.inner.upload_file(path, key)

    def delete(self, key: str) -> None:
        self.inner.delete(key)
