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
    CONFIG_DIR,
    TRAIN_MODULE,
    check_precision,
    deepspeed_config_name,
    deepspeed_config_path,
    launch_command,
)
from pixel_platform_tests.training.support import requires_training_stack

EXPECTED = {  # name -> (zero stage, bf16): the bundled configs, then derived ones
    "zero2_bf16": (2, True),
    "zero3_bf16": (3, True),
    "zero2_cpu": (2, False),
    "zero1_bf16": (1, True),
    "zero3_fp32": (3, False),
    "zero3_cpu": (3, False),
    "zero2_bf16_offload_optimizer": (2, True),
    "zero3_bf16_offload_all": (3, True),
}
assert set(BUNDLED) <= set(EXPECTED)


@requires_training_stack
@pytest.mark.parametrize("name", EXPECTED)
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
    offload = ds.zero_config.offload_optimizer
    assert (offload is not None and offload.device == "cpu") is ("offload" in name)
    params = ds.zero_config.offload_param
    assert (params is not None and params.device == "cpu") is name.endswith("_offload_all")


def test_derived_config_names() -> None:
    assert deepspeed_config_name(0, "bf16") is None  # stage 0: no DeepSpeed
    assert deepspeed_config_name(3, "bf16") == "zero3_bf16"  # the bundled file, unchanged
    assert deepspeed_config_path("zero3_bf16") == CONFIG_DIR / "zero3_bf16.json"
    assert deepspeed_config_name(2, "fp32", cpu=True) == "zero2_cpu"
    assert deepspeed_config_name(3, "bf16", "optimizer_and_params") == "zero3_bf16_offload_all"
    path = deepspeed_config_path("zero1_fp32")
    assert path.read_bytes() == deepspeed_config_path("zero1_fp32").read_bytes()  # stable
    assert json.loads(path.read_text())["zero_optimization"]["stage"] == 1


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
