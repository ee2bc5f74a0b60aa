"""Where data lives: a local path or a bucket URI (``s3://bucket/key``, ``gs://bucket/key``).

The one parser of location strings (``parse_location``) and the one way to open one
(``open_location``), shared by the CLI and training. A bucket URI opens the named bucket through
``open_store`` with the rest of the environment's settings for that backend (``OVH_S3_ENDPOINT``,
``OVH_S3_ACCESS_KEY`` ... or their ``AWS_*`` fallbacks for ``s3://``; ``GOOGLE_CLOUD_PROJECT``,
``STORAGE_EMULATOR_HOST`` for ``gs://``), whatever ``DATASET_STORAGE_BACKEND`` says. A local path
is read and written through a ``LocalObjectStore`` at its directory, so local outputs are atomic
like bucket ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pixel_platform.core.errors import ConfigError
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.settings import StorageSettings

LOCAL = "local"
# URI scheme -> the storage backend that serves it.
SCHEMES: dict[str, str] = {"s3://": "s3", "gs://": "gcs"}


@dataclass(frozen=True)
class Location:
    """A parsed location. For a bucket URI, ``key`` is everything after ``bucket/`` exactly as
    given (it may be empty or end in ``/``); for a local path, ``bucket`` and ``key`` are empty."""

    text: str
    backend: str = LOCAL
    bucket: str = ""
    key: str = ""

    @property
    def is_remote(self) -> bool:
        return self.backend != LOCAL

    @property
    def scheme(self) -> str:
        """``s3://`` or ``gs://``; ``""`` for a local path."""
        return next((s for s, backend in SCHEMES.items() if backend == self.backend), "")

    @property
    def path(self) -> Path:
        """The local path, ``~`` expanded."""
        return Path(self.text).expanduser()

    @property
    def prefix(self) -> str:
        """The key as a prefix: no leading or trailing ``/``, then one trailing ``/`` (``""`` for
        the whole bucket)."""
        key = self.key.strip("/")
        return f"{key}/" if key else ""

    @property
    def object_key(self) -> str | None:
        """A bucket URI's object key; ``None`` when it names a bucket or a prefix."""
        return None if not self.key or self.key.endswith("/") else self.key

    def bucket_store(self) -> ObjectStore:
        """The store of a bucket URI's bucket."""
        if not self.is_remote:
            raise ConfigError(f"{self.text!r} is a local path, not a bucket URI")
        return bucket_store(self.backend, self.bucket)


def scheme_of(location: str) -> str | None:
    """The bucket URI scheme ``location`` starts with (``s3://``, ``gs://``), else ``None``."""
    return next((s for s in SCHEMES if location.startswith(s)), None)


def is_remote(location: str) -> bool:
    """Whether ``location`` is a bucket URI rather than a local path."""
    return scheme_of(location) is not None


def parse_location(location: str) -> Location:
    """Split ``location`` into backend, bucket and key; a bucket URI must name a bucket."""
    scheme = scheme_of(location)
    if scheme is None:
        return Location(location)
    bucket, _, key = location.removeprefix(scheme).partition("/")
    if not bucket:
        raise ConfigError(f"{location!r} names no bucket; expected {scheme}bucket/key")
    return Location(location, SCHEMES[scheme], bucket, key)


class BucketStores:
    """One store per bucket, for commands that read many objects of a few buckets."""

    def __init__(self) -> None:
        self._stores: dict[tuple[str, str], ObjectStore] = {}

    def of(self, location: Location) -> ObjectStore:
        key = (location.backend, location.bucket)
        if key not in self._stores:
            self._stores[key] = location.bucket_store()
        return self._stores[key]


def bucket_store(backend: str, bucket: str) -> ObjectStore:
    """The store of ``bucket`` on ``backend`` (``s3``/``gcs``), with the rest of that backend's
    settings from the environment."""
    return open_store(StorageSettings.from_env(backend=backend, bucket=bucket))


def open_location(location: str, *, directory: bool = False) -> tuple[ObjectStore, str]:
    """``(store, key)`` of a local path or a bucket URI.

    For a file the key names the object (a bucket URI must name one); for a directory
    (``directory=True``) the key is a prefix: ``""`` or ending in ``/``, and ``""`` for a local
    directory, which must exist.
    """
    parsed = parse_location(location)
    if parsed.is_remote:
        if directory:
            return parsed.bucket_store(), parsed.prefix
        key = parsed.key.strip("/")
        if not key:
            raise ConfigError(f"{location!r} names a bucket but no object key")
        return parsed.bucket_store(), key
    path = parsed.path
    if directory:
        if not path.is_dir():
            raise ConfigError(f"{location} is not a directory")
        return LocalObjectStore(path), ""
    return LocalObjectStore(path.parent if str(path.parent) else Path(".")), path.name
