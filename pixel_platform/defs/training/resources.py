"""Where training runs (``TrainingBackendResource``: ``local``, the embedded default, or ``ovh``)
and how each run launches (``TrainingLaunchConfig``: the ``trained_model`` launchpad fields).

The checks and defaults are ``training.launch_settings``' (plain Python); these classes only map
fields. An unset launch field takes the backend's default: locally one CPU process exactly as
``make run`` trains; on OVH 4×H100 with ZeRO-3 bf16.
"""

import os
from enum import Enum
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from pixel_platform.training.backends import open_backend
from pixel_platform.training.backends.base import TrainingBackend
from pixel_platform.training.launch_settings import LaunchSettings
from pixel_platform.training.release_job import JobSettings

LOCAL_TINY_CONFIG = str(Path(__file__).resolve().parents[2] / "training" / "local_tiny.yaml")


class Backend(Enum):
    local = "local"
    ovh = "ovh"


class Offload(Enum):
    none = "none"
    optimizer = "optimizer"
    optimizer_and_params = "optimizer_and_params"


class Precision(Enum):
    bf16 = "bf16"
    fp32 = "fp32"


class TrainingLaunchConfig(dg.Config):
    """Launch settings of one ``trained_model`` run (the launchpad). Unset: the default."""

    backend: Backend | None = Field(
        default=None,
        description="local (a subprocess on this machine) or ovh (OVH AI Training). Unset: the"
        " training resource's (PIXEL_TRAINING_BACKEND, default local).",
    )
    gpus: int | None = Field(
        default=None,
        description="GPUs of the job, 1-4 on OVH AI Training (one machine; more only through the"
        " Kubernetes PyTorchJob path). Unset: 4 on ovh, 1 process locally.",
    )
    zero_stage: int | None = Field(
        default=None,
        description="DeepSpeed ZeRO stage 0-3 (0: no DeepSpeed). Unset: 3 on ovh (zero3_bf16),"
        " none locally (or the training config's runtime.deepspeed).",
    )
    offload: Offload = Field(
        default=Offload.none,
        description="CPU offload: optimizer (ZeRO 2 or 3) or optimizer_and_params (ZeRO 3).",
    )
    precision: Precision | None = Field(
        default=None,
        description="bf16 or fp32. Unset: the training config's runtime.precision (bf16 by"
        " default, fp32 in the local CPU config). bf16 is refused where the GPU or CPU lacks it.",
    )
    image: str | None = Field(
        default=None,
        description="Trainer image OVH runs. Unset: PIXEL_TRAINER_IMAGE, else"
        " pixel-platform-trainer:latest.",
    )
    flavor: str | None = Field(
        default=None, description="OVH AI Training per-GPU flavor. Unset: h100-1-gpu."
    )
    timeout_hours: float | None = Field(
        default=None, description="The job is stopped after this long. Unset: 24."
    )
    max_gpu_hours: float | None = Field(
        default=None,
        description="Budget: refuse a job whose GPUs × timeout_hours exceeds it. Unset: none.",
    )
    config_path: str | None = Field(
        default=None,
        description="A training config YAML. Unset: the resource's (local: local_tiny.yaml;"
        " a remote backend chosen here uses the bundled defaults instead of the tiny CPU one).",
    )


class TrainingBackendResource(dg.ConfigurableResource):
    backend: str = Field(default="local", description="local or ovh: where jobs run by default")
    config_path: str | None = Field(
        default=LOCAL_TINY_CONFIG,
        description="A TrainConfig YAML (None: the bundled defaults)",
    )
    # local backend: None = beside the local bucket (training.paths.local_training_dirs), where
    # `pixel-platform train status` and `run` look too
    checkpoint_root: str | None = None
    state_dir: str | None = None
    region: str | None = None  # ovh: OVH_AI_REGION (default gra); token from OVH_AI_TOKEN
    base_url: str | None = None  # ovh: the API's address (None: the region's)
    data_bucket: str = "local"  # ovh: the bucket the release volume mounts
    checkpoint_bucket: str = "pixelated-checkpoints"
    image: str | None = None
    poll_interval_s: float = 5.0

    def open(
        self, store_root: str, checkpoint_store: Any = None, backend: str | None = None
    ) -> TrainingBackend:
        return open_backend(
            backend or self.backend,
            store_root=store_root,
            checkpoint_root=self.checkpoint_root,
            checkpoint_store=checkpoint_store,
            state_dir=self.state_dir,
            region=self.region,
            base_url=self.base_url,
        )

    def job_settings(self, launch: TrainingLaunchConfig | None = None) -> JobSettings:
        """The resource's settings with the run's launch settings on top."""
        launch = launch or TrainingLaunchConfig()
        backend = launch.backend.value if launch.backend else self.backend
        config_path = launch.config_path or self.config_path
        if backend != "local" and config_path == LOCAL_TINY_CONFIG and not launch.config_path:
            config_path = None  # the tiny CPU config is the local backend's, not a GPU job's
        return JobSettings(
            config_path=config_path,
            data_bucket=self.data_bucket,
            checkpoint_bucket=self.checkpoint_bucket,
            poll_interval_s=self.poll_interval_s,
            launch=LaunchSettings(
                backend=backend,
                gpus=launch.gpus,
                zero_stage=launch.zero_stage,
                offload=launch.offload.value,
                precision=launch.precision.value if launch.precision else None,
                image=launch.image or self.image,
                flavor=launch.flavor,
                timeout_hours=launch.timeout_hours,
                max_gpu_hours=launch.max_gpu_hours,
            ),
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
