"""ORPO and KTO each train a few steps on the tiny model (phase C alone, on the CPU), like the DPO
run in ``test_train``: the loss is finite and a checkpoint and the stage's final model are written.
KTO's unpaired, labelled rows are derived from the release's preference pairs (``kto_rows``)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from pixel_platform.training.checkpoints import STAGE_MARKER
from pixel_platform.training.data import kto_rows
from pixel_platform.training.train import run_training
from pixel_platform_tests.training.support import cpu_config, requires_training_stack

STAGE = "phaseC_preference"


def test_kto_rows_come_from_the_pairs() -> None:
    pair = {
        "prompt": [{"role": "user", "content": "p"}],
        "chosen": [{"role": "assistant", "content": "good"}],
        "rejected": [{"role": "assistant", "content": "bad"}],
    }
    rows = kto_rows([pair])
    assert [(r["completion"][0]["content"], r["label"]) for r in rows] == [
        ("good", True),
        ("bad", False),
    ]
    assert all(r["prompt"] == pair["prompt"] for r in rows)


@requires_training_stack
@pytest.mark.parametrize("method", ["orpo", "kto"])
def test_preference_method_trains_a_few_steps(
    method: str, release_dir: Path, tmp_path: Path, tiny_model: Path
) -> None:
    config = cpu_config(
        release_dir,
        tmp_path,
        tiny_model,
        data={"stages": [STAGE], "eval_split": None},
        preference={"method": method},
    )
    result = run_training(config)
    assert [(o.stage, o.status, o.steps) for o in result.stages] == [(STAGE, "trained", 2)]
    stage_dir = tmp_path / "checkpoints" / "v2026-01-05" / STAGE
    marker = json.loads((stage_dir / STAGE_MARKER).read_text())
    assert marker["method"] == method and marker["global_step"] == 2
    assert marker["train_rows"]["source"] == "metadata" and marker["train_rows"]["kept"] > 0
    loss = marker["metrics"]["train_loss"]
    assert math.isfinite(loss), f"{method} loss is {loss}"
    assert (stage_dir / "final" / "model.safetensors").is_file()
    assert (tmp_path / "checkpoints" / "v2026-01-05" / "final_model" / "config.json").is_file()
