"""Training backends behind one interface (``TrainingBackend``): ``local`` (embedded default,
a subprocess) and ``ovh`` (OVH AI Training REST). ``open_backend`` builds one from settings."""

from __future__ import annotations

from pathlib import Path

from pixel_platform.core.errors import ConfigError
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.settings import StorageSettings
from pixel_platform.training.backends.base import (
    TERMINAL_STATES,
    JobNotFoundError,
    JobOutcome,
    JobState,
    TrainingBackend,
    TrainingCancelled,
    TrainingJobFailed,
)
from pixel_platform.training.backends.local import LocalBackend
from pixel_platform.training.backends.ovh import OVHBackend, OVHClient
from pixel_platform.training.paths import local_training_dirs

BACKENDS = ("local", "ovh")

__all__ = [
    "BACKENDS",
    "TERMINAL_STATES",
    "JobNotFoundError",
    "JobOutcome",
    "JobState",
    "LocalBackend",
    "OVHBackend",
    "OVHClient",
    "TrainingBackend",
    "TrainingCancelled",
    "TrainingJobFailed",
    "open_backend",
]


def open_backend(
    name: str,
    *,
    store_root: str | Path | None = None,
    checkpoint_root: str | Path | None = None,
    checkpoint_store: ObjectStore | None = None,
    state_dir: str | Path | None = None,
    region: str | None = None,
    base_url: str | None = None,
) -> TrainingBackend:
    """``local``: data store and checkpoints are local directories (defaults: the storage
    settings' local path, and ``training.paths.local_training_dirs``).
    ``ovh``: token from ``OVH_AI_TOKEN``, region from ``OVH_AI_REGION`` (default gra);
    ``checkpoint_store`` is where finished runs are verified."""
    if name == "local":
        root = store_root or StorageSettings.from_env().local_path
        dirs = local_training_dirs(bucket_root=root)
        return LocalBackend(
            root,
            checkpoint_root or dirs.checkpoint_root,
            state_dir or dirs.state_dir,
        )
    if name == "ovh":
        return OVHBackend(OVHClient.from_env(region, base_url), checkpoint_store)
    raise ConfigError(f"unknown training backend {name!r}; choose one of {', '.join(BACKENDS)}")
