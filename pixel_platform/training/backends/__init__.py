"""Training backends behind one interface (``TrainingBackend``): ``local`` (embedded default,
a subprocess) and ``ovh`` (OVH AI Training REST). ``open_backend`` builds one from settings."""

from __future__ import annotations

import os
from pathlib import Path

from pixel_platform.core.errors import ConfigError
from pixel_platform.storage.base import ObjectStore
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
    """``local``: data store and checkpoints are local directories (defaults
    ``$DATASET_STORAGE_LOCAL_PATH`` or ``data/bucket``, and ``data/checkpoints``).
    ``ovh``: token from ``OVH_AI_TOKEN``, region from ``OVH_AI_REGION`` (default gra);
    ``checkpoint_store`` is where finished runs are verified."""
    if name == "local":
        return LocalBackend(
            store_root or os.environ.get("DATASET_STORAGE_LOCAL_PATH", "data/bucket"),
            checkpoint_root or os.environ.get("PIXEL_CHECKPOINT_ROOT", "data/checkpoints"),
            state_dir,
        )
    if name == "ovh":
        return OVHBackend(OVHClient.from_env(region, base_url), checkpoint_store)
    raise ConfigError(f"unknown training backend {name!r}; choose one of {', '.join(BACKENDS)}")
