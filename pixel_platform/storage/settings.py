"""Storage settings from the environment, using the variables of the system we replace.

``DATASET_STORAGE_BACKEND`` = ``local`` (default) | ``s3`` | ``gcs``.
local: ``DATASET_STORAGE_LOCAL_PATH`` (default ``./data/bucket``).
s3: ``OVH_S3_BUCKET``, ``OVH_S3_REGION``, ``OVH_S3_ENDPOINT``, ``OVH_S3_ACCESS_KEY``,
``OVH_S3_SECRET_KEY``, each falling back to its ``AWS_*`` counterpart (``AWS_S3_BUCKET``,
``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``). Secrets are excluded from ``repr`` so they cannot leak into logs.
gcs: ``GCS_BUCKET``, ``GOOGLE_CLOUD_PROJECT`` (optional), ``STORAGE_EMULATOR_HOST`` (an emulator,
reached anonymously); credentials are Application Default Credentials, which google-auth itself
reads (``GOOGLE_APPLICATION_CREDENTIALS``), so they never pass through these settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pixel_platform.core.errors import ConfigError

DEFAULT_LOCAL_PATH = "data/bucket"
DEFAULT_CACHE_DIR = "data/cache"
BACKENDS = ("local", "s3", "gcs")


# The credentials' variables, first set wins: the only place their names are declared. Their
# values must never be logged or passed as plain config (Dagster gets them as ``dg.EnvVar``).
SECRET_ENV_NAMES: dict[str, tuple[str, ...]] = {
    "access_key": ("OVH_S3_ACCESS_KEY", "OVH_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
    "secret_key": ("OVH_S3_SECRET_KEY", "OVH_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"),
}
# Every secret variable by name, for code that scrubs or checks the environment.
SECRET_ENV_VARS: tuple[str, ...] = tuple(n for names in SECRET_ENV_NAMES.values() for n in names)
# The variables each S3 setting is read from, first set wins.
ENV_NAMES: dict[str, tuple[str, ...]] = {
    "bucket": ("OVH_S3_BUCKET", "AWS_S3_BUCKET"),
    "region": ("OVH_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    "endpoint_url": ("OVH_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
    **SECRET_ENV_NAMES,
}
# The same for the gcs backend; its bucket replaces the S3 one when the backend is gcs.
GCS_ENV_NAMES: dict[str, tuple[str, ...]] = {
    "bucket": ("GCS_BUCKET",),
    "gcs_project": ("GOOGLE_CLOUD_PROJECT",),
    "gcs_emulator_host": ("STORAGE_EMULATOR_HOST",),
}
# What to set for the bucket of each bucket backend, for messages.
BUCKET_VARIABLES = {"s3": "OVH_S3_BUCKET (or AWS_S3_BUCKET)", "gcs": "GCS_BUCKET"}


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = env.get(name)
        if value:
            return value
    return None


def env_source(setting: str, env: Mapping[str, str] | None = None) -> str | None:
    """The name of the variable ``from_env`` reads ``setting`` from (never its value), or
    ``None`` when none of ``ENV_NAMES[setting]`` is set."""
    env = os.environ if env is None else env
    return next((name for name in ENV_NAMES[setting] if env.get(name)), None)


@dataclass(frozen=True)
class StorageSettings:
    backend: str = "local"
    local_path: Path = Path(DEFAULT_LOCAL_PATH)
    bucket: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    verify_tls: bool | str = True  # True, or a CA bundle path; never False by default
    max_attempts: int = 5
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    multipart_threshold_bytes: int = 64 * 1024 * 1024
    multipart_chunk_bytes: int = 16 * 1024 * 1024
    cache_dir: Path | None = Path(DEFAULT_CACHE_DIR)
    gcs_project: str | None = None
    gcs_emulator_host: str | None = None
    retry_deadline_s: float = 120.0  # gcs: the client's Retry gives up after this long

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(
                f"DATASET_STORAGE_BACKEND={self.backend!r} is not one of {', '.join(BACKENDS)}"
            )
        if self.backend in BUCKET_VARIABLES and not self.bucket:
            raise ConfigError(
                f"DATASET_STORAGE_BACKEND={self.backend} needs a bucket:"
                f" set {BUCKET_VARIABLES[self.backend]}"
            )
        if self.max_attempts < 1:
            raise ConfigError("max_attempts must be at least 1")

    def required_bucket(self, backend: str) -> str:
        """The bucket a ``backend`` store ("s3", "gcs") opens; these settings must name one."""
        if not self.bucket:
            raise ConfigError(
                f"the {backend} backend needs a bucket: set {BUCKET_VARIABLES[backend]}"
            )
        return self.bucket

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> StorageSettings:
        env = os.environ if env is None else env
        ca_bundle = _first(env, "OVH_S3_CA_BUNDLE")
        backend = (
            str(overrides.get("backend") or env.get("DATASET_STORAGE_BACKEND") or "local")
            .strip()
            .lower()
        )
        values: dict[str, object] = {
            "backend": backend,
            "local_path": Path(
                _first(env, "DATASET_STORAGE_LOCAL_PATH", "DATASET_PIPELINE_OUTPUT_DIR")
                or DEFAULT_LOCAL_PATH
            ),
            **{setting: _first(env, *names) for setting, names in ENV_NAMES.items()},
            "verify_tls": ca_bundle or True,
        }
        if backend == "gcs":
            values.update(
                {setting: _first(env, *names) for setting, names in GCS_ENV_NAMES.items()}
            )
        if env.get("PIXEL_CACHE_DIR"):
            values["cache_dir"] = Path(env["PIXEL_CACHE_DIR"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

