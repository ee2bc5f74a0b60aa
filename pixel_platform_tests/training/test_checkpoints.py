"""Run layout: identity, stage markers, the S3 mirror (push/pull) and the checkpoint check."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.training.checkpoints import (
    RUN_MARKER,
    CheckpointMissingError,
    RunCheckpoints,
    verify_run_checkpoints,
)
from pixel_platform_tests.training.remote_store import RemoteStore

IDENTITY = {
    "release_version": "v1",
    "manifest_sha256": "sha256:aa",
    "base_model": "m",
    "config_fingerprint": "sha256:cc",
}


def fake_checkpoint(ckpt: RunCheckpoints, stage: str, step: int) -> Path:
    path = ckpt.stage_dir(stage) / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(b"w" * step)
    (path / "trainer_state.json").write_text(f'{{"global_step": {step}}}')
    return path


def fake_final(ckpt: RunCheckpoints, stage: str) -> None:
    final = ckpt.final_dir(stage)
    final.mkdir(parents=True)
    (final / "model.safetensors").write_bytes(b"final")
    (final / "config.json").write_text("{}")


def test_identity_is_checked(tmp_path: Path) -> None:
    ckpt = RunCheckpoints(tmp_path / "run")
    ckpt.claim(IDENTITY)
    ckpt.claim(dict(IDENTITY))  # same run: fine
    with pytest.raises(ConfigError, match="different manifest_sha256"):
        ckpt.claim({**IDENTITY, "manifest_sha256": "sha256:bb"})


def test_remote_mirror_push_pull_and_verify(tmp_path: Path) -> None:
    remote = RemoteStore(tmp_path / "bucket")
    a = RunCheckpoints(tmp_path / "machine-a", (remote, "runs/r1/"))
    a.claim(IDENTITY)
    fake_checkpoint(a, "s1", 1)
    a.push_checkpoint("s1", a.stage_dir("s1") / "checkpoint-1")
    assert remote.uploads[-1] == "runs/r1/s1/checkpoint-1/trainer_state.json"  # state goes last
    fake_final(a, "s1")
    a.mark_complete("s1", {"global_step": 1})
    assert not remote.head("runs/r1/s1/checkpoint-1/model.safetensors")  # dropped once final
    fake_checkpoint(a, "s2", 2)
    a.push_checkpoint("s2", a.stage_dir("s2") / "checkpoint-2")
    fake_checkpoint(a, "s2", 4)
    a.push_checkpoint("s2", a.stage_dir("s2") / "checkpoint-4")

    # Machine B resumes: it gets the marker of s1, its final model and s2's latest checkpoint.
    b = RunCheckpoints(tmp_path / "machine-b", (remote, "runs/r1/"))
    b.pull(["s1", "s2"], "metrics.jsonl")
    b.claim(IDENTITY)
    assert b.completed("s1") is not None and b.completed("s2") is None
    assert (b.final_dir("s1") / "model.safetensors").read_bytes() == b"final"
    assert b.latest_checkpoint("s2") == b.stage_dir("s2") / "checkpoint-4"
    assert not (b.stage_dir("s2") / "checkpoint-2").exists()

    with pytest.raises(CheckpointMissingError, match=RUN_MARKER):
        verify_run_checkpoints(remote, "runs/r1/")
    fake_final(b, "s2")
    b.mark_complete("s2", {"global_step": 4})
    b.finish("s2", ["s1", "s2"], {})
    marker = verify_run_checkpoints(remote, "runs/r1")
    assert marker["final_stage"] == "s2"
    remote.delete("runs/r1/final_model/config.json")
    with pytest.raises(CheckpointMissingError, match=r"final_model/config\.json"):
        verify_run_checkpoints(remote, "runs/r1/")
