"""Object storage: one interface (``ObjectStore``), three backends (local directory, S3, GCS),
one factory (``open_store``) and one parser of locations (``storage.locations``)."""

from pixel_platform.storage.base import ObjectInfo, ObjectStore
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.keys import join_key, validate_key
from pixel_platform.storage.settings import StorageSettings

__all__ = [
    "ObjectInfo",
    "ObjectStore",
    "StorageSettings",
    "join_key",
    "open_store",
    "validate_key",
]
