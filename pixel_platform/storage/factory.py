"""The one place an ``ObjectStore`` is built from ``StorageSettings``.

Dependencies run one way: ``settings`` knows no backend, each backend (``local``, ``s3``, ``gcs``)
reads ``settings``, and this module picks the backend. Every caller that needs a store for some
settings - the CLI, the Dagster ``StorageResource``, ``storage.locations`` - goes through
``open_store``, so a backend's options (retries, timeouts, cache, part sizes) apply the same way
everywhere.
"""

from __future__ import annotations

import weakref

from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.settings import StorageSettings

# The settings each remote store was opened with, so another process can open it again (its
# client does not pickle): ``settings_of``.
_OPENED: weakref.WeakKeyDictionary[ObjectStore, StorageSettings] = weakref.WeakKeyDictionary()


def open_store(settings: StorageSettings | None = None) -> ObjectStore:
    """Build the configured backend (the environment's settings by default). Imports boto3 only
    for ``s3`` and google-cloud-storage only for ``gcs``."""
    settings = settings or StorageSettings.from_env()
    store: ObjectStore
    if settings.backend == "gcs":
        from pixel_platform.storage.gcs import GCSObjectStore

        store = GCSObjectStore.from_settings(settings)
    elif settings.backend == "s3":
        from pixel_platform.storage.s3 import S3ObjectStore

        store = S3ObjectStore.from_settings(settings)
    else:
        from pixel_platform.storage.local import LocalObjectStore

        return LocalObjectStore(settings.local_path)
    _OPENED[store] = settings
    return store


def settings_of(store: ObjectStore) -> StorageSettings | None:
    """The settings ``open_store`` built ``store`` from (a remote one), else None."""
    return _OPENED.get(store)
