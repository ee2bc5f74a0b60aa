"""The gates' shared shard scan (``release.scan``): merged per-shard partials equal one pass.

The session's release has many small shards (``SHARD_MAX_BYTES``), so merging across shards is
exercised on every gate; a tampered copy makes several gates report violations with examples.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.release import GateContext, run_gates
from pixel_platform.release import scan as scan_module
from pixel_platform.release.curriculum import load_curriculum
from pixel_platform.release.expectations import Check, run_checks
from pixel_platform.release.results import Violations
from pixel_platform.release.scan import EventLog, ExpectationBatches, ScanSettings
from pixel_platform.release.view import ReleaseView
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import Built


def _results(built: Built, release_dir: Path, workers: int | None) -> list[dict[str, Any]]:
    store = LocalObjectStore(release_dir)
    manifest = orjson.loads((release_dir / "manifest.json").read_bytes())
    ctx = GateContext.from_manifest(built.registry, manifest)
    ctx = replace(ctx, scan_workers=workers)
    out = []
    for gate in run_gates(store, "", ctx):
        entry = gate.to_dict()
        entry["metadata"].pop("seconds")
        out.append(entry)
    return out


def _tamper(release_dir: Path) -> None:
    """Break records in several shards: a hash, a missing provenance field, a wrong split label,
    a planted e-mail address and an unparseable line."""
    shards = sorted((release_dir / "shards" / "train").glob("*.jsonl"))
    assert len(shards) >= 3, "the session release should have several train shards"
    for n, path in enumerate(shards[:3]):
        lines = path.read_bytes().splitlines()
        first = orjson.loads(lines[0])
        first["metadata"]["content_hash"] = "sha256:" + "0" * 64
        first["metadata"]["provenance"].pop("license", None)
        second = orjson.loads(lines[1]) if len(lines) > 1 else first
        second["metadata"]["split"] = "val"
        second["messages"][-1]["content"] += f" write to someone{n}@example.org"
        lines[0] = orjson.dumps(first)
        if len(lines) > 1:
            lines[1] = orjson.dumps(second)
        lines.append(b"{not json")
        path.write_bytes(b"\n".join(lines) + b"\n")


def test_a_scan_over_a_process_pool_gives_the_sequential_results(
    built: Built, tmp_path: Path
) -> None:
    release_dir = tmp_path / "release"
    shutil.copytree(built.release_dir, release_dir)
    _tamper(release_dir)
    sequential = _results(built, release_dir, workers=1)
    pooled = _results(built, release_dir, workers=2)
    assert pooled == sequential
    failed = {g["name"] for g in sequential if not g["passed"]}
    assert {"hash", "provenance", "split", "pii"} <= failed
    assert {"coverage", "distribution", "accounting", "fidelity"}.isdisjoint(failed)
    pii = next(g for g in sequential if g["name"] == "pii")
    assert pii["violations"]["pii_email_address"] == 3
    assert len(pii["examples"]) >= 3  # examples from three shards, merged


def test_one_scan_serves_every_gate(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[frozenset[str]] = []
    real = scan_module.scan_release

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr("pixel_platform.release.view.scan_release", counting)
    store = LocalObjectStore(built.release_dir)
    manifest = orjson.loads((built.release_dir / "manifest.json").read_bytes())
    run_gates(store, "", GateContext.from_manifest(built.registry, manifest))
    assert calls == [frozenset(scan_module.PARTS)]


def test_a_gate_run_alone_scans_only_for_its_part(built: Built) -> None:
    view = ReleaseView(LocalObjectStore(built.release_dir), "")
    manifest = orjson.loads((built.release_dir / "manifest.json").read_bytes())
    ctx = GateContext.from_manifest(built.registry, manifest)
    assert view.scan(ctx, frozenset({"split"})).parts == {"split"}
    assert view.scan(ctx, frozenset({"split"})) is view.scan(ctx, frozenset())
    assert view.scan(ctx, frozenset({"stats"})).parts == {"split", "stats"}


def test_event_logs_replayed_in_order_equal_one_collector() -> None:
    rng = random.Random(7)
    kinds = ["a", "b", "c", "d"]
    events = [(rng.choice(kinds), rng.random() < 0.8, i) for i in range(400)]
    whole = Violations("g", max_examples=13)
    for kind, with_example, i in events:
        whole.add(kind, {"i": i} if with_example else None)
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(events)), rng.randint(1, 12)))
        merged = Violations("g", max_examples=13)
        for start, stop in zip([0, *cuts], [*cuts, len(events)], strict=True):
            shard = EventLog()
            for kind, with_example, i in events[start:stop]:
                shard.add(kind, {"i": i} if with_example else None)
            shard.replay(merged)
        assert merged.result().to_dict() == whole.result().to_dict()


def test_expectations_in_batches_equal_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"uid": f"u{i}", "split": ["train", "val", "bogus", None][i % 4]} for i in range(40)]
    checks = [
        Check("bad", "ExpectColumnValuesToBeInSet", "split", {"value_set": ["train", "val"]}),
        Check("missing", "ExpectColumnValuesToNotBeNull", "split"),
    ]
    whole = run_checks(rows, checks)
    monkeypatch.setattr(scan_module, "GX_BATCH_ROWS", 7)
    batches = ExpectationBatches(checks)
    for start in range(0, len(rows), 5):
        chunk = rows[start : start + 5]
        batches.extend({name: [r[name] for r in chunk] for name in ("uid", "split")})
    assert batches.outcomes() == whole


def test_a_remote_store_travels_to_a_worker_as_its_settings(
    s3_server: Any, s3_bucket: str, tmp_path: Path, built: Built
) -> None:
    """The pool's workers open the bucket again from the settings the store was opened with
    (a boto3 client does not pickle); the worker's store reads what the parent wrote."""
    store = open_store(s3_server.settings(s3_bucket, cache_dir=tmp_path / "cache"))
    store.write_bytes("probe/one.txt", b"written by the parent")
    ctx = GateContext(registry=built.registry, curriculum=load_curriculum())
    blob = ScanSettings(store, "", ctx, frozenset({"hash"})).portable()
    arrived = ScanSettings.arrived(blob)
    assert arrived.store is not store and arrived.parts == {"hash"}
    assert arrived.store.read_bytes("probe/one.txt") == b"written by the parent"


def test_the_duplicate_index_grouped_on_disk_equals_the_one_in_memory(
    built: Built, tmp_path: Path
) -> None:
    """Past ``in_memory_max_records`` the gates' LSH buckets are grouped on disk (as dedup does,
    from a signature file read a chunk at a time): the same exact groups and near pairs."""
    release_dir = tmp_path / "release"
    shutil.copytree(built.release_dir, release_dir)
    train = sorted((release_dir / "shards" / "train").glob("*.jsonl"))[0]
    shards = release_dir / "shards"
    other = next(p for split in ("val", "test") for p in (shards / split).glob("*.jsonl"))
    source = orjson.loads(train.read_bytes().splitlines()[0])
    lines = other.read_bytes().splitlines()
    copy = orjson.loads(lines[0])
    copy["messages"] = source["messages"]  # a train conversation again in another split
    edited = orjson.loads(lines[-1])
    edited["messages"] = [dict(m) for m in source["messages"]]
    edited["messages"][-1]["content"] += " Take care."  # and a near copy of it
    lines[0], lines[-1] = orjson.dumps(copy), orjson.dumps(edited)
    other.write_bytes(b"\n".join(lines) + b"\n")
    manifest = orjson.loads((release_dir / "manifest.json").read_bytes())
    ctx = GateContext.from_manifest(built.registry, manifest)
    on_disk_ctx = replace(ctx, dedup=replace(ctx.dedup, in_memory_max_records=16))

    def index(gate_ctx: GateContext) -> Any:
        view = ReleaseView(LocalObjectStore(release_dir), "")
        return view.scan(gate_ctx, frozenset({"duplicates"})).duplicates

    in_memory, on_disk = index(ctx), index(on_disk_ctx)
    assert len(in_memory.uids) > 16  # so the second really went to disk
    assert on_disk.uids == in_memory.uids and on_disk.hashes == in_memory.hashes
    assert on_disk.near_left.tolist() == in_memory.near_left.tolist()
    assert on_disk.near_right.tolist() == in_memory.near_right.tolist()
    assert on_disk.near_similarity.tolist() == in_memory.near_similarity.tolist()
    assert in_memory.near_left.size >= 1  # the planted near copy was found
