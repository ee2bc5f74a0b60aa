"""The release build reports inputs read, split and sort, shards written and each gate."""

from __future__ import annotations

from pathlib import Path

from pixel_platform.registry.model import Registry
from pixel_platform.release import GATES
from pixel_platform_tests.core.recording import RecordingProgress
from pixel_platform_tests.release.support import build_synthetic


def test_release_build_reports_each_stage_with_rising_counts(
    tmp_path: Path, registry: Registry
) -> None:
    progress = RecordingProgress()
    built = build_synthetic(tmp_path / "bucket", registry, progress=progress)
    assert built.result.passed
    assert progress.stages() == [
        "release read inputs",
        "release split and sort",
        "release write shards",
        "gates scan shards",
        "gates",
    ]
    progress.assert_monotonic_and_complete()
    stages = progress.by_stage()
    assert progress.items("release read inputs") == sorted(set(built.inputs.inputs))
    total = built.result.manifest["counts"]["total"]
    assert stages["release split and sort"][-1].done == total
    assert stages["release write shards"][-1].done == total
    shards = {f["path"] for f in built.result.manifest["files"] if f.get("kind") == "shard"}
    written = set(progress.items("release write shards"))
    assert written and written <= shards  # shard paths only, never text
    assert set(progress.items("gates scan shards")) == shards  # one scan of every shard
    assert stages["gates scan shards"][-1].done == len(shards)
    assert progress.items("gates") == list(GATES)
