"""The local backend: objects are files under a root directory.

It is the default store, not a test toy, so it keeps the same guarantees as S3: keys cannot leave
the root, listing is in key order, and a writer's output appears atomically (temp file in the same
directory, fsync, ``os.replace``) or not at all.

Symbolic links are not followed on read: S3 has none, and a link may lead anywhere (outside the
bucket, to a directory, nowhere). ``list`` and ``head`` show a link as the object it is (its own
size and times, so snapshots and change detection see it); ``open_read`` refuses a key that is or
passes through a link with ``InvalidKeyError``, which ingestion quarantines as ``unreadable_key``
while the objects beside it are read.
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import shutil
import stat as stat_mode
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pixel_platform.core.errors import InvalidKeyError, ObjectNotFoundError, StorageError
from pixel_platform.storage.base import ObjectInfo, ObjectStore
from pixel_platform.storage.keys import validate_key

TEMP_PREFIX = ".tmp-"  # writers' in-progress files; never listed, never valid object names
_FILE_MODE = 0o644  # mkstemp creates 0600; published objects are readable like any output file


class LocalObjectStore(ObjectStore):
    backend = "local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()

    def __repr__(self) -> str:
        return f"LocalObjectStore(root={str(self.root)!r})"

    # -- paths ----------------------------------------------------------------------------------
    def _lexical(self, key: str) -> Path:
        """The path of a valid key, nothing resolved."""
        validate_key(key)
        if any(segment.startswith(TEMP_PREFIX) for segment in key.split("/")):
            raise InvalidKeyError(f"object key {key!r} uses the reserved prefix {TEMP_PREFIX!r}")
        return self.root / key

    def _path(self, key: str) -> Path:
        path = self._lexical(key).resolve()
        # validate_key already rejects '..'; resolving also catches symlinks pointing outside.
        if not path.is_relative_to(self.root):
            raise InvalidKeyError(f"object key {key!r} resolves outside the store root")
        return path

    def _unlinked(self, key: str, *, parents_only: bool = False) -> Path:
        """The path of ``key`` when no segment of it (or of its parents) is a symbolic link."""
        path = self._lexical(key)
        if _has_link(self.root, key.rpartition("/")[0] if parents_only else key):
            raise InvalidKeyError(
                f"object key {key!r} is or passes through a symbolic link; the local store does"
                " not follow links"
            )
        return path

    def uri(self, key: str = "") -> str:
        """The filesystem path of a key or of a prefix (keys and prefixes alike may be shown)."""
        if not key:
            return str(self.root)
        validate_key(key, allow_prefix=True)
        return str(self.root / key)

    # -- reads ----------------------------------------------------------------------------------
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        validate_key(prefix, allow_prefix=True)
        yield from self._walk(self.root, "", prefix)

    def _walk(self, directory: Path, dir_key: str, prefix: str) -> Iterator[ObjectInfo]:
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return
        # Sorting directories as "name/" makes a depth-first walk yield exact key order: every
        # key below directory "a" starts with "a/", so it sorts where "a/" sorts among siblings.
        decorated = []
        for entry in entries:
            if entry.name.startswith(TEMP_PREFIX):
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            decorated.append((dir_key + entry.name + ("/" if is_dir else ""), is_dir, entry))
        for key, is_dir, entry in sorted(decorated, key=lambda item: item[0]):
            if is_dir:
                if key.startswith(prefix) or prefix.startswith(key):
                    yield from self._walk(Path(entry.path), key, prefix)
            elif key.startswith(prefix) and entry.is_symlink():
                yield _info(key, entry.stat(follow_symlinks=False))  # listed, never followed
            elif key.startswith(prefix) and entry.is_file():
                yield _info(key, entry.stat())

    def head(self, key: str) -> ObjectInfo | None:
        """As ``list`` shows it: a symbolic link is described, not followed."""
        lexical = self._unlinked(key, parents_only=True)
        try:
            stat = lexical.lstat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat_mode.S_ISLNK(stat.st_mode) or stat_mode.S_ISREG(stat.st_mode):
            return _info(key, stat)
        return None

    @contextmanager
    def open_read(self, key: str) -> Iterator[BinaryIO]:
        path = self._unlinked(key)
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the context manager below
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFoundError(f"object {key!r} not found in {self.root}") from None
        with fh:
            yield fh

    # -- writes ---------------------------------------------------------------------------------
    @contextmanager
    def open_write(self, key: str) -> Iterator[BinaryIO]:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise StorageError(
                f"cannot write {key!r}: a parent of it is already an object in {self.root}"
            ) from None
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())  # the bytes are on disk before the name points at them
            os.chmod(tmp_name, _FILE_MODE)
            if _same_content(tmp_name, path):
                # As on S3, where the ETag is the MD5 of the bytes: rewriting identical bytes
                # leaves the object (and its ETag) as it was, so change detection and snapshots
                # see no change where there is none.
                os.unlink(tmp_name)
                return
            try:
                os.replace(tmp_name, path)
            except IsADirectoryError:
                raise StorageError(
                    f"cannot write {key!r}: other objects are stored below it in {self.root}"
                ) from None
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp_name)
            self._prune_empty_parents(path.parent)
            raise

    def upload_file(self, path: Path, key: str) -> ObjectInfo:
        with open(path, "rb") as src, self.open_write(key) as dst:
            shutil.copyfileobj(src, dst, length=1024 * 1024)
        info = self.head(key)
        assert info is not None  # we just replaced it into place
        return info

    def copy(self, src_key: str, dst_key: str) -> ObjectInfo:
        """A file copy (``copy_file_range`` where the kernel has it) into a temp file beside the
        target, then ``os.replace``: the copy appears atomically or not at all."""
        src = self._unlinked(src_key)
        if not src.is_file():
            raise ObjectNotFoundError(f"object {src_key!r} not found in {self.root}")
        with open(src, "rb") as fh, self.open_write(dst_key) as dst:
            shutil.copyfileobj(fh, dst, length=1024 * 1024)
        info = self.head(dst_key)
        assert info is not None  # we just replaced it into place
        return info

    def delete(self, key: str) -> None:
        path = self._unlinked(key, parents_only=True)  # a link is deleted, never its target
        with suppress(FileNotFoundError):
            path.unlink()
        self._prune_empty_parents(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``, and the in-progress files (``.tmp-*``) that
        writers killed mid-write left there: nothing of a removed folder survives unseen."""
        deleted = super().delete_prefix(prefix)
        validate_key(prefix, allow_prefix=True)
        base = self.root / prefix if prefix.endswith("/") else (self.root / prefix).parent
        if not base.is_dir() or _has_link(self.root, prefix.rstrip("/")):
            return deleted
        for directory, _, files in os.walk(base, followlinks=False):
            for name in files:
                path = Path(directory) / name
                key = path.relative_to(self.root).as_posix()
                leftover = name.startswith(TEMP_PREFIX) and not path.is_symlink()
                if leftover and key.startswith(prefix):
                    with suppress(FileNotFoundError):
                        path.unlink()
        for directory, _, _ in sorted(os.walk(base), key=lambda d: -len(d[0])):
            self._prune_empty_parents(Path(directory))
        return deleted

    def _prune_empty_parents(self, directory: Path) -> None:
        # S3 has no directories; removing emptied ones keeps both backends looking the same.
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:  # not empty, already gone, or raced with a writer: stop quietly
                return
            directory = directory.parent


def _has_link(root: Path, key: str) -> bool:
    """Whether a segment of ``key`` below ``root`` is a symbolic link."""
    path = root
    for segment in key.split("/") if key else ():
        path = path / segment
        if path.is_symlink():
            return True
    return False


def _same_content(new: str, existing: Path) -> bool:
    try:
        if not existing.is_file() or os.path.getsize(new) != existing.stat().st_size:
            return False
    except OSError:
        return False
    return filecmp.cmp(new, existing, shallow=False)


def local_etag(stat: os.stat_result) -> str:
    """A cheap change marker. The inode is included because every write replaces the file, so a
    rewrite of the same size inside one coarse mtime tick still gets a new ETag."""
    raw = f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}".encode()
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def _info(key: str, stat: os.stat_result) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=stat.st_size,
        etag=local_etag(stat),
        last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
    )
