"""Where training runs: ``local`` (a subprocess; the embedded default) or ``ovh`` (AI Training)."""

import os
from pathlib import Path
from typing import Any

import dagster as dg

from pixel_platform.training.backends import open_backend
from pixel_platform.training.backends.base import TrainingBackend
from pixel_platform.training.release_job import JobSettings

LOCAL_TINY_CONFIG = str(Path(__file__).resolve().parents[2] / "training" / "local_tiny.yaml")


class TrainingBackendResource(dg.ConfigurableResource):
    backend: str = "local"
    config_path: str | None = LOCAL_TINY_CONFIG  # a TrainConfig YAML (None: bundled defaults)
    # local backend: None = beside the local bucket (training.paths.local_training_dirs), where
    # `pixel-platform train status` and `run` look too
    checkpoint_root: str | None = None
    state_dir: str | None = None
    region: str | None = None  # ovh: OVH_AI_REGION (default gra); token from OVH_AI_TOKEN
    data_bucket: str = "local"  # ovh: the bucket the release volume mounts
    checkpoint_bucket: str = "pixelated-checkpoints"
    image: str | None = None
    flavor: str = "h100-1-gpu"
    gpus: int = 1
    poll_interval_s: float = 5.0

    def open(self, store_root: str, checkpoint_store: Any = None) -> TrainingBackend:
        return open_backend(
            self.backend,
            store_root=store_root,
            checkpoint_root=self.checkpoint_root,
            checkpoint_store=checkpoint_store,
            state_dir=self.state_dir,
            region=self.region,
        )

    def job_settings(self) -> JobSettings:
        return JobSettings(
            backend=self.backend,
            config_path=self.config_path,
            data_bucket=self.data_bucket,
            checkpoint_bucket=self.checkpoint_bucket,
            flavor=self.flavor,
            gpus=self.gpus,
            image=self.image,
            poll_interval_s=self.poll_interval_s,
        )


def training_resource_from_env(
    checkpoint_root: str | None = None, state_dir: str | None = None
) -> TrainingBackendResource:
    backend = os.environ.get("PIXEL_TRAINING_BACKEND", "local")
    return TrainingBackendResource(
        backend=backend,
        config_path=os.environ.get("PIXEL_TRAINING_CONFIG")
        or (LOCAL_TINY_CONFIG if backend == "local" else None),
        checkpoint_root=checkpoint_root,
        state_dir=state_dir,
        region=os.environ.get("OVH_AI_REGION"),
        data_bucket=os.environ.get("OVH_S3_BUCKET", "local"),
        checkpoint_bucket=os.environ.get("PIXEL_CHECKPOINT_BUCKET", "pixelated-checkpoints"),
        image=os.environ.get("PIXEL_TRAINER_IMAGE"),
    )
