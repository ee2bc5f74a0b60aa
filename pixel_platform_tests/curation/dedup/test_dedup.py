"""End to end on a planted corpus: quality of the near-dup pass, accounting, paths, reuse."""

from __future__ import annotations

import hashlib
import io
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import orjson
import polars as pl
import pytest

from pixel_platform.core.errors import ConfigError, TerminalError
from pixel_platform.core.reasons import Reason
from pixel_platform.core.steps import ListQuarantine
from pixel_platform.curation.dedup import (
    DedupConfig,
    DedupInput,
    DedupResult,
    filter_partition,
    iter_kept,
    load_decisions,
    run_dedup,
)
from pixel_platform.curation.dedup.text import canonical_text, dialogue_text, reference_shingles
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.curation.dedup.planted import PlantedCorpus, build_corpus

PRIORITY = {"fam_a": 10, "fam_b": 5}
WORK = "pipeline/dedup/run"


@dataclass
class Run:
    store: LocalObjectStore
    corpus: PlantedCorpus
    inputs: list[DedupInput]
    result: DedupResult

    def cluster_of(self) -> dict[str, str]:
        """uid -> cluster_id for every record, kept or dropped, from the decisions files."""
        out = {}
        for prefix, key in self.result.decisions_keys.items():
            frame = pl.read_parquet(io.BytesIO(self.store.read_bytes(key)))
            for line, cluster_id in frame.select("line", "cluster_id").iter_rows():
                out[f"{prefix}:{line}"] = cluster_id
        return out

    def log(self) -> list[dict]:
        data = self.store.read_bytes(self.result.log_key)
        return [orjson.loads(line) for line in data.splitlines()]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    store = LocalObjectStore(tmp_path_factory.mktemp("dedup") / "bucket")
    corpus = build_corpus()
    inputs = corpus.write(store)
    result = run_dedup(store, inputs, DedupConfig(), family_priority=PRIORITY, work_prefix=WORK)
    yield Run(store, corpus, inputs, result)


def _pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {
        (a, b) if a < b else (b, a)
        for members in groups.values()
        for a, b in itertools.combinations(members, 2)
    }


def _jaccard(a: dict, b: dict) -> float:
    k = DedupConfig().shingle_size
    sa = set(reference_shingles(canonical_text(dialogue_text(a)), k))
    sb = set(reference_shingles(canonical_text(dialogue_text(b)), k))
    return len(sa & sb) / len(sa | sb)


def test_planted_corpus_is_what_it_claims(planted: Run) -> None:
    """Edits stay above the threshold, boilerplate sharers far below it (exact Jaccard)."""
    threshold = DedupConfig().threshold
    by_group = defaultdict(list)
    for _, p in planted.corpus.all():
        by_group[p.group].append(p)
    edit_j = [
        _jaccard(o.record, e.record)
        for members in by_group.values()
        for o in members
        if o.kind == "original"
        for e in members
        if e.kind == "edit"
    ]
    assert len(edit_j) > 80 and min(edit_j) > threshold + 0.1
    boiler = [p.record for _, p in planted.corpus.all() if p.kind == "boilerplate"][:20]
    assert max(_jaccard(a, b) for a, b in itertools.combinations(boiler, 2)) < threshold - 0.3


def test_near_dup_precision_recall_and_duplicate_rate(planted: Run) -> None:
    cluster = planted.cluster_of()
    truth: dict[str, list[str]] = defaultdict(list)
    predicted: dict[str, list[str]] = defaultdict(list)
    kind = {}
    for uid, p in planted.corpus.all():
        truth[str(p.group)].append(uid)
        predicted[cluster[uid]].append(uid)
        kind[uid] = p.kind
    true_pairs, found = _pairs(truth), _pairs(predicted)
    near_true = {pair for pair in true_pairs if {kind[pair[0]], kind[pair[1]]} & {"edit", "form"}}
    near_found = {pair for pair in found if {kind[pair[0]], kind[pair[1]]} & {"edit", "form"}}
    recall = len(near_true & near_found) / len(near_true)
    precision = len(near_true & near_found) / len(near_found)
    assert recall >= 0.95, recall
    edits_true = {pair for pair in near_true if "edit" in {kind[pair[0]], kind[pair[1]]}}
    edits_recall = len(edits_true & near_found) / len(edits_true)
    assert edits_recall >= 0.95, edits_recall
    assert precision >= 0.99, precision
    assert len(true_pairs & found) / len(found) >= 0.99  # exact pairs included
    # Boilerplate sharers: no two in one cluster.
    boiler_clusters = [cluster[u] for u, k in kind.items() if k == "boilerplate"]
    assert len(set(boiler_clusters)) == len(boiler_clusters)
    # Duplicate rate after dedup, against the planted truth.
    kept = {uid for uid, _ in iter_kept(planted.store, planted.result)}
    group_of = {uid: p.group for uid, p in planted.corpus.all()}
    kept_groups = [group_of[u] for u in kept]
    still_dup = len(kept_groups) - len(set(kept_groups))
    assert still_dup / len(kept) < 0.001
    assert planted.result.stats.duplicate_rate_after == 0.0
    assert planted.result.stats.oversized_buckets > 0  # the form letters took the capped path


def test_accounting_and_log_entries(planted: Run) -> None:
    stats = planted.result.stats
    total = sum(len(r) for r in planted.corpus.partitions.values())
    assert stats.records_in == total == stats.kept + stats.dropped_exact + stats.dropped_near
    assert stats.clusters == stats.kept
    step = stats.step_stats()
    assert step.balanced and step.dropped[Reason.DUPLICATE_EXACT] == stats.dropped_exact
    assert step.dropped[Reason.DUPLICATE_NEAR] == stats.dropped_near

    cluster = planted.cluster_of()
    kept = dict(iter_kept(planted.store, planted.result))
    log = planted.log()
    assert len(log) == stats.dropped_exact + stats.dropped_near
    assert set(kept).isdisjoint(e["uid"] for e in log)
    assert set(kept) | {e["uid"] for e in log} == set(cluster)
    hash_of = {uid: p.record["metadata"]["content_hash"] for uid, p in planted.corpus.all()}
    for entry in log:
        assert set(entry) == {
            "uid", "content_hash", "family", "keeper_uid", "keeper_hash", "kind",
            "similarity", "cluster_id",
        }  # fmt: skip
        keeper = entry["keeper_uid"]
        assert keeper in kept and kept[keeper] == entry["cluster_id"] == entry["keeper_hash"]
        assert (
            hash_of[keeper] == entry["keeper_hash"]
            and hash_of[entry["uid"]] == entry["content_hash"]
        )
        if entry["kind"] == "exact":
            assert entry["content_hash"] == entry["keeper_hash"] and entry["similarity"] == 1.0
        else:
            assert entry["kind"] == "near" and entry["content_hash"] != entry["keeper_hash"]
            assert 0.5 < entry["similarity"] <= 1.0
    # Every cluster id is its keeper's content hash, singletons included.
    assert all(hash_of[uid] == cluster_id for uid, cluster_id in kept.items())
    summary = orjson.loads(planted.store.read_bytes(planted.result.summary_key))
    assert summary["stats"]["records_in"] == total
    assert DedupResult.load(planted.store, WORK) == planted.result


def test_keepers_follow_quality_then_priority_then_hash(planted: Run) -> None:
    records = {uid: p.record for uid, p in planted.corpus.all()}
    kept = dict(iter_kept(planted.store, planted.result))
    members: dict[str, list[str]] = defaultdict(list)
    for uid, cluster_id in planted.cluster_of().items():
        members[cluster_id].append(uid)

    def rank(uid: str) -> tuple:
        meta = records[uid]["metadata"]
        quality = (meta.get("quality") or {}).get("score") or 0.0
        family = meta["provenance"]["family"]
        prefix, line = uid.rsplit(":", 1)
        return (-quality, -PRIORITY.get(family, 0), meta["content_hash"], prefix, int(line))

    for cluster_id, uids in members.items():
        best = min(uids, key=rank)
        assert best in kept and records[best]["metadata"]["content_hash"] == cluster_id


def test_result_does_not_depend_on_input_order(planted: Run, tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "bucket")
    inputs = planted.corpus.write(store)
    result = run_dedup(
        store, list(reversed(inputs)), DedupConfig(), family_priority=PRIORITY, work_prefix=WORK
    )
    again = Run(store, planted.corpus, inputs, result)
    assert again.cluster_of() == planted.cluster_of()
    assert store.read_bytes(result.log_key) == planted.store.read_bytes(planted.result.log_key)


def test_on_disk_join_gives_the_same_clusters(planted: Run, tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "bucket")
    inputs = planted.corpus.write(store)
    config = DedupConfig(in_memory_max_records=100, work_dir=str(tmp_path / "scratch"))
    result = run_dedup(store, inputs, config, family_priority=PRIORITY, work_prefix=WORK)
    assert result.stats.join == "on_disk" and result.stats.shards > config.bands
    assert planted.result.stats.join == "in_memory"
    on_disk = Run(store, planted.corpus, inputs, result)
    assert on_disk.cluster_of() == planted.cluster_of()
    assert on_disk.log() == planted.log()
    # The in-memory join screens candidates on the signatures' low bytes, which can let a few
    # more hopeless pairs through to exact verification: the same edges, maybe more work.
    ignore = {"join", "shards", "timings", "partitions_hashed", "records_hashed"}
    ignore |= {"plausible_pairs", "verified_docs"}
    assert {k: v for k, v in result.stats.as_dict().items() if k not in ignore} == {
        k: v for k, v in planted.result.stats.as_dict().items() if k not in ignore
    }
    assert list((tmp_path / "scratch").iterdir()) == []  # scratch space cleaned up


def test_unchanged_partitions_are_not_hashed_again(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "bucket")
    corpus = build_corpus(seed=5, originals=60)
    inputs = corpus.write(store)
    config = DedupConfig()

    def run(inputs: list[DedupInput], config: DedupConfig = config) -> DedupResult:
        return run_dedup(store, inputs, config, family_priority=PRIORITY, work_prefix=WORK)

    first = run(inputs)
    assert (first.stats.partitions_hashed, first.stats.partitions_reused) == (len(inputs), 0)
    assert first.stats.records_hashed == first.stats.records_in

    second = run(inputs)
    assert (second.stats.partitions_hashed, second.stats.records_hashed) == (0, 0)
    assert second.stats.partitions_reused == len(inputs)
    assert store.read_bytes(second.log_key) == store.read_bytes(first.log_key)

    # A threshold change needs no new signatures; a shingle size change needs all of them.
    assert run(inputs, replace(config, threshold=0.9)).stats.records_hashed == 0
    assert run(inputs, replace(config, shingle_size=4)).stats.partitions_hashed == len(inputs)
    run(inputs)  # back to the default scheme

    # Change one partition: only it is hashed, and its old signature file goes away.
    changed = inputs[2]
    records = corpus.partitions[changed.uid_prefix]
    records.append(records[0])  # one more (exact) record
    data = b"".join(orjson.dumps(p.record, option=orjson.OPT_SORT_KEYS) + b"\n" for p in records)
    store.write_bytes(changed.key, data)
    inputs[2] = DedupInput(changed.uid_prefix, changed.key, hashlib.sha256(data).hexdigest())
    third = run(inputs)
    assert third.stats.partitions_hashed == 1 and third.stats.records_hashed == len(records)
    assert third.stats.partitions_reused == len(inputs) - 1
    assert third.stats.records_in == first.stats.records_in + 1
    assert third.stats.dropped_exact == first.stats.dropped_exact + 1
    keys = [o.key for o in store.list(f"{WORK}/signatures/{changed.uid_prefix}-")]
    assert keys == [third.signature_keys[changed.uid_prefix]]


def test_filter_partition_yields_kept_records_with_their_cluster(planted: Run) -> None:
    kept = dict(iter_kept(planted.store, planted.result))
    total_kept = 0
    for inp in planted.inputs:
        quarantine = ListQuarantine()
        out = list(filter_partition(planted.store, planted.result, inp, quarantine))
        decisions = load_decisions(planted.store, planted.result, inp.uid_prefix)
        assert len(out) == len(decisions.kept)
        assert len(quarantine.entries) == len(decisions.dropped)
        assert {e.reason for e in quarantine.entries} <= {"duplicate_exact", "duplicate_near"}
        for conversation in out:
            cluster_id = conversation.metadata["dedup"]["cluster_id"]
            assert cluster_id in set(kept.values())
        total_kept += len(out)
    assert total_kept == planted.result.stats.kept


def test_no_inputs_is_an_error_and_empty_partitions_are_fine(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "bucket")
    with pytest.raises(ConfigError, match="no partitions"):
        run_dedup(store, [], DedupConfig(), family_priority={}, work_prefix=WORK)
    store.write_bytes("p/empty.jsonl", b"")
    empty = DedupInput("fam/empty", "p/empty.jsonl", hashlib.sha256(b"").hexdigest())
    result = run_dedup(store, [empty], DedupConfig(), family_priority={}, work_prefix=WORK)
    assert (result.stats.records_in, result.stats.kept, result.stats.clusters) == (0, 0, 0)
    assert store.read_bytes(result.log_key) == b""
    assert load_decisions(store, result, "fam/empty").records == 0


def test_a_corrupt_processed_line_names_the_partition_and_line(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "bucket")
    good = orjson.dumps({"messages": [{"role": "user", "content": "hi"}], "metadata": {}})
    data = good + b"\n" + b'{"messages": [' + b"\n"
    store.write_bytes("p/bad.jsonl", data)
    bad = DedupInput("fam/bad", "p/bad.jsonl", hashlib.sha256(data).hexdigest())
    with pytest.raises(TerminalError, match="line 2"):
        run_dedup(store, [bad], DedupConfig(), family_priority={}, work_prefix=WORK)
