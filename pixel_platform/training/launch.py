"""DeepSpeed configs bundled with the package and the command that launches the trainer.

Configs (``deepspeed_configs/*.json``; ``"auto"`` values are filled by the HF Trainer from the
training arguments, so batch sizes and learning rates live in one place):

* ``zero2_bf16`` — H100, ZeRO-2 (optimizer state and gradients sharded), bf16.
* ``zero3_bf16`` — H100, ZeRO-3 (parameters sharded too; 16-bit weights gathered on save), bf16.
* ``zero2_cpu``  — tests: ZeRO-2, fp32, gloo-friendly (no overlap), ``torch_adam`` (no op build).

All three use DeepSpeed's AdamW with ``torch_adam: true`` (PyTorch's fused AdamW), so the CUDA
*runtime* image needs no compiler for DeepSpeed's JIT ops; the HF Trainer builds the LR schedule.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pixel_platform.core.errors import ConfigError

CONFIG_DIR = Path(__file__).with_name("deepspeed_configs")
BUNDLED = ("zero2_bf16", "zero3_bf16", "zero2_cpu")
TRAIN_MODULE = "pixel_platform.training.train"
LAUNCHERS = ("deepspeed", "torchrun", "python")
MAX_GPUS_PER_JOB = 4  # an OVH AI Training job has at most four GPUs


def deepspeed_config_path(name_or_path: str) -> Path:
    """A bundled config by name, or any JSON path."""
    if name_or_path in BUNDLED:
        return CONFIG_DIR / f"{name_or_path}.json"
    path = Path(name_or_path)
    if not path.is_file():
        raise ConfigError(
            f"runtime.deepspeed: {name_or_path!r} is neither a bundled config "
            f"({', '.join(BUNDLED)}) nor a file"
        )
    return path


def load_deepspeed_config(name_or_path: str) -> dict[str, Any]:
    path = deepspeed_config_path(name_or_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"DeepSpeed config {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"DeepSpeed config {path} must be a JSON object")
    return data


def check_precision(name_or_path: str, precision: str) -> None:
    """The DeepSpeed config and runtime.precision must agree (the Trainer refuses otherwise)."""
    data = load_deepspeed_config(name_or_path)
    enabled = (data.get("bf16") or {}).get("enabled", False)
    if enabled == "auto":
        return
    if bool(enabled) != (precision == "bf16"):
        raise ConfigError(
            f"runtime.deepspeed={name_or_path} has bf16.enabled={enabled} but "
            f"runtime.precision={precision}; use zero2_cpu for fp32 or set precision: bf16"
        )


def launch_command(
    num_gpus: int,
    train_args: Sequence[str],
    *,
    launcher: str = "deepspeed",
    python: str = "python",
    master_port: int | None = None,
) -> list[str]:
    """The argv that runs the trainer on ``num_gpus`` GPUs (1-4) of one machine.

    ``train_args`` go to ``pixel_platform.training.train`` (``--config``, overrides). With the
    ``deepspeed`` launcher the DeepSpeed config is whatever ``--runtime.deepspeed`` names; the
    launcher's own ``--local_rank`` flag is accepted by the trainer.
    """
    if not 1 <= num_gpus <= MAX_GPUS_PER_JOB:
        raise ConfigError(f"num_gpus must be 1 to {MAX_GPUS_PER_JOB}, got {num_gpus}")
    if launcher not in LAUNCHERS:
        raise ConfigError(f"launcher must be one of {', '.join(LAUNCHERS)}, got {launcher!r}")
    args = list(train_args)
    if launcher == "deepspeed":
        cmd = ["deepspeed", "--num_gpus", str(num_gpus)]
        if master_port is not None:
            cmd += ["--master_port", str(master_port)]
        return [*cmd, "--module", TRAIN_MODULE, *args]
    if launcher == "torchrun":
        cmd = ["torchrun", "--standalone", "--nnodes", "1", "--nproc-per-node", str(num_gpus)]
        return [*cmd, "-m", TRAIN_MODULE, *args]
    if num_gpus != 1:
        raise ConfigError("the plain python launcher runs one process; use deepspeed or torchrun")
    return [python, "-m", TRAIN_MODULE, *args]


def shell_join(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)
