"""Typed resources. Secrets arrive only through ``dg.EnvVar``; non-secret settings from the env.

``StorageResource`` is the one object store every asset uses. Its S3 settings come from
dagster-aws's ``S3Resource`` (subclassed as ``PixelS3Resource``, whose ``get_client`` builds the
client through the core's ``build_s3_client``), and the store itself from the core's one factory,
``storage.factory.open_store``, so timeouts, botocore's bounded retries and the resumed body
reads apply the same way in the UI, the CLI and the tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from pixel_platform.core.errors import ConfigError
from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.review.resources import review_tool_from_env
from pixel_platform.defs.training.resources import training_resource_from_env
from pixel_platform.registry.model import Registry, load_registry
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.settings import SECRET_ENV_NAMES, StorageSettings


class PixelS3Resource(S3Resource):
    """dagster-aws's S3 resource with explicit timeouts; ``get_client`` uses the core factory."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0

    def storage_settings(self, bucket: str, cache_dir: str | None) -> StorageSettings:
        return StorageSettings(
            backend="s3",
            bucket=bucket,
            region=self.region_name,
            endpoint_url=self.endpoint_url,
            access_key=self.aws_access_key_id,
            secret_key=self.aws_secret_access_key,
            verify_tls=self.verify if self.verify is not None else True,
            max_attempts=self.max_attempts,
            connect_timeout_s=self.connect_timeout_s,
            read_timeout_s=self.read_timeout_s,
            cache_dir=Path(cache_dir) if cache_dir else None,
        )

    def get_client(self) -> Any:
        from pixel_platform.storage.s3 import build_s3_client

        return build_s3_client(self.storage_settings(bucket="-", cache_dir=None))


class StorageResource(dg.ConfigurableResource):
    """The bucket: a local directory (the default) or an S3-compatible bucket."""

    backend: str = "local"
    local_path: str = "data/bucket"
    bucket: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    max_attempts: int = 5
    cache_dir: str | None = "data/cache"
    gcs_project: str | None = None  # gcs: GOOGLE_CLOUD_PROJECT (credentials: ADC, never here)
    gcs_emulator_host: str | None = None  # gcs: STORAGE_EMULATOR_HOST

    _store: ObjectStore | None = PrivateAttr(default=None)

    def s3_resource(self) -> PixelS3Resource:
        return PixelS3Resource(
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            max_attempts=self.max_attempts,
        )

    def settings(self) -> StorageSettings:
        if self.backend == "s3":
            return self.s3_resource().storage_settings(self.bucket or "", self.cache_dir)
        if self.backend == "gcs":
            return StorageSettings(**_gcs_fields(self))
        if self.backend != "local":
            raise ConfigError(f"unknown storage backend {self.backend!r}: local, s3 or gcs")
        return StorageSettings(backend=self.backend, local_path=Path(self.local_path))

    def store(self) -> ObjectStore:
        if self._store is None:
            self._store = open_store(self.settings())
        return self._store


class RegistryResource(dg.ConfigurableResource):
    """The dataset registry (``PIXEL_REGISTRY`` or the bundled ``registry.yaml``)."""

    path: str | None = None

    _registry: Registry | None = PrivateAttr(default=None)

    def load(self) -> Registry:
        if self._registry is None:
            self._registry = load_registry(self.path)
        return self._registry


class RcloneSyncResource(dg.ConfigurableResource):
    """Where ``gdrive_sync_job`` copies from: an rclone remote path such as ``gdrive:datasets``."""

    source: str = ""
    dest_prefix: str = "gdrive/raw/"
    transfers: int = 2


def _secret(*names: str) -> Any:
    """An ``EnvVar`` for the first of ``names`` that is set (so secrets stay out of config)."""
    for name in names:
        if os.environ.get(name):
            return dg.EnvVar(name)
    return None


def _gcs_fields(source: StorageResource | StorageSettings) -> dict[str, Any]:
    """The fields a GCS store is opened with, the same in a resource and in settings (no cache:
    the GCS store reads through)."""
    return {
        "backend": "gcs",
        "bucket": source.bucket,
        "gcs_project": source.gcs_project,
        "gcs_emulator_host": source.gcs_emulator_host,
        "cache_dir": None,
    }


def storage_resource_from_settings(settings: StorageSettings) -> StorageResource:
    if settings.backend == "local":
        return StorageResource(backend="local", local_path=str(settings.local_path))
    if settings.backend == "gcs":
        return StorageResource(**_gcs_fields(settings))
    return StorageResource(
        backend="s3",
        bucket=settings.bucket,
        region=settings.region,
        endpoint_url=settings.endpoint_url,
        access_key_id=_secret(*SECRET_ENV_NAMES["access_key"]),
        secret_access_key=_secret(*SECRET_ENV_NAMES["secret_key"]),
        max_attempts=settings.max_attempts,
        cache_dir=str(settings.cache_dir) if settings.cache_dir else None,
    )


def get_resources(registry_path: str | None = None) -> dict[str, Any]:
    """Resources for the current environment, chosen by its storage variables."""
    return {
        "storage": storage_resource_from_settings(StorageSettings.from_env()),
        "registry": RegistryResource(path=registry_path or os.environ.get("PIXEL_REGISTRY")),
        "rclone": RcloneSyncResource(source=os.environ.get("PIXEL_RCLONE_SOURCE", "")),
        "curation": CurationConfigResource(path=os.environ.get("PIXEL_CURATION_CONFIG")),
        "training": training_resource_from_env(),
        "review_tool": review_tool_from_env(),
    }
