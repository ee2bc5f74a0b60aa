"""Config loading, the S-curve, bucket pairing, the estimate floor, exact Jaccard and connected
components."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.curation.dedup import DedupConfig
from pixel_platform.curation.dedup.clusters import (
    choose_keepers,
    connected_components,
    keeper_order,
)
from pixel_platform.curation.dedup.lsh import CandidateStats, LowBytes, bucket_pairs, plausible
from pixel_platform.curation.dedup.verify import ShingleSets, estimate_floor


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
    config = DedupConfig()
    assert config.candidate_probability(config.threshold) > 0.995
    assert config.candidate_probability(config.threshold - 0.05) > 0.98
    # Unrelated texts (2-word-shingle Jaccard of a few percent) are rarely proposed.
    assert config.candidate_probability(0.05) < 0.001


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


def test_estimate_floor_loses_a_pair_at_the_threshold_with_probability_at_most_1e6() -> None:
    from math import comb

    for threshold in (0.5, 0.55, 0.8):
        need = estimate_floor(threshold, 128)

        def below(m: int, t: float = threshold) -> float:  # P(Binomial(128, t) < m)
            return sum(comb(128, i) * t**i * (1 - t) ** (128 - i) for i in range(m))

        assert below(need) <= 1e-6 < below(need + 1)
        assert need < threshold * 128  # well below the mean: a floor, not an estimate
    assert estimate_floor(1.0, 128) == 128


def test_plausible_drops_only_pairs_below_the_floor() -> None:
    config = DedupConfig(threshold=0.55)
    need = estimate_floor(0.55, 128)
    signatures = np.zeros((3, 128), dtype=np.uint32)
    signatures[1, need:] = 1  # agrees with row 0 on exactly `need` values
    signatures[2, need - 1 :] = 1  # one fewer
    left, right = plausible(signatures, np.array([0, 0]), np.array([1, 2]), config)
    assert (left.tolist(), right.tolist()) == ([0], [1])


def test_low_bytes_never_agree_less_than_the_signatures() -> None:
    rng = np.random.default_rng(0)
    signatures = rng.integers(0, 2**32, (50, 128), dtype=np.uint64).astype(np.uint32)
    signatures[7] = signatures[3]
    signatures[7, :40] += 1  # 88 equal values
    low = LowBytes(50, 128)
    low.fill(0, signatures[:20])
    low.fill(20, signatures[20:])
    left, right = rng.integers(0, 50, 400), rng.integers(0, 50, 400)
    full = np.count_nonzero(signatures[left] == signatures[right], axis=1)
    cheap = np.count_nonzero(low[left] == low[right], axis=1)
    assert (cheap >= full).all()
    assert np.count_nonzero(low[[3]] == low[[7]]) >= 88


def test_exact_jaccard_of_stored_shingle_sets(tmp_path: Path) -> None:
    # Sets of documents 4, 9, 12, 30: {1,2,3,4}, {3,4,5}, {}, {10,20,30,40,50}, in two writes.
    docs = np.array([4, 9, 12, 30], dtype=np.int64)
    store = ShingleSets(tmp_path / "s.u32", docs)
    store.write(np.array([1, 2, 3, 4], np.uint32), np.array([4]))
    with pytest.raises(ValueError):
        store.write(np.zeros(1, np.uint32), np.array([1, 1, 1, 1]))  # five sets for four docs
    store.write(np.array([3, 4, 5], np.uint32), np.array([3]))
    store.write(np.array([10, 20, 30, 40, 50], np.uint32), np.array([0, 5]))
    store.finish()
    left = np.array([4, 4, 9, 12, 30, 4], dtype=np.int64)
    right = np.array([9, 30, 4, 30, 30, 4], dtype=np.int64)
    with store:
        got = store.jaccard(left, right)
        assert got.tolist() == [2 / 5, 0.0, 2 / 5, 0.0, 1.0, 1.0]
        with pytest.raises(KeyError):
            store.jaccard(np.array([4]), np.array([5]))
    assert not (tmp_path / "s.u32").exists()


def test_exact_jaccard_in_chunks_equals_python_sets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pixel_platform.curation.dedup import verify

    monkeypatch.setattr(verify, "CHUNK_ELEMENTS", 50)  # many chunks, some with a single pair
    rng = np.random.default_rng(1)
    docs = np.arange(0, 120, 2, dtype=np.int64)
    sets = [np.unique(rng.integers(0, 60, rng.integers(0, 40))).astype(np.uint32) for _ in docs]
    store = ShingleSets(tmp_path / "s.u32", docs)
    store.write(np.concatenate(sets), np.array([s.size for s in sets]))
    store.finish()
    a, b = rng.integers(0, docs.size, 300), rng.integers(0, docs.size, 300)
    expected = [
        len(set(sets[i]) & set(sets[j])) / max(1, len(set(sets[i]) | set(sets[j])))
        for i, j in zip(a.tolist(), b.tolist(), strict=True)
    ]
    with store:
        assert np.allclose(store.jaccard(docs[a], docs[b]), expected)


def test_connected_components_label_with_the_smallest_member() -> None:
    left = np.array([5, 1, 3, 8, 9], dtype=np.int64)
    right = np.array([6, 5, 4, 9, 3], dtype=np.int64)
    labels = connected_components(10, left, right)
    assert labels.tolist() == [0, 1, 2, 3, 3, 1, 1, 7, 3, 3]


def _keepers(
    representative: list[int],
    edges: list[tuple[int, int]],
    quality: list[float],
    priority: list[int],
    releasable: list[bool] | None = None,
    words: np.ndarray | None = None,
    similar_extra: frozenset[tuple[int, int]] = frozenset(),
) -> list[int]:
    """Keepers; texts are similar along ``edges`` and ``similar_extra`` (pairs LSH did not
    report, as in a big bucket's chain)."""
    n = len(representative)
    if words is None:
        words = np.array([[i, 0, 0, 0] for i in range(n)])
    order = keeper_order(
        np.array(quality, dtype=float),
        np.array(priority),
        words.astype(np.uint64),
        np.zeros(n, dtype=np.int64),
        np.arange(n),
        None if releasable is None else np.array(releasable),
    )
    left = np.array([e[0] for e in edges], dtype=np.int64)
    right = np.array([e[1] for e in edges], dtype=np.int64)
    pairs = {(a, b) for a, b in edges} | {(b, a) for a, b in edges} | similar_extra

    def similar(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.array([(x, y) in pairs for x, y in zip(a.tolist(), b.tolist(), strict=True)])

    clustering = choose_keepers(np.array(representative), left, right, order, similar)
    return clustering.keeper.tolist()


def test_keeper_rule_quality_then_priority_then_hash_then_uid() -> None:
    same = [0, 0, 0, 0, 0]  # five exact copies
    words = np.array([[3, 0, 0, 0], [2, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 9]])
    assert _keepers(same, [], [0.1, 0.9, 0.2, 0.2, 0.2], [9, 0, 0, 0, 0], words=words) == [1] * 5
    # priority, then the smaller hash, then the smaller uid (line)
    assert _keepers(same, [], [0.5] * 5, [0, 3, 3, 3, 1], words=words) == [2] * 5
    assert _keepers(same, [], [0.5] * 5, [0] * 5, words=words) == [4] * 5


def test_keeper_rule_puts_a_releasable_record_first() -> None:
    texts, edges = [0, 1, 2], [(0, 1), (0, 2), (1, 2)]  # three near-duplicates
    quality, priority = [0.9, 0.5, 0.5], [10, 0, 5]
    assert _keepers(texts, edges, quality, priority) == [0, 0, 0]
    assert _keepers(texts, edges, quality, priority, [True] * 3) == [0, 0, 0]
    assert _keepers(texts, edges, quality, priority, [False, True, True]) == [2, 2, 2]
    assert _keepers(texts, edges, quality, priority, [False, True, False]) == [1, 1, 1]
    # None can ship: still one keeper, by the usual order.
    assert _keepers(texts, edges, quality, priority, [False] * 3) == [0, 0, 0]


def test_a_chain_of_edits_is_not_dropped_through_its_middle() -> None:
    """A~B and B~C verified, A and C apart: with A the best, C is not a duplicate of A."""
    texts, chain = [0, 1, 2], [(0, 1), (1, 2)]
    assert _keepers(texts, chain, [0.9, 0.5, 0.1], [0, 0, 0]) == [0, 0, 2]
    # With B the best, both ends are its verified duplicates.
    assert _keepers(texts, chain, [0.5, 0.9, 0.1], [0, 0, 0]) == [1, 1, 1]
    # Exact copies travel with their text: C's copy (record 3) stays with C.
    assert _keepers([0, 1, 2, 2], chain, [0.9, 0.5, 0.1, 0.2], [0] * 4) == [0, 0, 3, 3]
    # Singletons keep themselves and are not in the loop.
    assert _keepers([0, 1], [], [0.1, 0.2], [0, 0]) == [0, 1]


def test_keepers_look_past_the_edges_lsh_reported() -> None:
    """A big bucket reports a chain (0-1, 1-2, 2-3), yet all four are similar: the best (3)
    keeps them all; a component of two clusters needs a second round."""
    chain = [(0, 1), (1, 2), (2, 3)]
    everything = frozenset({(a, b) for a in range(4) for b in range(4) if a != b})
    quality = [0.1, 0.2, 0.3, 0.9]
    assert _keepers([0, 1, 2, 3], chain, quality, [0] * 4, similar_extra=everything) == [3] * 4
    assert _keepers([0, 1, 2, 3], chain, quality, [0] * 4) == [1, 1, 3, 3]
