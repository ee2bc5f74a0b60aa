"""The training entry point on the CPU with a tiny Llama: two SFT stages (3 steps) then DPO
(2 steps); markers, metrics and resume; a tampered or ungated release is refused up front."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.training.checkpoints import RUN_MARKER, STAGE_MARKER, verify_run_checkpoints
from pixel_platform.training.release_input import ReleaseIntegrityError
from pixel_platform.training.train import main, run_training
from pixel_platform_tests.training.release_fixture import write_release
from pixel_platform_tests.training.support import (
    cpu_config,
    requires_training_stack,
    train_one_step,
)

pytestmark = requires_training_stack
STAGES = ["stage1_foundation", "stage2_clinical_reasoning", "phaseC_preference"]


class Crash(Exception):
    pass


def crash_after(stage: str, step: int) -> Any:
    from transformers import TrainerCallback

    class _Crash(TrainerCallback):  # type: ignore[misc]
        def on_save(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if Path(args.output_dir).name == stage and state.global_step >= step:
                raise Crash(f"killed in {stage} after step {step}")

    return _Crash()


def _events(run_root: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in (run_root / "metrics.jsonl").read_bytes().splitlines()]


def test_curriculum_then_dpo_with_crash_and_resume(
    release_dir: Path, tmp_path: Path, tiny_model: Path
) -> None:
    config = cpu_config(release_dir, tmp_path, tiny_model)
    run_root = tmp_path / "checkpoints" / "v2026-01-05"

    # 1. Killed in phase C after its first step (its checkpoint-1 was saved).
    with pytest.raises(Crash):
        run_training(config, callbacks=[crash_after("phaseC_preference", 1)])
    assert (run_root / "stage1_foundation" / STAGE_MARKER).is_file()
    assert (run_root / "stage2_clinical_reasoning" / STAGE_MARKER).is_file()
    assert not (run_root / "phaseC_preference" / STAGE_MARKER).exists()
    assert (run_root / "phaseC_preference" / "checkpoint-1" / "trainer_state.json").is_file()

    stage1 = json.loads((run_root / "stage1_foundation" / STAGE_MARKER).read_text())
    stage2 = json.loads((run_root / "stage2_clinical_reasoning" / STAGE_MARKER).read_text())
    assert (stage1["global_step"], stage2["global_step"]) == (2, 1)  # 3 steps by weight 25:20
    assert stage1["kind"] == "sft" and "eval_loss" in stage1["metrics"]
    # intermediate checkpoints are gone once a stage is final
    assert not list((run_root / "stage1_foundation").glob("checkpoint-*"))

    # 2. The rerun skips the finished SFT stages and resumes DPO from checkpoint-1.
    result = run_training(config)
    status = {o.stage: (o.status, o.steps, o.resumed_from) for o in result.stages}
    assert status == {
        "stage1_foundation": ("skipped", 2, None),
        "stage2_clinical_reasoning": ("skipped", 1, None),
        "phaseC_preference": ("trained", 2, "checkpoint-1"),
    }
    marker = json.loads((run_root / "phaseC_preference" / STAGE_MARKER).read_text())
    assert marker["method"] == "dpo" and marker["global_step"] == 2
    assert marker["train_rows"]["source"] == "metadata"  # derived from metadata.preference
    assert "eval_rewards/accuracies" in marker["metrics"]

    # the run is complete and verifiable like a remote one
    done = verify_run_checkpoints(LocalObjectStore(tmp_path / "checkpoints"), "v2026-01-05/")
    assert done["final_stage"] == "phaseC_preference"
    assert (run_root / "final_model" / "model.safetensors").is_file()
    assert (run_root / "final_model" / "chat_template.jinja").is_file()

    events = _events(run_root)
    kinds = [e["event"] for e in events]
    assert kinds.count("stage_end") == 3 and kinds.count("stage_skipped") == 2
    assert any(e["event"] == "train" and e["stage"] == "phaseC_preference" for e in events)
    assert kinds[-1] == "run_end"

    # 3. Everything finished: a third run trains nothing.
    again = run_training(config)
    assert {o.status for o in again.stages} == {"skipped"}
    assert (run_root / RUN_MARKER).is_file()


def test_tampered_release_is_refused_before_training(
    release_dir: Path, tmp_path: Path, tiny_model: Path
) -> None:
    shard = release_dir / "shards" / "train" / "part-00001.jsonl"
    shard.write_bytes(shard.read_bytes().replace(b"anxious", b"anxiouz", 1))
    config = cpu_config(release_dir, tmp_path, tiny_model)
    with pytest.raises(ReleaseIntegrityError, match=r"does not match manifest\.json"):
        run_training(config)
    assert not (tmp_path / "checkpoints").exists()  # nothing was started


def test_ungated_release_and_pinned_manifest(tmp_path: Path, tiny_model: Path) -> None:
    failed = write_release(tmp_path / "b1", gates_passed=False)
    with pytest.raises(ReleaseIntegrityError, match="did not pass its gates"):
        run_training(cpu_config(failed, tmp_path, tiny_model))
    ok = write_release(tmp_path / "b2")
    pinned = cpu_config(ok, tmp_path, tiny_model, expected_manifest_sha256="sha256:" + "0" * 64)
    with pytest.raises(ReleaseIntegrityError, match="the training spec expects"):
        run_training(pinned)


def test_main_exit_codes(
    release_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--print-config", "--release", str(release_dir), "--sft.max_steps", "7"]) == 0
    assert "max_steps: 7" in capsys.readouterr().out
    assert main(["--release", str(release_dir), "--sft.no_such_key", "1"]) == 2
    assert "unknown config key sft.no_such_key" in capsys.readouterr().err


def test_phase_a_trains_on_the_pretraining_text_export(tmp_path: Path, tiny_model: Path) -> None:
    release = write_release(tmp_path / "bucket", phase_a=True)
    train_one_step(release, tmp_path, tiny_model, "phaseA_pretraining")
    marker = json.loads(
        (tmp_path / "checkpoints/v2026-01-05/phaseA_pretraining" / STAGE_MARKER).read_text()
    )
    assert marker["train_rows"]["source"] == "export" and marker["train_rows"]["kept"] == 6


@requires_training_stack
def test_a_stage_with_nothing_to_learn_within_max_length_says_so(
    release_dir: Path, tmp_path: Path, tiny_model: Path
) -> None:
    """Rows whose assistant turns are all cut off by data.max_length are dropped by the trainer;
    a stage left with none is a clear error naming the stage and the setting, not a crash."""
    from pixel_platform.core.errors import TerminalError

    config = cpu_config(
        release_dir, tmp_path, tiny_model,
        data={"stages": ["stage1_foundation"], "eval_split": None, "max_length": 4},
    )  # fmt: skip
    with pytest.raises(TerminalError, match=r"stage stage1_foundation: .*raise data\.max_length"):
        run_training(config)
