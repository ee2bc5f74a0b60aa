"""Object storage: one interface (``ObjectStore``), two backends (local directory, S3)."""

from pixel_platform.storage.base import ObjectInfo, ObjectStore
from pixel_platform.storage.keys import join_key, validate_key
from pixel_platform.storage.settings import StorageSettings, open_store

__all__ = [
    "ObjectInfo",
    "ObjectStore",
    "StorageSettings",
    "join_key",
    "open_store",
    "validate_key",
]
