"""Curation and global dedup over partitions written by the real ingest pipeline."""

import dataclasses
from collections import Counter

import orjson
import pytest

from pixel_platform.curation.config import CurationConfig
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.curate import (
    curate_partition,
    read_conversations,
    read_curated_stats,
)
from pixel_platform.pipeline.dedup import deduplicate, read_dedup_stats
from pixel_platform.pipeline.partition import process_partition, read_partition_stats
from pixel_platform.pipeline.snapshot import refresh_snapshot
from pixel_platform.registry import load_registry
from pixel_platform.storage.local import LocalObjectStore

PSYCH8K = "gdrive/raw/Psych8k/"
ADDICTION = "gdrive/raw/addiction/"


def alpaca(i: int, extra: str = "") -> dict:
    return {
        "instruction": f"I have been feeling low for {i} weeks and my sleep is a mess. {extra}",
        "input": "",
        "output": (
            "I'm sorry it has been so heavy. Low mood and poor sleep often feed each other; "
            f"could we look at what your evenings look like right now? ({i})"
        ),
    }


@pytest.fixture
def corpus(local_store: LocalObjectStore) -> LocalObjectStore:
    records = [alpaca(i) for i in range(40)]
    records.append(alpaca(3))  # exact duplicate of record 3
    records.append(alpaca(7, "My email is jordan.alvarez@example.com, call 555-0142."))
    records.append(
        {
            "instruction": "I want to kill myself tonight. I have the pills saved up.",
            "input": "",
            "output": "Please call or text 988 right now, or go to the nearest emergency room.",
        }
    )
    records.append({"instruction": "ok", "input": "", "output": "ok ok ok ok ok ok ok ok"})
    local_store.write_bytes(PSYCH8K + "a.json", orjson.dumps(records))
    peer = {
        "conversation": [
            {"role": "seeker", "content": alpaca(3)["instruction"]},
            {"role": "supporter", "content": alpaca(3)["output"]},
        ]
    }
    local_store.write_bytes(ADDICTION + "p.jsonl", orjson.dumps(peer) + b"\n")
    registry = load_registry()
    for family, key in (("mental_health_datasets", PSYCH8K), ("addiction", ADDICTION)):
        snapshot, _ = refresh_snapshot(local_store, family, key)
        process_partition(local_store, registry, family, snapshot)
    return local_store


def test_curate_scores_tags_redacts_and_accounts(corpus: LocalObjectStore) -> None:
    config = CurationConfig.load()
    report = curate_partition(corpus, "mental_health_datasets", PSYCH8K, config)
    assert report.units_in == report.records_out + report.quarantined == 44
    assert report.quarantined_by_reason == {"low_quality": 1}
    assert report.balanced
    # the accounting carries ingest forward: raw units in, quarantined at every stage so far
    processed = read_partition_stats(corpus, "mental_health_datasets", PSYCH8K)
    assert processed is not None
    assert report.accounting.raw_in == processed.units_in
    assert report.accounting.quarantined == processed.quarantined_by_reason + Counter(
        {"low_quality": 1}
    )
    again = read_curated_stats(corpus, "mental_health_datasets", PSYCH8K)
    assert again is not None and again.as_dict() == report.as_dict()
    records = list(
        read_conversations(corpus, layout.curated_key("mental_health_datasets", PSYCH8K))
    )
    text = orjson.dumps([r.to_dict() for r in records]).decode()
    assert "jordan.alvarez@example.com" not in text and "555-0142" not in text
    assert "<EMAIL_1>" in text
    crisis = next(r for r in records if "kill myself" in r.messages[0]["content"])
    assert crisis.metadata["crisis"]["risk_level"] in {"high", "imminent"}
    assert "988" in crisis.messages[1]["content"]  # hotline survives redaction
    redacted = next(r for r in records if "<EMAIL_1>" in r.messages[0]["content"])
    assert (
        redacted.metadata["provenance"]["ingest_content_hash"] != redacted.metadata["content_hash"]
    )
    assert all(r.metadata["quality"]["score"] > 0 for r in records)


def test_global_dedup_across_families_is_incremental(corpus: LocalObjectStore) -> None:
    config = CurationConfig.load()
    registry = load_registry()
    curate_partition(corpus, "mental_health_datasets", PSYCH8K, config)
    curate_partition(corpus, "addiction", ADDICTION, config)
    dry = deduplicate(corpus, registry, config.dedup, write_outputs=False)
    assert dry.dry_run and not corpus.exists(layout.deduplicated_key("addiction", ADDICTION))
    stats = deduplicate(corpus, registry, config.dedup)
    # record 3 appears twice in Psych8k and once (as a turn list) in addiction: two drops
    assert stats.stats.dropped_exact == 2
    assert stats.balanced
    # every raw unit of each family is accounted for so far: kept here, or dropped on the way
    for family, books in stats.accounting().items():
        kept_here = sum(p.records_out for p in stats.partitions if p.family == family)
        assert books.raw_in == kept_here + books.accounted, family
    dropped = sum((books.dedup_dropped for books in stats.accounting().values()), Counter())
    assert dropped == Counter(exact=stats.stats.dropped_exact, near=stats.stats.dropped_near)
    kept = [
        orjson.loads(line)
        for family, key in (("mental_health_datasets", PSYCH8K), ("addiction", ADDICTION))
        for line in corpus.read_bytes(layout.deduplicated_key(family, key)).splitlines()
    ]
    assert len(kept) == stats.stats.kept
    assert all(r["metadata"]["dedup"]["cluster_id"] for r in kept)
    stored = read_dedup_stats(corpus)
    assert stored is not None and stored.as_dict() == stats.as_dict()
    assert stats.family_counts()["addiction"]["in"] == 1
    again = deduplicate(corpus, registry, config.dedup)
    assert again.up_to_date and again.stats.kept == stats.stats.kept, "same inputs: nothing redone"
    # A setting that changes results (not signatures): a real run, every signature reused.
    stricter = dataclasses.replace(config.dedup, threshold=0.9)
    rerun = deduplicate(corpus, registry, stricter)
    assert not rerun.up_to_date
    assert rerun.stats.partitions_hashed == 0 and rerun.stats.partitions_reused == 2
    # An output that went missing is rebuilt, not trusted.
    corpus.delete(layout.deduplicated_key("addiction", ADDICTION))
    rebuilt = deduplicate(corpus, registry, stricter)
    assert not rebuilt.up_to_date and corpus.exists(
        layout.deduplicated_key("addiction", ADDICTION)
    )
