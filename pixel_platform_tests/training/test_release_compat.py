"""The trainer reads a release from the real builder (``build_release`` on the synthetic inputs
of the release tests), not only the minimal one the other training tests write."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_platform.registry.model import DEFAULT_REGISTRY, load_registry
from pixel_platform.training.data import plan_stages, sft_rows
from pixel_platform.training.release_input import open_release
from pixel_platform.training.spec import make_spec
from pixel_platform_tests.release.support import build_synthetic
from pixel_platform_tests.training.support import requires_training_stack, train_one_step

pytestmark = pytest.mark.integration  # building a gated release takes ~15 s


@requires_training_stack
def test_trainer_reads_a_built_release(tmp_path: Path, tiny_model: Path) -> None:
    built = build_synthetic(tmp_path / "bucket", load_registry(DEFAULT_REGISTRY))
    assert built.result.passed
    release = open_release(str(built.release_dir))
    stages = plan_stages(release)
    stage1 = next(s for s in stages if s.id == "stage1_foundation")
    assert [s.order for s in stages] == sorted(s.order for s in stages)  # curriculum order
    rows, stats = sft_rows(release, stage1, "train")
    assert rows and stats.kept == stats.read

    spec = make_spec(built.store, built.result.version, data_bucket="pixel-data")
    assert spec.stages == tuple(s.id for s in stages)

    train_one_step(built.release_dir, tmp_path, tiny_model, "stage1_foundation")
