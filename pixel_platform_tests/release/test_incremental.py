"""A nightly build from the last build's caches (``release.input_cache``, ``release.scan_cache``)
publishes exactly what a full rebuild of the same inputs publishes: every shard, the compiled
file, the exports, quarantine, stats and the Bias/QA report byte for byte, the manifest equal
but for what names the build itself (build id, timings, memo and cache counters) and the input
files' local ETags."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.core.record import content_hash
from pixel_platform.registry.model import Registry
from pixel_platform.release import ReleaseResult
from pixel_platform.release.input_cache import SPLIT_PLACEHOLDER, Routed, fill_split, placeholder_at
from pixel_platform.release.layout import BIAS_QA, INPUT_CACHE_PREFIX
from pixel_platform.release.stats import RecordStats
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import build_from
from pixel_platform_tests.release.synthetic import (
    SyntheticInputs,
    _vocabulary,
    make_record,
    write_inputs,
)

NEW = 12  # records a night brings to one family
MENTION = " As a Muslim woman and an immigrant, I feel anxious."  # for the Bias/QA report


def _digests(store: LocalObjectStore, keys: list[str]) -> dict[str, str]:
    return {k: "sha256:" + hashlib.sha256(store.read_bytes(k)).hexdigest() for k in keys}


def _night(store: LocalObjectStore, registry: Registry, inputs: SyntheticInputs) -> str:
    """New records in one family's partition (one with repaired text); returns that family."""
    key = sorted(inputs.inputs)[1]
    family = key.split("/")[2]
    rng = random.Random(99)
    vocabulary = _vocabulary(rng)
    lines = [
        orjson.dumps(make_record(rng, vocabulary, family, registry, 1000 + i)) for i in range(NEW)
    ]
    repaired = orjson.loads(lines[0])
    repaired["metadata"]["repaired"] = {"turns": [1], "kinds": ["mojibake"]}
    lines[0] = orjson.dumps(repaired)
    for i in range(1, NEW, 3):  # a group mention in every third new record's first user turn
        record = orjson.loads(lines[i])
        record["messages"][1]["content"] += MENTION
        record["metadata"]["content_hash"] = content_hash(record["messages"])
        lines[i] = orjson.dumps(record)
    store.write_bytes(key, store.read_bytes(key) + b"\n".join(lines) + b"\n")
    inputs.accounting[family]["raw_in"] += NEW
    return family


def _builds(root: Path, registry: Registry, cached: bool) -> tuple[ReleaseResult, ...]:
    """v1 from the synthetic inputs, then v2 after a night's new records, in a bucket at
    ``root``; with the caches on (what a build does) or off (every input read, every shard
    scanned)."""
    store = LocalObjectStore(root)
    inputs = write_inputs(store, registry)
    options: dict[str, Any] = (
        {} if cached else {"input_cache_prefix": None, "scan_cache_prefix": None}
    )
    results = []
    for version in ("v1", "v2"):
        if version == "v2":
            _night(store, registry, inputs)
        digests = _digests(store, inputs.inputs)
        results.append(
            build_from(store, registry, inputs, version=version, input_digests=digests, **options)
        )
    return tuple(results)


VOLATILE_GATE_METADATA = ("seconds", "turns_clean_in_memo", "turns_scanned", "shards_from_cache")


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _comparable(manifest: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in manifest.items() if k != "build_id"}
    # A local store's ETag names the file's inode and time: two buckets never share one.
    for partition in out["inputs"]["partitions"]:
        partition.pop("etag")
    out["files"] = [f for f in manifest["files"] if f["path"] != "report.html"]
    for gate in out["gates"]["results"]:
        for key in VOLATILE_GATE_METADATA:
            gate["metadata"].pop(key, None)
    return out


def test_a_nightly_from_the_caches_equals_a_full_rebuild(
    tmp_path: Path, registry: Registry
) -> None:
    v1, nightly = _builds(tmp_path / "cached", registry, cached=True)
    _, full = _builds(tmp_path / "full", registry, cached=False)
    assert nightly.passed and full.passed
    partitions = len(nightly.manifest["inputs"]["partitions"])
    assert v1.inputs_from_cache == 0
    assert nightly.inputs_from_cache == partitions - 1  # only the changed partition was read
    assert full.inputs_from_cache == 0
    pii = next(g for g in nightly.gates if g.name == "pii").metadata
    shards = sum(1 for f in nightly.manifest["files"] if f["kind"] == "shard")
    assert 0 < pii["shards_from_cache"] < shards  # the changed family's shards were rescanned

    mine, theirs = tmp_path / "cached" / nightly.prefix, tmp_path / "full" / full.prefix
    files = sorted(p.relative_to(mine).as_posix() for p in mine.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(theirs).as_posix() for p in theirs.rglob("*") if p.is_file()
    )
    for path in files:
        if path not in ("manifest.json", "report.html"):
            assert (mine / path).read_bytes() == (theirs / path).read_bytes(), path
    assert _comparable(nightly.manifest) == _comparable(full.manifest)
    assert nightly.manifest["counts"]["total"] == v1.manifest["counts"]["total"] + NEW
    # The Bias/QA report is among the files compared, and counted the night's mentions.
    assert BIAS_QA in files
    bias = orjson.loads((mine / BIAS_QA).read_bytes())
    assert bias["records"] == nightly.manifest["counts"]["total"]
    assert bias["groups"]["religion/muslim"]["user_turns"] == len(range(1, NEW, 3))


def test_record_stats_round_trip_through_their_cached_state(registry: Registry) -> None:
    rng = random.Random(3)
    stats = RecordStats()
    vocabulary = _vocabulary(rng)
    for i in range(30):
        record = make_record(rng, vocabulary, "cptsd", registry, i)
        record["metadata"]["stage"], record["metadata"]["phase"] = "stage1_foundation", "B"
        if i % 4 == 0:
            record["metadata"]["repaired"] = {"turns": [1], "kinds": ["mojibake", "whitespace"]}
        stats.add(record, ["train", "val", "test"][i % 3])
    state = orjson.loads(orjson.dumps(stats.to_state()))
    assert RecordStats.from_state(state).as_dict() == stats.as_dict()
    assert stats.as_dict()["fidelity"]["total"]["repaired_by_kind"]["mojibake"] == 8
    routed = Routed(records=30, released=30, stats=stats)
    doc = orjson.loads(orjson.dumps(routed.document("k", "sha256:x", 10)))
    assert Routed.from_document(doc).stats.as_dict() == stats.as_dict()


def test_a_broken_input_cache_entry_is_read_again(tmp_path: Path, registry: Registry) -> None:
    """An entry cut short or not JSON lines counts as missing: the partition is read again and
    what was already copied from the entry is taken back out of the spill file."""
    store = LocalObjectStore(tmp_path)
    inputs = write_inputs(store, registry)
    digests = _digests(store, inputs.inputs)
    v1 = build_from(store, registry, inputs, version="v1", input_digests=digests)
    entries = sorted((tmp_path / INPUT_CACHE_PREFIX).rglob("*.jsonl"))
    assert len(entries) == len(inputs.inputs)
    cut = entries[0].read_bytes().splitlines(keepends=True)
    entries[0].write_bytes(b"".join(cut[:-1]))  # every record line, no closing document
    entries[1].write_bytes(b"[not json\n")
    v2 = build_from(store, registry, inputs, version="v2", input_digests=digests)
    assert v2.inputs_from_cache == len(inputs.inputs) - 2
    for f in v1.manifest["files"]:
        if f["kind"] in ("shard", "compiled", "stats", "quarantine", "export"):
            path = f["path"]
            assert store.read_bytes(v2.prefix + path) == store.read_bytes(v1.prefix + path), path


def test_the_split_fills_in_as_if_the_record_were_labelled_then_serialized() -> None:
    record: dict[str, Any] = {
        "messages": [{"role": "user", "content": "hello"}],
        "metadata": {"uid": "u1", "split": SPLIT_PLACEHOLDER, "stage": "s"},
    }
    expected = orjson.dumps({**record, "metadata": {**record["metadata"], "split": "val"}})
    body = orjson.dumps(record)
    assert placeholder_at(body) > 0
    assert fill_split(body, placeholder_at(body), "val") == expected
    # Within a longer text the placeholder's JSON (quotes included) cannot occur; a turn that is
    # exactly its characters makes it occur twice, and the split is set by parsing.
    record["messages"].append({"role": "assistant", "content": f"odd {SPLIT_PLACEHOLDER} text"})
    assert placeholder_at(orjson.dumps(record)) > 0
    record["messages"][0]["content"] = SPLIT_PLACEHOLDER
    expected = orjson.dumps({**record, "metadata": {**record["metadata"], "split": "test"}})
    body = orjson.dumps(record)
    assert placeholder_at(body) == -1
    assert fill_split(body, -1, "test") == expected
