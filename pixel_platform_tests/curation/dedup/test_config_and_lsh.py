"""Config loading, the S-curve, bucket pairing and connected components."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.curation.dedup import DedupConfig
from pixel_platform.curation.dedup.clusters import choose_keepers, connected_components
from pixel_platform.curation.dedup.lsh import CandidateStats, bucket_pairs, verify


def test_config_loads_from_a_mapping_and_yaml(tmp_path: Path) -> None:
    assert DedupConfig.from_dict(None) == DedupConfig()
    config = DedupConfig.from_dict({"threshold": 0.85, "in_memory_max_records": 10})
    assert (config.threshold, config.in_memory_max_records, config.num_perm) == (0.85, 10, 128)
    path = tmp_path / "dedup.yaml"
    path.write_text("shingle_size: 3\nbands: 16\nrows: 8\n")
    assert DedupConfig.from_yaml(path) == DedupConfig(shingle_size=3, bands=16, rows=8)


@pytest.mark.parametrize(
    "values",
    [{"shingles": 5}, {"bands": 30, "rows": 5}, {"threshold": 0}, {"scheme": "sha1"}],
)
def test_bad_config_names_the_problem(values: dict) -> None:
    with pytest.raises(ConfigError, match=next(iter(values)).rstrip("s")):
        DedupConfig.from_dict(values)


def test_s_curve_favours_recall_at_the_threshold() -> None:
    curve = DedupConfig().s_curve()
    assert curve["0.80"] > 0.99 and curve["0.85"] > 0.999
    assert curve["0.30"] < 0.02


def test_scheme_fingerprint_covers_what_changes_signatures_only() -> None:
    base = DedupConfig().scheme_fingerprint()
    assert DedupConfig(threshold=0.7, bands=16, rows=8).scheme_fingerprint() == base
    assert DedupConfig(in_memory_max_records=5).scheme_fingerprint() == base
    assert DedupConfig(shingle_size=3).scheme_fingerprint() != base
    assert DedupConfig(seed=2).scheme_fingerprint() != base
    assert DedupConfig(scheme="legacy").scheme_fingerprint() != base


def _pairs(bucket: list[int], doc: list[int], cap: int) -> set[tuple[int, int]]:
    left, right = bucket_pairs(
        np.array(bucket, dtype=np.uint64), np.array(doc, dtype=np.int64), cap, CandidateStats()
    )
    assert (left < right).all()
    return set(zip(left.tolist(), right.tolist(), strict=True))


def test_small_buckets_yield_every_pair() -> None:
    pairs = _pairs([7, 7, 7, 9, 9, 5], [30, 10, 20, 2, 1, 99], cap=4)
    assert pairs == {(10, 20), (10, 30), (20, 30), (1, 2)}


def test_oversized_buckets_yield_star_and_chain_only() -> None:
    stats = CandidateStats()
    docs = np.arange(1000, dtype=np.int64)
    left, right = bucket_pairs(np.zeros(1000, dtype=np.uint64), docs, 32, stats)
    pairs = set(zip(left.tolist(), right.tolist(), strict=True))
    assert len(pairs) == len(left) == 999 + 998  # not 1000 * 999 / 2
    assert {(0, d) for d in range(1, 1000)} <= pairs
    assert {(d, d + 1) for d in range(1, 999)} <= pairs
    assert (stats.oversized_buckets, stats.largest_bucket) == (1, 1000)


def test_verify_keeps_pairs_at_or_above_the_threshold() -> None:
    signatures = np.zeros((3, 10), dtype=np.uint32)
    signatures[1, :2] = 1  # 8/10 equal to row 0
    signatures[2, :3] = 1  # 7/10 equal to row 0
    edges = verify(signatures, np.array([0, 0]), np.array([1, 2]), 0.8)
    assert edges.right.tolist() == [1] and edges.similarity.tolist() == [0.8]


def test_connected_components_label_with_the_smallest_member() -> None:
    left = np.array([5, 1, 3, 8, 9], dtype=np.int64)
    right = np.array([6, 5, 4, 9, 3], dtype=np.int64)
    labels = connected_components(10, left, right)
    assert labels.tolist() == [0, 1, 2, 3, 3, 1, 1, 7, 3, 3]


def test_keeper_rule_quality_then_priority_then_hash_then_uid() -> None:
    label = np.zeros(5, dtype=np.int64)
    words = np.array([[3, 0, 0, 0], [2, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 9]])
    rank = np.array([0, 0, 1, 0, 2])
    line = np.array([1, 2, 3, 4, 5])

    def keeper(quality: list[float], priority: list[int]) -> int:
        clustering = choose_keepers(
            label, np.array(quality), np.array(priority), words.astype(np.uint64), rank, line
        )
        return int(clustering.keeper[0])

    assert keeper([0.1, 0.9, 0.2, 0.2, 0.2], [9, 0, 0, 0, 0]) == 1  # quality first
    assert keeper([0.5] * 5, [0, 3, 3, 3, 1]) == 3  # priority, then smaller hash, then uid
    assert keeper([0.5] * 5, [0, 0, 0, 0, 0]) == 4  # smallest content hash
