"""Dedup keeps the copy the release can ship: the pipeline hands dedup the release's own rule
(``release.routing.exclusion_reason``), through real ingest, curation, dedup and release.

Real counsel-chat answers (the bundled MIT subset) in three families of a small test registry:
``counsel`` (priority 80, MIT), ``peer`` (priority 20, internal-owned) and ``nc`` (priority 90,
a non-commercial licence the commercial build excludes)."""

from __future__ import annotations

import csv
import hashlib
import random
from typing import Any

import orjson
import pytest

from pixel_platform.curation.config import CurationConfig
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.curate import curate_partition
from pixel_platform.pipeline.dedup import deduplicate
from pixel_platform.pipeline.partition import process_partition
from pixel_platform.pipeline.release import build_pipeline_release
from pixel_platform.pipeline.snapshot import refresh_snapshot
from pixel_platform.registry.model import Registry, load_registry
from pixel_platform.release.layout import QUARANTINE, key_in
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.curation.dedup.real_text import SAMPLE_CSV, edited

REGISTRY = """
version: 1
defaults: {min_turns: 2, max_turn_chars: 32000}
licenses:
  MIT: {name: MIT License, commercial: true}
  internal-owned: {name: Owned by the team, commercial: true}
  CC-BY-NC-4.0: {name: Attribution-NonCommercial 4.0, commercial: false}
families:
  counsel:
    stage: stage1_foundation
    priority: 80
    license: MIT
    fields: {question: [questionTitle, questionText], answer: [answerText]}
    sources: [{prefix: raw/counsel/, format: qa}]
  peer:
    stage: stage1_foundation
    priority: 20
    license: internal-owned
    roles: {seeker: user, supporter: assistant}
    sources: [{prefix: raw/peer/}]
  nc:
    stage: stage1_foundation
    priority: 90
    license: CC-BY-NC-4.0
    roles: {seeker: user, supporter: assistant}
    sources: [{prefix: raw/nc/}]
"""
SOURCES = {"counsel": "raw/counsel/", "peer": "raw/peer/", "nc": "raw/nc/"}
ROWS = 8  # rows of the counsel-chat subset; rows 0-3 get copies elsewhere


def _peer(user: str, assistant: str) -> bytes:
    turns = [{"role": "seeker", "content": user}, {"role": "supporter", "content": assistant}]
    return orjson.dumps({"conversation": turns}) + b"\n"


def _mark_for_review(store: LocalObjectStore, family: str, rows: set[int]) -> None:
    """Flag chosen curated records for PII review (as the redactor would), keeping the curated
    stats' sha256 in step so dedup reads the file as it is."""
    key = layout.curated_key(family, SOURCES[family])
    records = [orjson.loads(line) for line in store.read_bytes(key).splitlines()]
    for i in rows:
        records[i]["metadata"]["pii_status"] = "requires_review"
    data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    store.write_bytes(key, data)
    stats_key = layout.curated_stats_key(family, SOURCES[family])
    stats = orjson.loads(store.read_bytes(stats_key))
    stats["output"]["sha256"] = hashlib.sha256(data).hexdigest()
    store.write_bytes(stats_key, orjson.dumps(stats))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalObjectStore, Registry]:
    root = tmp_path_factory.mktemp("keepers")
    (root / "registry.yaml").write_text(REGISTRY)
    registry = load_registry(root / "registry.yaml")
    store = LocalObjectStore(root / "bucket")
    with SAMPLE_CSV.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [next(reader) for _ in range(ROWS)]
    lines = [header, *rows]
    with (root / "cc.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(lines)
    store.write_bytes("raw/counsel/cc.csv", (root / "cc.csv").read_bytes())
    field = {name: i for i, name in enumerate(header)}

    def turns(row: list[str]) -> tuple[str, str]:
        user = "\n\n".join(
            x for x in (row[field["questionTitle"]], row[field["questionText"]]) if x
        )
        return user, row[field["answerText"]]

    rng = random.Random(1)
    peer = [
        _peer(*turns(rows[0])),  # an exact copy of counsel row 0
        _peer(*(edited(rng, text, 0.03) for text in turns(rows[1]))),  # a light edit of row 1
        _peer(*turns(rows[2])),  # an exact copy of row 2
    ]
    store.write_bytes("raw/peer/p.jsonl", b"".join(peer))
    store.write_bytes("raw/nc/n.jsonl", _peer(*turns(rows[3])))  # a copy of row 3, NC licence
    config = CurationConfig.load()
    for family, prefix in SOURCES.items():
        snapshot, _ = refresh_snapshot(store, family, prefix)
        process_partition(store, registry, family, snapshot)
        curate_partition(store, family, prefix, config)
    # Rows 0 and 1 of counsel await review (their peer twins are clean); row 2 awaits review in
    # both families: no copy of it can ship.
    _mark_for_review(store, "counsel", {0, 1, 2})
    _mark_for_review(store, "peer", {2})
    return store, registry


def _kept(store: LocalObjectStore) -> dict[str, list[dict[str, Any]]]:
    return {
        family: [
            orjson.loads(line)
            for line in store.read_bytes(layout.deduplicated_key(family, prefix)).splitlines()
        ]
        for family, prefix in SOURCES.items()
    }


def test_each_cluster_keeps_a_copy_the_release_can_ship(
    pipeline: tuple[LocalObjectStore, Registry],
) -> None:
    store, registry = pipeline
    stats = deduplicate(store, registry, CurationConfig.load().dedup).stats
    assert stats.dropped_exact + stats.dropped_near == 4
    assert stats.keepers_moved_to_releasable == 3  # rows 0, 1 (review) and 3 (licence)
    assert stats.clusters_without_releasable == 1  # row 2
    assert stats.not_releasable_by_reason == {
        "license_noncommercial": 1,
        "pii_requires_review": 4,
    }
    kept = _kept(store)
    assert len(kept["peer"]) == 2  # rows 0 and 1: the clean twins
    assert all(r["metadata"]["pii_status"] != "requires_review" for r in kept["peer"])
    assert kept["nc"] == []  # row 3 stays with counsel (MIT), though nc has the higher priority
    # Row 2 has no copy that can ship: one is kept all the same, by the usual order (the
    # higher-priority counsel copy), so the release can count it as excluded.
    assert len(kept["counsel"]) == ROWS - 2
    review = [r for r in kept["counsel"] if r["metadata"]["pii_status"] == "requires_review"]
    assert len(review) == 1


def test_the_release_excludes_the_unshippable_keeper_with_its_reason(
    pipeline: tuple[LocalObjectStore, Registry],
) -> None:
    store, registry = pipeline
    deduplicate(store, registry, CurationConfig.load().dedup)
    result = build_pipeline_release(store, registry, CurationConfig.load(), force=True)
    entries = [
        orjson.loads(line)
        for line in store.read_bytes(key_in(result.prefix, QUARANTINE)).splitlines()
    ]
    assert [(e["family"], e["reason"]) for e in entries] == [("counsel", "pii_requires_review")]
    released = result.manifest["counts"]["by_family"]
    assert released == {"counsel": ROWS - 3, "peer": 2}
    accounting = result.manifest["accounting"]
    assert accounting["counsel"]["dedup_dropped"] == {"exact": 1, "near": 1}  # rows 0 and 1
    assert accounting["nc"]["dedup_dropped"] == {"exact": 1}  # row 3
    assert accounting["peer"]["dedup_dropped"] == {"exact": 1}  # row 2
