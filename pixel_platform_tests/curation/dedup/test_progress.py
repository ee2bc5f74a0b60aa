"""Dedup reports each stage's progress: signatures per partition, LSH bands, verification."""

from __future__ import annotations

from pathlib import Path

from pixel_platform.curation.dedup import DedupConfig, run_dedup
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.core.recording import RecordingProgress
from pixel_platform_tests.curation.dedup.planted import build_corpus


def test_dedup_reports_every_stage_with_rising_counts_and_no_text(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "bucket")
    inputs = build_corpus().write(store)
    progress = RecordingProgress()
    config = DedupConfig()
    run_dedup(store, inputs, config, family_priority={}, work_prefix="w", progress=progress)
    assert progress.stages() == ["dedup signatures", "dedup lsh bands", "dedup verify"]
    progress.assert_monotonic_and_complete()
    assert progress.items("dedup signatures") == [inp.uid_prefix for inp in inputs]
    assert [r.done for r in progress.by_stage()["dedup lsh bands"]] == list(
        range(1, config.bands + 1)
    )
    verify_items = progress.items("dedup verify")
    assert verify_items[0].endswith(" candidate pairs")
    assert verify_items[1].endswith(" near-duplicate pairs")
