"""A local read cache for remote objects, one file per (bucket, key, ETag).

The ETag is part of the file name, so an object rewritten upstream (new ETag) can never be served
from a stale copy. Files are filled through a temp file and renamed into place, so a crashed or
concurrent download never leaves a half-written entry behind a valid name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from pixel_platform.core.errors import TransientStorageError

TEMP_PREFIX = ".tmp-"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_DOT_BEFORE_DOT = re.compile(r"\.(?=\.)")


class ReadCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ReadCache(root={str(self.root)!r})"

    def path_for(self, bucket: str, key: str, etag: str) -> Path:
        # Keys are hashed so that "a" and "a/b" cannot collide as file vs directory, and so any
        # key length fits in a file name. All cached versions of one key share a directory.
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.root / _safe(bucket) / digest[:2] / digest / _safe(etag)

    def lookup(self, bucket: str, key: str, etag: str) -> Path | None:
        path = self.path_for(bucket, key, etag)
        return path if path.is_file() else None

    def store(
        self,
        bucket: str,
        key: str,
        etag: str,
        chunks: Iterable[bytes],
        *,
        expected_size: int | None = None,
    ) -> Path:
        """Write ``chunks`` as the cached copy of (bucket, key, etag) and drop older versions."""
        target = self.path_for(bucket, key, etag)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                size = fh.tell()
            if expected_size is not None and size != expected_size:
                raise TransientStorageError(
                    f"download of {key!r} from bucket {bucket!r} was cut short "
                    f"({size} of {expected_size} bytes)"
                )
            os.replace(tmp_name, target)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        self._evict_other_versions(target)
        return target

    def _evict_other_versions(self, keep: Path) -> None:
        # Other processes' temp files are left alone; readers holding an old version open keep
        # reading it (POSIX unlink semantics).
        for path in keep.parent.iterdir():
            if path != keep and not path.name.startswith(TEMP_PREFIX):
                with suppress(FileNotFoundError):
                    path.unlink()


def _safe(name: str) -> str:
    """``name`` as one file name: no separator, and never ``.`` or ``..`` (a bucket named
    ``..`` would put its cache beside the cache root)."""
    safe = _DOT_BEFORE_DOT.sub("_", _UNSAFE.sub("_", name))
    return "_" if safe in ("", ".") else safe
