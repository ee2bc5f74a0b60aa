"""Helpers of the training tests: the skip marker for a missing training stack, and a training
config that runs on the CPU in seconds (``cpu_config``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pixel_platform.training.config import TrainConfig, load_config

# Set before the training stack is first loaded (stack_missing below loads it). The training
# fixtures load this module, so these hold for the whole session and the subprocesses it starts.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def stack_missing() -> str | None:
    """The first module of the training stack that does not import, or None."""
    for module in ("torch", "transformers", "trl", "datasets", "tokenizers"):
        try:
            __import__(module)
        except ImportError:
            return module
    return None


requires_training_stack = pytest.mark.skipif(
    stack_missing() is not None,
    reason="the training stack is not installed (pip install -e '.[dev]')",
)


def cpu_config(release: Path | str, tmp_path: Path, model: Path, **sections: Any) -> TrainConfig:
    """3 SFT steps over two stages (2 + 1 by curriculum weight) and 2 DPO steps, on the CPU."""
    overrides: dict[str, Any] = {
        "release": str(release),
        "output_root": str(tmp_path / "checkpoints"),
        "work_dir": str(tmp_path / "work"),
        "model": {"base_model": str(model), "gradient_checkpointing": False},
        "data": {"max_length": 256},
        "sft": {
            "total_steps": 3,
            "per_device_train_batch_size": 2,
            "per_device_eval_batch_size": 2,
            "gradient_accumulation_steps": 1,
            "save_steps": 1,
            "logging_steps": 1,
        },
        "preference": {
            "max_steps": 2,
            "per_device_train_batch_size": 2,
            "per_device_eval_batch_size": 2,
            "gradient_accumulation_steps": 1,
            "save_steps": 1,
            "logging_steps": 1,
        },
        "runtime": {"precision": "fp32", "use_cpu": True},
    }
    for name, values in sections.items():
        if isinstance(values, dict):
            overrides.setdefault(name, {}).update(values)
        else:
            overrides[name] = values
    return load_config(None, overrides)


def train_one_step(release: Path | str, tmp_path: Path, model: Path, stage: str) -> None:
    """Train ``stage`` alone for one SFT step on the CPU (``cpu_config``) and check it trained."""
    from pixel_platform.training.train import run_training

    config = cpu_config(
        release,
        tmp_path,
        model,
        data={"stages": [stage], "eval_split": None},
        sft={"total_steps": None, "max_steps": 1},
    )
    result = run_training(config)
    assert [(o.stage, o.status, o.steps) for o in result.stages] == [(stage, "trained", 1)]
