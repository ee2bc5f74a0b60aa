"""Curriculum weights apply by default: with ``sft.total_steps`` unset, phase B's budget is what
the stages would train on their own (``sft.max_steps`` each, or epochs over the release's train
counts) and it is split by the stages' curriculum weights."""

from __future__ import annotations

from pathlib import Path

import orjson

from pixel_platform.training.config import TrainConfig, load_config
from pixel_platform.training.data import Stage
from pixel_platform.training.train import _stage_steps, phase_b_budget, run_training
from pixel_platform_tests.training.support import cpu_config, requires_training_stack


def _stage(id: str, phase: str, weight: float, train: int) -> Stage:
    return Stage(id, phase, {"A": 0, "B": 1, "C": 9}[phase], weight, {}, {"train": train})


STAGES = [
    _stage("phaseA_pretraining", "A", 0.0, 40),
    _stage("stage1_foundation", "B", 3.0, 100),
    _stage("stage2_clinical_reasoning", "B", 1.0, 100),
    _stage("phaseC_preference", "C", 0.0, 10),
]


def _config(data: dict[str, object] | None = None, **sft: object) -> TrainConfig:
    base = {"per_device_train_batch_size": 5, "gradient_accumulation_steps": 2}
    overrides = {"sft": {**base, **sft}, "preference": {"max_steps": 7}, "data": data or {}}
    return load_config(None, overrides)


def test_budget_from_the_release_counts_split_by_weight() -> None:
    config = _config()  # total_steps unset, max_steps -1: one epoch over the train records
    # 100 records / (5 × 2) = 10 steps per phase B stage: 20, split 3:1 by weight
    assert phase_b_budget(config, STAGES[1:3]) == 20
    steps = _stage_steps(config, STAGES, world_size=1)
    assert steps == {
        "phaseA_pretraining": -1,  # phase A is not part of the curriculum budget
        "stage1_foundation": 15,
        "stage2_clinical_reasoning": 5,
        "phaseC_preference": 7,
    }
    # more processes: a larger effective batch, fewer steps (10 / 2 = 5 per stage, 3:1)
    assert _stage_steps(config, STAGES, world_size=2)["stage1_foundation"] == 8


def test_budget_from_max_steps_and_record_cap() -> None:
    capped = _config({"max_records_per_stage": 30}, num_train_epochs=2.0)
    assert phase_b_budget(capped, STAGES[1:3]) == 12  # 2 epochs × 30 / 10 each
    per_stage = _config(max_steps=4)
    assert _stage_steps(per_stage, STAGES)["stage1_foundation"] == 6  # 4 × 2 stages × 3/4
    explicit = _config(total_steps=8)
    steps = _stage_steps(explicit, STAGES)
    assert (steps["stage1_foundation"], steps["stage2_clinical_reasoning"]) == (6, 2)


@requires_training_stack
def test_a_run_without_total_steps_trains_the_weighted_budget(
    release_dir: Path, tmp_path: Path, tiny_model: Path
) -> None:
    config = cpu_config(
        release_dir,
        tmp_path,
        tiny_model,
        data={"stages": ["stage1_foundation", "stage2_clinical_reasoning"], "eval_split": None},
        sft={"total_steps": None, "max_steps": -1},
    )
    result = run_training(config)
    # 8 + 6 train records at batch 2: 4 + 3 = 7 steps, split 25:20 by weight
    assert [(o.stage, o.steps) for o in result.stages] == [
        ("stage1_foundation", 4),
        ("stage2_clinical_reasoning", 3),
    ]
    events = [
        orjson.loads(line)
        for line in (tmp_path / "checkpoints/v2026-01-05/metrics.jsonl").read_bytes().splitlines()
    ]
    planned = [e["max_steps"] for e in events if e["event"] == "stage_start"]
    assert planned == [4, 3]  # explicit steps, not -1 (epochs, which ignore the weights)
