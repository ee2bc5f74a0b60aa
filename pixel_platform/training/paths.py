"""Where local training keeps its jobs and checkpoints: one answer for the CLI, Dagster and ``run``.

Beside the local bucket — ``<bucket>/../training_state`` and ``<bucket>/../checkpoints``, so
``data/bucket`` (the default) gives ``data/training_state`` and ``data/checkpoints`` — unless
``PIXEL_TRAINING_STATE_DIR`` / ``PIXEL_CHECKPOINT_ROOT`` say otherwise. With S3 storage the
defaults are the same two folders under ``data/`` in the working directory. So a job that
``pixel-platform run`` trained is found by ``pixel-platform train status <job>``, and the UI's
``trained_model`` writes where both look.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pixel_platform.pipeline.layout import PIPELINE_ROOT
from pixel_platform.storage.keys import join_key
from pixel_platform.storage.locations import is_remote
from pixel_platform.storage.settings import StorageSettings

STATE_DIR_ENV = "PIXEL_TRAINING_STATE_DIR"
CHECKPOINT_ROOT_ENV = "PIXEL_CHECKPOINT_ROOT"
EVALUATION_DIR = "evaluation"  # a local run's evaluation reports, beside its final_model/


@dataclass(frozen=True)
class LocalTrainingDirs:
    state_dir: Path  # one folder per job: spec, command, output.log, exit.json
    checkpoint_root: Path  # checkpoints of local jobs


def local_training_dirs(
    settings: StorageSettings | None = None, *, bucket_root: str | Path | None = None
) -> LocalTrainingDirs:
    """The directories for the local bucket at ``bucket_root`` (else the storage settings')."""
    if bucket_root is not None and not is_remote(str(bucket_root)):
        base = Path(bucket_root).resolve().parent
    else:
        settings = settings or StorageSettings.from_env()
        local = settings.backend == "local" and bucket_root is None
        base = settings.local_path.resolve().parent if local else Path("data")
    return LocalTrainingDirs(
        state_dir=Path(os.environ.get(STATE_DIR_ENV) or base / "training_state"),
        checkpoint_root=Path(os.environ.get(CHECKPOINT_ROOT_ENV) or base / "checkpoints"),
    )


def evaluation_report_key(version: str, filename: str) -> str:
    """The bucket key of an evaluation report of a model trained on release ``version``:
    ``pipeline/reports/evaluation/<version>/<filename>``."""
    return join_key(PIPELINE_ROOT, "reports", "evaluation", version, filename)
