"""Near-duplicates on real counsel-chat text: light edits merge with their original, different
answers (to the same question, by the same therapist) stay apart, and a pair is decided on the
exact Jaccard of its shingle sets, not on the MinHash estimate."""

from __future__ import annotations

import io
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pytest

from pixel_platform.curation.dedup import DedupConfig, DedupResult, MinHasher, run_dedup
from pixel_platform.curation.dedup.text import canonical_text, dialogue_text, reference_shingles
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.curation.dedup.real_text import (
    answers,
    edited_messages,
    record,
    write_partition,
)

LEVELS = (0.02, 0.05, 0.10)
COPIES_PER_LEVEL = 40


def exact_jaccard(a: dict, b: dict, k: int) -> float:
    sa = set(reference_shingles(canonical_text(dialogue_text(a)), k))
    sb = set(reference_shingles(canonical_text(dialogue_text(b)), k))
    return len(sa & sb) / len(sa | sb)


def clusters(store: LocalObjectStore, result: DedupResult) -> dict[str, str]:
    out = {}
    for prefix, key in result.decisions_keys.items():
        frame = pl.read_parquet(io.BytesIO(store.read_bytes(key)))
        for line, cluster_id in frame.select("line", "cluster_id").iter_rows():
            out[f"{prefix}:{line}"] = cluster_id
    return out


@dataclass
class Corpus:
    store: LocalObjectStore
    inputs: list
    originals: list  # (uid, Answer)
    copies: list  # (uid, uid of its original, level)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    store = LocalObjectStore(tmp_path_factory.mktemp("real") / "bucket")
    originals = answers()
    rng = random.Random(7)
    copies, copy_records = [], []
    # One copy per original (two copies of one original need not be duplicates of each other).
    chosen = rng.sample(range(len(originals)), COPIES_PER_LEVEL * len(LEVELS))
    for number, level in enumerate(LEVELS):
        for i in chosen[number * COPIES_PER_LEVEL : (number + 1) * COPIES_PER_LEVEL]:
            copy_records.append(record(edited_messages(rng, originals[i].messages, level), "fam_b"))
            copies.append((f"fam_b/copies:{len(copy_records)}", f"fam_a/originals:{i + 1}", level))
    inputs = [
        write_partition(store, "fam_a/originals", [record(a.messages, "fam_a") for a in originals]),
        write_partition(store, "fam_b/copies", copy_records),
    ]
    uids = [(f"fam_a/originals:{i + 1}", a) for i, a in enumerate(originals)]
    yield Corpus(store, inputs, uids, copies)


def _run(corpus: Corpus, config: DedupConfig, prefix: str) -> dict[str, str]:
    result = run_dedup(corpus.store, corpus.inputs, config, family_priority={}, work_prefix=prefix)
    return clusters(corpus.store, result)


def test_light_edits_merge_with_their_original(corpus: Corpus) -> None:
    cluster = _run(corpus, DedupConfig(), "pipeline/dedup/new")
    for level in LEVELS:
        merged = [
            cluster[copy] == cluster[orig] for copy, orig, lvl in corpus.copies if lvl == level
        ]
        recall = sum(merged) / len(merged)
        assert recall >= (0.95 if level == 0.10 else 1.0), (level, recall)


def test_different_answers_stay_apart(corpus: Corpus) -> None:
    """No two of the 213 real answers share a cluster: not the 93 pairs of answers to one
    question (as conversations they share the whole question), nor one therapist's answers."""
    cluster = _run(corpus, DedupConfig(), "pipeline/dedup/new")
    k = DedupConfig().shingle_size
    same_question = [
        (a, b)
        for (ua, a), (ub, b) in itertools.combinations(corpus.originals, 2)
        if a.question == b.question
    ]
    assert len(same_question) > 80
    hardest = max(
        exact_jaccard({"messages": a.messages}, {"messages": b.messages}, k)
        for a, b in same_question
    )
    assert hardest > 0.5  # a long question, two answers: a real near-miss
    labels = [cluster[uid] for uid, _ in corpus.originals]
    assert len(set(labels)) == len(labels)


def test_the_old_settings_missed_these_edits(corpus: Corpus) -> None:
    """5-word shingles at 0.8 (the old default) lose most 5% edits: what the issue measured."""
    old = DedupConfig(shingle_size=5, bands=20, rows=6, threshold=0.8)
    cluster = _run(corpus, old, "pipeline/dedup/old")
    merged = [cluster[c] == cluster[o] for c, o, level in corpus.copies if level == 0.05]
    assert sum(merged) / len(merged) < 0.3


def _pairs_near_the_threshold(config: DedupConfig) -> tuple[list, list]:
    """Edited copies whose MinHash estimate and exact Jaccard fall on different sides of the
    threshold: (estimate >= t > exact) and (estimate < t <= exact)."""
    rng = random.Random(11)
    hasher = MinHasher(config)
    originals = answers()
    estimate_above, estimate_below = [], []
    for original in originals:
        for fraction in (0.13, 0.15, 0.17):
            a = record(original.messages, "fam_a")
            b = record(edited_messages(rng, original.messages, fraction), "fam_b")
            exact = exact_jaccard(a, b, config.shingle_size)
            sig, _ = hasher.signatures([dialogue_text(a), dialogue_text(b)])
            estimate = np.count_nonzero(sig[0] == sig[1]) / config.num_perm
            if estimate >= config.threshold > exact + 0.01:
                estimate_above.append((a, b, exact))
                break  # one pair per original: copies of one original would join up
            if exact >= config.threshold + 0.01 > estimate:
                estimate_below.append((a, b, exact))
                break
    return estimate_above[:5], estimate_below[:5]


def test_decisions_follow_exact_jaccard_not_the_estimate(tmp_path: Path) -> None:
    config = DedupConfig()
    above, below = _pairs_near_the_threshold(config)
    assert len(above) == 5 and len(below) == 5, "the search finds both kinds of pair"
    store = LocalObjectStore(tmp_path / "bucket")
    pairs = above + below
    inputs = [
        write_partition(store, "fam_a/p", [a for a, _, _ in pairs]),
        write_partition(store, "fam_b/p", [b for _, b, _ in pairs]),
    ]
    result = run_dedup(store, inputs, config, family_priority={"fam_a": 1}, work_prefix="w")
    cluster = clusters(store, result)
    for i, (_, _, exact) in enumerate(pairs, 1):
        same = cluster[f"fam_a/p:{i}"] == cluster[f"fam_b/p:{i}"]
        assert same == (exact >= config.threshold), (i, exact)
    log = [orjson.loads(x) for x in store.read_bytes(result.log_key).splitlines()]
    assert len(log) == len(below) == result.stats.near_pairs
    for entry in log:  # the logged similarity is the exact Jaccard
        i = int(entry["uid"].rsplit(":", 1)[1])
        assert entry["similarity"] == pytest.approx(pairs[i - 1][2], abs=1e-9)
