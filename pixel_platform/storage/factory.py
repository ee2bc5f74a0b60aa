"""The one place an ``ObjectStore`` is built from ``StorageSettings``.

Dependencies run one way: ``settings`` knows no backend, each backend (``local``, ``s3``, ``gcs``)
reads ``settings``, and this module picks the backend. Every caller that needs a store for some
settings - the CLI, the Dagster ``StorageResource``, ``storage.locations`` - goes through
``open_store``, so a backend's options (retries, timeouts, cache, part sizes) apply the same way
everywhere.
"""

from __future__ import annotations

from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.settings import StorageSettings


def open_store(settings: StorageSettings | None = None) -> ObjectStore:
    """Build the configured backend (the environment's settings by default). Imports boto3 only
    for ``s3`` and google-cloud-storage only for ``gcs``."""
    settings = settings or StorageSettings.from_env()
    if settings.backend == "gcs":
        from pixel_platform.storage.gcs import GCSObjectStore

        return GCSObjectStore.from_settings(settings)
    if settings.backend == "s3":
        from pixel_platform.storage.s3 import S3ObjectStore

        return S3ObjectStore.from_settings(settings)
    from pixel_platform.storage.local import LocalObjectStore

    return LocalObjectStore(settings.local_path)
