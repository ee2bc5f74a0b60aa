"""Training from an ``s3://`` release into an ``s3://`` checkpoint root, on the SeaweedFS test
server: files are hashed while cached, checkpoints are pushed after each save and stage, and a
fresh machine (empty work dir) resumes from what the bucket holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pixel_platform.storage.s3 import S3ObjectStore
from pixel_platform.training.checkpoints import verify_run_checkpoints
from pixel_platform.training.train import run_training
from pixel_platform_tests.support import S3TestServer
from pixel_platform_tests.training.support import cpu_config, requires_training_stack

pytestmark = [pytest.mark.integration, requires_training_stack]


def test_s3_release_and_checkpoints(
    release_dir: Path,
    tmp_path: Path,
    tiny_model: Path,
    s3_server: S3TestServer,
    s3_bucket: str,
    s3_store: S3ObjectStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in s3_server.env(s3_bucket).items():
        monkeypatch.setenv(key, value)
    prefix = "exports/releases/v2026-01-05/"
    for path in sorted(release_dir.rglob("*")):
        if path.is_file():
            s3_store.upload_file(path, prefix + path.relative_to(release_dir).as_posix())
    config = cpu_config(
        f"s3://{s3_bucket}/{prefix}",
        tmp_path,
        tiny_model,
        output_root=f"s3://{s3_bucket}/checkpoints",
        data={"stages": ["stage1_foundation", "phaseC_preference"], "eval_split": None},
        sft={"total_steps": None, "max_steps": 2},
        preference={"max_steps": 1},
    )
    result = run_training(config)
    assert [o.status for o in result.stages] == ["trained", "trained"]
    assert result.checkpoint_uri.startswith(f"s3://{s3_bucket}/checkpoints/v2026-01-05")
    marker = verify_run_checkpoints(s3_store, "checkpoints/v2026-01-05/")
    assert marker["stages"] == ["stage1_foundation", "phaseC_preference"]
    assert not [i.key for i in s3_store.list("checkpoints/") if "/checkpoint-" in i.key]

    shutil.rmtree(tmp_path / "work")  # another machine: only the bucket is left
    again = run_training(config)
    assert [o.status for o in again.stages] == ["skipped", "skipped"]
