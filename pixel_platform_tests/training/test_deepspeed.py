"""DeepSpeed configs (validated by DeepSpeed's own config classes after the HF Trainer fills the
``auto`` values), the launcher command, and a real ZeRO-2 run on the CPU (integration)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.training.launch import (
    BUNDLED,
    TRAIN_MODULE,
    check_precision,
    deepspeed_config_path,
    launch_command,
)
from pixel_platform_tests.training.support import requires_training_stack

EXPECTED = {  # name -> (zero stage, bf16)
    "zero2_bf16": (2, True),
    "zero3_bf16": (3, True),
    "zero2_cpu": (2, False),
}


@requires_training_stack
@pytest.mark.parametrize("name", BUNDLED)
def test_configs_validate_with_deepspeed(name: str) -> None:
    pytest.importorskip("deepspeed")
    from deepspeed.runtime.config import DeepSpeedConfig
    from transformers import TrainingArguments
    from transformers.integrations.deepspeed import HfTrainerDeepSpeedConfig

    raw = json.loads(deepspeed_config_path(name).read_text())
    stage, bf16 = EXPECTED[name]
    args = TrainingArguments(
        output_dir="unused",
        use_cpu=True,
        bf16=bf16,
        per_device_train_batch_size=2,
        gradient_accumulation_steps=4,
        learning_rate=1e-5,
        report_to="none",
    )
    hf = HfTrainerDeepSpeedConfig(raw)
    hf.trainer_config_process(args)  # the values the Trainer fills from its arguments
    model = SimpleNamespace(config=SimpleNamespace(hidden_size=4096))
    hf.trainer_config_finalize(args, model, num_training_steps=100)  # model-dependent ones
    assert "auto" not in json.dumps(hf.config)
    ds = DeepSpeedConfig(hf.config)  # pydantic models, extra keys forbidden
    assert ds.zero_optimization_stage == stage
    assert ds.bfloat16_config.enabled is bf16
    assert ds.train_batch_size == 8
    assert ds.optimizer_params["torch_adam"] is True  # no JIT-compiled optimizer needed
    if stage == 3:
        assert ds.zero_config.gather_16bit_weights_on_model_save is True


def test_precision_must_match_the_config() -> None:
    check_precision("zero2_bf16", "bf16")
    check_precision("zero2_cpu", "fp32")
    with pytest.raises(ConfigError, match=r"bf16\.enabled"):
        check_precision("zero3_bf16", "fp32")
    with pytest.raises(ConfigError, match="neither a bundled config"):
        deepspeed_config_path("zero9")


def test_launch_command() -> None:
    args = ["--config", "cfg.yaml", "--runtime.deepspeed", "zero2_bf16"]
    assert launch_command(4, args) == [
        "deepspeed",
        "--num_gpus",
        "4",
        "--module",
        TRAIN_MODULE,
        *args,
    ]
    assert launch_command(2, args, launcher="torchrun")[:6] == [
        "torchrun",
        "--standalone",
        "--nnodes",
        "1",
        "--nproc-per-node",
        "2",
    ]
    assert launch_command(1, args, launcher="python", python="py") == [
        "py",
        "-m",
        TRAIN_MODULE,
        *args,
    ]
    for bad in (0, 5):
        with pytest.raises(ConfigError, match="1 to 4"):
            launch_command(bad, args)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.integration  # the first run compiles DeepSpeed's CPU comm op (~1-2 min, cached)
@requires_training_stack
def test_zero2_on_cpu_through_the_deepspeed_launcher(
    release_dir: Path, tmp_path: Path, tiny_model: Path
) -> None:
    pytest.importorskip("deepspeed")
    deepspeed = Path(sys.executable).with_name("deepspeed")
    if not deepspeed.exists() and shutil.which("deepspeed") is None:
        pytest.skip("the deepspeed launcher is not installed")
    argv = launch_command(
        1,
        [
            "--release",
            str(release_dir),
            "--output_root",
            str(tmp_path / "ckpt"),
            "--work_dir",
            str(tmp_path / "work"),
            "--model.base_model",
            str(tiny_model),
            "--model.gradient_checkpointing",
            "false",
            "--data.stages",
            "stage1_foundation",
            "--data.max_length",
            "256",
            "--sft.max_steps",
            "2",
            "--sft.per_device_train_batch_size",
            "2",
            "--sft.gradient_accumulation_steps",
            "1",
            "--sft.save_steps",
            "1",
            "--runtime.precision",
            "fp32",
            "--runtime.use_cpu",
            "true",
            "--runtime.ddp_backend",
            "gloo",
            "--runtime.deepspeed",
            "zero2_cpu",
        ],
        master_port=_free_port(),
    )
    argv[0] = str(deepspeed) if deepspeed.exists() else argv[0]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=540)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    marker = json.loads(
        (tmp_path / "ckpt" / "v2026-01-05" / "stage1_foundation" / "_COMPLETE.json").read_text()
    )
    assert marker["global_step"] == 2
    assert (tmp_path / "ckpt" / "v2026-01-05" / "final_model" / "model.safetensors").is_file()
