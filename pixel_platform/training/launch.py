"""DeepSpeed configs bundled with the package and the command that launches the trainer.

Configs (``deepspeed_configs/*.json``; ``"auto"`` values are filled by the HF Trainer from the
training arguments, so batch sizes and learning rates live in one place):

* ``zero2_bf16`` — H100, ZeRO-2 (optimizer state and gradients sharded), bf16.
* ``zero3_bf16`` — H100, ZeRO-3 (parameters sharded too; 16-bit weights gathered on save), bf16.
* ``zero2_cpu``  — tests: ZeRO-2, fp32, gloo-friendly (no overlap), ``torch_adam`` (no op build).

Other launch settings name a *derived* config, ``zero{1,2,3}_{bf16,fp32,cpu}`` with an optional
``_offload_optimizer`` / ``_offload_all`` suffix (``deepspeed_config_name``): the bundled config of
the same stage (ZeRO-3's for stage 3, ZeRO-2's otherwise) with the stage, precision and CPU offload
set, written on first use under the temporary directory (the same bytes on every rank). Offload
keeps PyTorch's AdamW (``zero_force_ds_cpu_optimizer: false``): DeepSpeed's CPU Adam would need a
compiler in the image.

All three use DeepSpeed's AdamW with ``torch_adam: true`` (PyTorch's fused AdamW), so the CUDA
*runtime* image needs no compiler for DeepSpeed's JIT ops; the HF Trainer builds the LR schedule.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pixel_platform.core.errors import ConfigError

CONFIG_DIR = Path(__file__).with_name("deepspeed_configs")
BUNDLED = ("zero2_bf16", "zero3_bf16", "zero2_cpu")
TRAIN_MODULE = "pixel_platform.training.train"
LAUNCHERS = ("deepspeed", "torchrun", "python")
MAX_GPUS_PER_JOB = 4  # an OVH AI Training job has at most four GPUs
ZERO_STAGES = (0, 1, 2, 3)  # 0: no DeepSpeed (plain DDP through the launcher)
OFFLOADS = ("none", "optimizer", "optimizer_and_params")
_OFFLOAD_SUFFIX = {
    "none": "",
    "optimizer": "_offload_optimizer",
    "optimizer_and_params": "_offload_all",
}
DERIVED = re.compile(r"^zero([123])_(bf16|fp32|cpu)(_offload_optimizer|_offload_all)?$")


def deepspeed_config_name(
    stage: int, precision: str, offload: str = "none", *, cpu: bool = False
) -> str | None:
    """The config for a ZeRO stage, precision and offload (None for stage 0: no DeepSpeed).
    ``cpu``: the gloo-friendly fp32 variant (``zero2_cpu`` and its kin)."""
    if stage == 0:
        return None
    kind = "cpu" if cpu and precision == "fp32" else precision
    return f"zero{stage}_{kind}{_OFFLOAD_SUFFIX[offload]}"


def is_known_deepspeed_config(name: str) -> bool:
    """A bundled or derived name (not a path that only exists inside some image)."""
    return name in BUNDLED or DERIVED.match(name) is not None


def derived_deepspeed_config(name: str) -> dict[str, Any]:
    """The content of a derived config (see the module docstring)."""
    match = DERIVED.match(name)
    if match is None:
        raise ConfigError(f"runtime.deepspeed: {name!r} is not a derived config name")
    stage, kind, offload = int(match[1]), match[2], match[3] or ""
    base = "zero3_bf16" if stage == 3 else ("zero2_cpu" if kind == "cpu" else "zero2_bf16")
    data = json.loads((CONFIG_DIR / f"{base}.json").read_text(encoding="utf-8"))
    zero = data["zero_optimization"]
    zero["stage"] = stage
    data["bf16"] = {"enabled": kind == "bf16"}
    if kind == "cpu":
        zero["overlap_comm"] = False  # gloo has no overlap
    if offload:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": True}
        data["zero_force_ds_cpu_optimizer"] = False
    if offload == "_offload_all":
        zero["offload_param"] = {"device": "cpu", "pin_memory": True}
    return dict(data)


def zero_stage(name_or_path: str) -> int:
    """The ZeRO stage a DeepSpeed config (bundled, derived or a file) asks for (0: none)."""
    data = json.loads(deepspeed_config_path(name_or_path).read_text(encoding="utf-8"))
    return int((data.get("zero_optimization") or {}).get("stage", 0))


def deepspeed_config_path(name_or_path: str) -> Path:
    """A bundled config by name, or any JSON path."""
    if name_or_path in BUNDLED:
        return CONFIG_DIR / f"{name_or_path}.json"
    if DERIVED.match(name_or_path):
        return _write_derived(name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        raise ConfigError(
            f"runtime.deepspeed: {name_or_path!r} is neither a bundled config "
            f"({', '.join(BUNDLED)}), a derived one (zero<1-3>_<bf16|fp32|cpu>[_offload_optimizer"
            f"|_offload_all]) nor a file"
        )
    return path


def _write_derived(name: str) -> Path:
    path = Path(tempfile.gettempdir()) / "pixel-deepspeed" / f"{name}.json"
    data = json.dumps(derived_deepspeed_config(name), indent=2, sort_keys=True) + "\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, path)  # atomic: ranks writing at once all leave the same bytes
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
