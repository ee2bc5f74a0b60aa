"""Launch settings: where a training job runs and on what (backend, GPUs, ZeRO, precision, …).

``LaunchSettings`` is what a person chooses (the Dagster launchpad, the CLI); every field may be
left unset (``None``) to take the backend's default. ``LaunchSettings.resolve`` checks the choice
against what the backend can run and returns a ``Launch`` with every value filled in, or raises
``LaunchSettingsError`` naming the field and the limit — before any spec is stored or any job
submitted. Defaults:

============  ==========================  ==================================================
setting       ``ovh`` / ``k8s``           ``local`` (the embedded default, ``make run``)
============  ==========================  ==================================================
gpus          4 (H100, one OVH job)       1 process (the CPU config stays on the CPU)
zero_stage    3 (``zero3_bf16``)          none (the training config's ``runtime.deepspeed``)
precision     the training config's       the training config's (``local_tiny.yaml``: fp32)
flavor        ``h100-1-gpu``              not used
============  ==========================  ==================================================

Limits: an OVH AI Training job has 1–4 GPUs on one machine; more GPUs only through the Kubernetes
PyTorchJob path (``k8s``: 1–4 GPUs per node, any number of nodes). ZeRO stages are 0–3 (0: no
DeepSpeed); CPU offload needs ZeRO-2 or 3, parameter offload ZeRO-3. bf16 needs a GPU that has it
(not a V100S flavor, not the local CPU config). ``max_gpu_hours`` caps GPUs × nodes × timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NoReturn

from pixel_platform.core.errors import ConfigError
from pixel_platform.training.config import PRECISIONS, TrainConfig
from pixel_platform.training.launch import (
    MAX_GPUS_PER_JOB,
    OFFLOADS,
    ZERO_STAGES,
    check_precision,
    deepspeed_config_name,
    is_known_deepspeed_config,
)
from pixel_platform.training.spec import DEFAULT_IMAGE

LAUNCH_BACKENDS = ("local", "ovh", "k8s")  # k8s: rendered as a PyTorchJob, applied by kubectl
REMOTE_BACKENDS = ("ovh", "k8s")
DEFAULT_FLAVOR = "h100-1-gpu"
DEFAULT_TIMEOUT_HOURS = 24.0
REMOTE_DEFAULT_GPUS = MAX_GPUS_PER_JOB  # 4×H100: one full OVH AI Training job
REMOTE_DEFAULT_ZERO_STAGE = 3
# OVH AI Training per-GPU flavors this platform knows -> (GPU, has bf16). Add new ones here.
OVH_FLAVORS: dict[str, tuple[str, bool]] = {
    "h100-1-gpu": ("H100", True),
    "a100-1-gpu": ("A100", True),
    "l40s-1-gpu": ("L40S", True),
    "l4-1-gpu": ("L4", True),
    "a10-1-gpu": ("A10", True),
    "ai1-1-gpu": ("V100S", False),
}


class LaunchSettingsError(ConfigError):
    """A launch setting the backend cannot run; the message names the field and the limit."""


@dataclass(frozen=True)
class Launch:
    """Resolved launch settings: every value filled in and checked."""

    backend: str
    gpus: int  # per node (processes on one machine)
    nodes: int
    zero_stage: int | None  # None: the training config's own runtime.deepspeed (or none)
    offload: str
    precision: str
    image: str
    flavor: str
    timeout_s: int
    # Overrides of the training config these settings imply (runtime.deepspeed/precision).
    hyperparameters: dict[str, Any] = field(default_factory=dict)

    @property
    def deepspeed(self) -> str | None:
        runtime = self.hyperparameters.get("runtime") or {}
        value = runtime.get("deepspeed")
        return str(value) if value else None


@dataclass(frozen=True)
class LaunchSettings:
    """What a person chose; ``None`` = the backend's default (see the module docstring)."""

    backend: str = "local"
    gpus: int | None = None
    nodes: int = 1
    zero_stage: int | None = None
    offload: str = "none"  # none | optimizer | optimizer_and_params
    precision: str | None = None  # bf16 | fp32; None: the training config's runtime.precision
    image: str | None = None
    flavor: str | None = None
    timeout_hours: float | None = None
    max_gpu_hours: float | None = None  # a budget: refuse jobs that could spend more

    def resolve(self, config: TrainConfig) -> Launch:
        """The settings checked against the backend and ``config``; ``LaunchSettingsError``."""
        if self.backend not in LAUNCH_BACKENDS:
            _refuse(f"backend: {self.backend!r} is not one of {', '.join(LAUNCH_BACKENDS)}")
        remote = self.backend in REMOTE_BACKENDS
        gpus = self.gpus if self.gpus is not None else (REMOTE_DEFAULT_GPUS if remote else 1)
        self._check_scale(gpus)
        precision = self.precision or config.runtime.precision
        if precision not in PRECISIONS:
            _refuse(f"precision: {precision!r} is not one of {', '.join(PRECISIONS)}")
        flavor = self.flavor or DEFAULT_FLAVOR
        self._check_hardware(precision, flavor, config)
        stage = self._zero_stage(remote, config)
        if self.offload not in OFFLOADS:
            _refuse(f"offload: {self.offload!r} is not one of {', '.join(OFFLOADS)}")
        if self.offload != "none" and (stage is None or stage < 2):
            _refuse(
                f"offload: {self.offload} needs zero_stage 2 or 3, got "
                f"{stage if stage is not None else 'none (the training config names its own)'}"
            )
        if self.offload == "optimizer_and_params" and stage != 3:
            _refuse(f"offload: optimizer_and_params needs zero_stage 3, got {stage}")
        if self.offload != "none" and config.runtime.use_cpu:
            _refuse(
                f"offload: {self.offload} moves state from GPUs to the CPU, but the training "
                "config already trains on the CPU (runtime.use_cpu: true); choose offload none"
            )
        hours = self.timeout_hours if self.timeout_hours is not None else DEFAULT_TIMEOUT_HOURS
        if hours <= 0:
            _refuse(f"timeout_hours: must be positive, got {hours}")
        spend = gpus * self.nodes * hours
        if self.max_gpu_hours is not None and spend > self.max_gpu_hours:
            _refuse(
                f"max_gpu_hours: {gpus} GPUs × {self.nodes} node(s) × {hours:g} h = {spend:g} "
                f"GPU-hours exceeds the budget of {self.max_gpu_hours:g}; lower timeout_hours "
                "or gpus"
            )
        return Launch(
            backend=self.backend,
            gpus=gpus,
            nodes=self.nodes,
            zero_stage=stage,
            offload=self.offload,
            precision=precision,
            image=self.image or DEFAULT_IMAGE,
            flavor=flavor,
            timeout_s=int(hours * 3600),
            hyperparameters=self._overrides(stage, precision, config),
        )

    def _check_scale(self, gpus: int) -> None:
        if self.nodes < 1:
            _refuse(f"nodes: must be at least 1, got {self.nodes}")
        if self.nodes > 1 and self.backend != "k8s":
            _refuse(
                f"nodes: {self.nodes} nodes need backend k8s (a Kubernetes PyTorchJob); "
                f"backend {self.backend} runs one machine"
            )
        if gpus < 1:
            _refuse(f"gpus: must be at least 1, got {gpus}")
        if self.backend == "ovh" and gpus > MAX_GPUS_PER_JOB:
            _refuse(
                f"gpus: {gpus} GPUs do not fit one OVH AI Training job (at most "
                f"{MAX_GPUS_PER_JOB}); for more use backend k8s with nodes > 1 "
                f"({MAX_GPUS_PER_JOB} GPUs per node)"
            )
        if gpus > MAX_GPUS_PER_JOB:
            _refuse(
                f"gpus: {gpus} per node exceeds {MAX_GPUS_PER_JOB}; add nodes (backend k8s) instead"
            )

    def _check_hardware(self, precision: str, flavor: str, config: TrainConfig) -> None:
        if self.backend in REMOTE_BACKENDS:
            if config.runtime.use_cpu:
                _refuse(
                    f"backend: {self.backend} trains on GPUs, but the training config trains "
                    "on the CPU (runtime.use_cpu: true); choose a GPU training config"
                )
            if flavor not in OVH_FLAVORS:
                _refuse(
                    f"flavor: {flavor!r} is not a GPU flavor this platform knows "
                    f"({', '.join(OVH_FLAVORS)})"
                )
            gpu, has_bf16 = OVH_FLAVORS[flavor]
            if precision == "bf16" and not has_bf16:
                _refuse(
                    f"precision: bf16 is not supported by flavor {flavor} ({gpu}); "
                    "choose precision fp32 or a bf16 flavor such as h100-1-gpu"
                )
        elif precision == "bf16" and config.runtime.use_cpu:
            _refuse(
                "precision: bf16 on the local backend needs a GPU, but the training config "
                "trains on the CPU (runtime.use_cpu: true); choose precision fp32"
            )

    def _zero_stage(self, remote: bool, config: TrainConfig) -> int | None:
        if self.zero_stage is not None:
            if self.zero_stage not in ZERO_STAGES:
                _refuse(
                    f"zero_stage: {self.zero_stage} is not a ZeRO stage "
                    f"({', '.join(map(str, ZERO_STAGES))}; 0 = no DeepSpeed)"
                )
            return self.zero_stage
        if config.runtime.deepspeed:
            return None  # the training config names its own DeepSpeed config
        return REMOTE_DEFAULT_ZERO_STAGE if remote else 0

    def _overrides(self, stage: int | None, precision: str, config: TrainConfig) -> dict[str, Any]:
        """Only what differs from ``config``: the local default adds nothing."""
        runtime: dict[str, Any] = {}
        if precision != config.runtime.precision:
            runtime["precision"] = precision
        if stage is not None:
            name = deepspeed_config_name(stage, precision, self.offload, cpu=config.runtime.use_cpu)
            if name != config.runtime.deepspeed:
                runtime["deepspeed"] = name
        deepspeed = runtime.get("deepspeed", config.runtime.deepspeed)
        if deepspeed and is_known_deepspeed_config(deepspeed):
            try:
                check_precision(deepspeed, precision)
            except ConfigError as exc:
                _refuse(f"precision: {exc}")
        return {"runtime": runtime} if runtime else {}


def _refuse(message: str) -> NoReturn:
    raise LaunchSettingsError(message)
