"""The build's cache of shard scans (``release.scan_cache``): a gate run from cached scans gives
exactly the results of a full scan, and a shard whose bytes differ is scanned again."""

from __future__ import annotations

import shutil
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from pixel_platform.release import GateContext, run_gates
from pixel_platform.release.scan import PARTS, ScanSettings, scan_shard
from pixel_platform.release.scan_cache import ScanCache, context_key, from_npz, to_npz
from pixel_platform.release.view import ReleaseView
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import Built
from pixel_platform_tests.release.test_scan import _tamper

CACHE = "cache/gate_scans/"


def _run(release_dir: Path, built: Built, cached: bool) -> tuple[list[Any], int]:
    """Every gate's result (without timings and cache counters) and shards taken from cache.
    The cache is beside the release (``release_dir``'s parent is the bucket)."""
    store = LocalObjectStore(release_dir.parent)
    manifest = orjson.loads((release_dir / "manifest.json").read_bytes())
    ctx = GateContext.from_manifest(built.registry, manifest)
    ctx = replace(ctx, scan_workers=1, scan_cache_prefix=CACHE if cached else None)
    out, from_cache = [], 0
    for gate in run_gates(store, release_dir.name, ctx):
        entry = gate.to_dict()
        entry["metadata"].pop("seconds")
        from_cache = entry["metadata"].pop("shards_from_cache", from_cache)
        out.append(entry)
    return out, from_cache


def test_cached_scans_give_the_full_scan_results(built: Built, tmp_path: Path) -> None:
    release_dir = tmp_path / "release"
    shutil.copytree(built.release_dir, release_dir)
    _tamper(release_dir)  # three shards differ from the manifest's digests; gates fail
    shards = len(list((release_dir / "shards").rglob("*.jsonl")))
    full, _ = _run(release_dir, built, False)
    assert {g["name"] for g in full if not g["passed"]} >= {"hash", "provenance", "pii"}

    first, hits = _run(release_dir, built, True)
    assert (first, hits) == (full, 0)
    cached = list((tmp_path / CACHE).rglob("*.npz"))
    assert len(cached) == shards  # one entry per shard, nothing else left behind

    second, hits = _run(release_dir, built, True)
    assert second == full
    # The tampered shards' bytes are not what the manifest records: never taken from the cache.
    assert hits == shards - 3

    # A shard changed since: scanned again, and its violation is reported.
    shard = sorted((release_dir / "shards" / "val").glob("*.jsonl"))[0]
    lines = shard.read_bytes().splitlines()
    shard.write_bytes(b"\n".join([*lines, b"{broken"]) + b"\n")
    third, hits = _run(release_dir, built, True)
    assert third == _run(release_dir, built, False)[0]
    assert hits == shards - 4
    hash_gate = next(g for g in third if g["name"] == "hash")
    assert any(e.get("file") == shard.relative_to(release_dir).as_posix()
               for e in hash_gate["examples"])  # fmt: skip


def test_a_shard_scan_round_trips_through_its_cache_format(built: Built) -> None:
    store = LocalObjectStore(built.release_dir)
    manifest = orjson.loads((built.release_dir / "manifest.json").read_bytes())
    ctx = GateContext.from_manifest(built.registry, manifest)
    view = ReleaseView(store, "")
    path = view.shard_paths["train"][0]
    scan = scan_shard(ScanSettings(store, "", ctx, frozenset(PARTS)), path, "train")
    back = from_npz(to_npz(scan))
    for f in fields(scan):
        mine, theirs = getattr(scan, f.name), getattr(back, f.name)
        if f.name == "memo_hits":
            assert theirs == scan.turns  # a cached shard's turns are not scanned again
        elif f.name == "signatures":
            assert np.array_equal(mine, theirs)
        elif f.name == "stats":
            assert mine.as_dict() == theirs.as_dict()
        elif f.name == "logs":
            assert {g: (e.events, e.counts) for g, e in mine.items()} == {
                g: (e.events, e.counts) for g, e in theirs.items()
            }
        elif f.name == "clean_digests":
            assert [d.tolist() for d in mine] in ([], [])  # no memo in this scan
        else:
            assert mine == theirs, f.name


def test_an_unreadable_entry_counts_as_missing(built: Built, tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    ctx = GateContext.from_manifest(
        built.registry, orjson.loads((built.release_dir / "manifest.json").read_bytes())
    )
    cache = ScanCache(store, CACHE, context_key(ctx, PARTS))
    store.write_bytes("shard.jsonl", b"{}\n")
    store.write_bytes(cache.object_key("shard.jsonl", "sha256:x"), b"not an npz")
    entry = cache.object_key("shard.jsonl", "sha256:x")
    assert cache.find("shard.jsonl", None, "shard.jsonl") is None
    assert cache.find("shard.jsonl", "sha256:x", "shard.jsonl") is None  # bytes differ
    assert cache.load(entry, "shard.jsonl", "sha256:x") is None  # not an npz
