"""A cluster keeps a record the release can ship whenever it has one (the caller's exclusion rule,
in the pipeline the release's own ``routing.exclusion_reason``)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from pixel_platform.core.errors import TerminalError
from pixel_platform.curation.dedup import DedupConfig, DedupResult, iter_kept, run_dedup
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.curation.dedup.real_text import (
    answers,
    edited_messages,
    record,
    write_partition,
)
from pixel_platform_tests.curation.dedup.test_real_text import clusters

PRIORITY = {"high": 90, "low": 10}


def pii_rule(record: dict[str, Any]) -> str | None:
    status = record["metadata"].get("pii_status")
    return None if status in {"clean", "redacted"} else f"pii_{status}"


def _run(
    tmp_path: Path, high: list[dict[str, Any]], low: list[dict[str, Any]], **kwargs: Any
) -> tuple[LocalObjectStore, DedupResult]:
    store = LocalObjectStore(tmp_path / "bucket")
    inputs = [write_partition(store, "high/p", high), write_partition(store, "low/p", low)]
    result = run_dedup(
        store, inputs, DedupConfig(), family_priority=PRIORITY, work_prefix="w", **kwargs
    )
    return store, result


def test_the_releasable_twin_is_kept(tmp_path: Path) -> None:
    """Exact and near twins: the higher-priority, higher-quality copy awaits PII review, so the
    clean copy of the lower-priority family is the keeper; without the rule it would be dropped."""
    texts = answers()[:6]
    rng = random.Random(3)
    high = [
        record(texts[0].messages, "high", quality=0.9, pii_status="requires_review"),  # exact
        record(texts[1].messages, "high", quality=0.9, pii_status="requires_review"),  # near
        record(texts[2].messages, "high", quality=0.9),  # both clean: the usual order
        record(texts[3].messages, "high", quality=0.9, pii_status="requires_review"),  # no twin
    ]
    low = [
        record(texts[0].messages, "low", quality=0.2),
        record(edited_messages(rng, texts[1].messages, 0.03), "low", quality=0.2),
        record(edited_messages(rng, texts[2].messages, 0.03), "low", quality=0.2),
    ]
    store, result = _run(tmp_path, high, low, exclusion=pii_rule)
    kept = dict(iter_kept(store, result))
    assert set(kept) == {"low/p:1", "low/p:2", "high/p:3", "high/p:4"}
    stats = result.stats
    assert (stats.dropped_exact, stats.dropped_near) == (1, 2)
    assert stats.keepers_moved_to_releasable == 2
    assert stats.clusters_without_releasable == 0
    # Asked about every record that could share a cluster, and only those: the singleton
    # high/p:4 is not (its keeper is itself whatever the answer).
    assert stats.releasability_checked == 6
    assert stats.not_releasable_by_reason == {"pii_requires_review": 2}

    plain_store, plain = _run(tmp_path / "plain", high, low)  # no rule: every record ships
    assert set(dict(iter_kept(plain_store, plain))) == {f"high/p:{i}" for i in range(1, 5)}
    assert plain.stats.releasability_checked == 0


def test_a_cluster_without_a_releasable_record_still_keeps_one(tmp_path: Path) -> None:
    texts = answers()[:2]
    rng = random.Random(5)
    high = [record(texts[0].messages, "high", quality=0.9, pii_status="requires_review")]
    low = [
        record(edited_messages(rng, texts[0].messages, 0.02), "low", pii_status="requires_review"),
        record(texts[1].messages, "low"),
    ]
    store, result = _run(tmp_path, high, low, exclusion=pii_rule)
    kept = dict(iter_kept(store, result))
    # The usual order decides among records none of which can ship (quality first); the release
    # then excludes the keeper with its reason (pixel_platform_tests/pipeline).
    assert set(kept) == {"high/p:1", "low/p:2"}
    assert result.stats.clusters_without_releasable == 1
    assert result.stats.keepers_moved_to_releasable == 0
    again = run_dedup(
        store,
        [write_partition(store, "low/p", low), write_partition(store, "high/p", high)],
        DedupConfig(),
        family_priority=PRIORITY,
        work_prefix="w2",
        exclusion=pii_rule,
    )
    assert clusters(store, again) == clusters(store, result)  # deterministic


def test_a_partition_cut_short_during_the_run_is_an_error(tmp_path: Path) -> None:
    """Records are read again to verify pairs; a file that lost lines since its signatures were
    made names the partition instead of verifying against the wrong text."""
    texts = answers()[:3]
    store = LocalObjectStore(tmp_path / "bucket")
    records = [record(t.messages, "high") for t in texts] + [record(texts[0].messages, "low")]
    inp = write_partition(store, "high/p", records)
    run_dedup(store, [inp], DedupConfig(), family_priority={}, work_prefix="w")
    # Same DedupInput (so its stored signatures are reused), but the file now has one line.
    store.write_bytes(inp.key, store.read_bytes(inp.key).splitlines(keepends=True)[0])
    with pytest.raises(TerminalError, match="changed during the dedup run"):
        run_dedup(
            store, [inp], DedupConfig(), family_priority={}, work_prefix="w", exclusion=pii_rule
        )
