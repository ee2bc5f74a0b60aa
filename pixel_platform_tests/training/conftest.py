"""Fixtures for the training tests: a tiny model (built once), a fresh minimal release per test,
and a training config that runs on the CPU in seconds. Nothing is downloaded."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pixel_platform.training.config import TrainConfig, load_config
from pixel_platform_tests.training.release_fixture import corpus_texts, write_release

os.environ["HF_HUB_OFFLINE"] = "1"  # also for the subprocesses the tests start
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _stack_missing() -> str | None:
    for module in ("torch", "transformers", "trl", "datasets", "tokenizers"):
        try:
            __import__(module)
        except ImportError:
            return module
    return None


requires_training_stack = pytest.mark.skipif(
    _stack_missing() is not None,
    reason="the training stack is not installed (pip install -e '.[dev]')",
)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if _stack_missing():
        pytest.skip(f"{_stack_missing()} is not installed")
    from pixel_platform_tests.training.tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model", corpus_texts())


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    root = tmp_path / "bucket"
    write_release(root)
    return root


@pytest.fixture
def release_dir(bucket: Path) -> Path:
    return bucket / "exports" / "releases" / "v2026-01-05"


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
