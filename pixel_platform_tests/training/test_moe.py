"""A Mixture-of-Experts base trains through an SFT stage and a DPO step on the CPU: a tiny
Mixtral (4 experts, 2 per token) built locally, its router's load-balancing loss part of the
loss and logged (``aux_loss`` in metrics.jsonl)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from pixel_platform.training.train import run_training
from pixel_platform_tests.training.release_fixture import corpus_texts
from pixel_platform_tests.training.support import cpu_config, requires_training_stack


@pytest.fixture(scope="module")
def tiny_moe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pixel_platform.training.tiny import TINY_MOE_MODEL, build_tiny_model

    directory = tmp_path_factory.mktemp("moe") / "model"
    return build_tiny_model(directory, corpus_texts(), name=TINY_MOE_MODEL)


@requires_training_stack
def test_a_moe_base_trains_sft_and_dpo_with_its_router_loss_logged(
    release_dir: Path, tmp_path: Path, tiny_moe: Path
) -> None:
    from transformers import AutoConfig

    from pixel_platform.training.tiny import is_moe

    assert is_moe(AutoConfig.from_pretrained(tiny_moe))
    config = cpu_config(
        release_dir, tmp_path, tiny_moe,
        data={"stages": ["stage1_foundation", "phaseC_preference"], "eval_split": None},
        sft={"total_steps": None, "max_steps": 1},
        preference={"method": "dpo", "max_steps": 1},
    )  # fmt: skip
    result = run_training(config)
    assert [(o.stage, o.status) for o in result.stages] == [
        ("stage1_foundation", "trained"),
        ("phaseC_preference", "trained"),
    ]
    run = tmp_path / "checkpoints" / "v2026-01-05"
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    trained = [r for r in rows if r["event"] == "train" and "loss" in r]
    sft = [r for r in trained if r["stage"] == "stage1_foundation"]
    dpo = [r for r in trained if r["stage"] == "phaseC_preference"]
    assert sft and dpo
    for row in sft + dpo:
        assert math.isfinite(row["loss"])
        assert row["aux_loss"] > 0  # the router's load-balancing loss, logged every step
    saved = json.loads((run / "final_model" / "config.json").read_text())
    assert saved["num_local_experts"] == 4 and saved["architectures"] == ["MixtralForCausalLM"]


@requires_training_stack
def test_under_zero3_each_moe_block_is_one_leaf(tiny_moe: Path) -> None:
    """DeepSpeed's rule for MoE under ZeRO-3 (else ranks hang waiting for unused experts)."""
    from deepspeed.utils import z3_leaf_module
    from transformers import AutoModelForCausalLM

    from pixel_platform.training.launch import zero_stage
    from pixel_platform.training.trainers import mark_moe_leaves

    assert zero_stage("zero3_bf16") == 3 and zero_stage("zero2_bf16") == 2
    model = AutoModelForCausalLM.from_pretrained(tiny_moe)
    (block,) = mark_moe_leaves(model)
    assert block.__name__ == "MixtralSparseMoeBlock"
    blocks = [m for m in model.modules() if isinstance(m, block)]
    assert len(blocks) == 2 and all(z3_leaf_module(m) for m in blocks)
