"""Where pixel_platform writes, as object keys in the same bucket it reads.

Everything it writes lives under ``pipeline/`` (or ``exports/`` for releases), never under an input
prefix, so outputs are never read back as inputs and a source prefix stays a pure mirror of GDrive.
"""

from __future__ import annotations

from pixel_platform.storage.keys import join_key

PIPELINE_ROOT = "pipeline"
SYNC_MARKER_KEY = "gdrive/raw/_SYNC_COMPLETE.json"


def partition_slug(partition_key: str) -> str:
    """A path-safe name for a partition: ``gdrive/raw/Psych8k/`` -> ``gdrive__raw__Psych8k``."""
    return partition_key.strip("/").replace("/", "__")


def _partition_key(stage: str, family: str, partition_key: str, *names: str) -> str:
    """``pipeline/<stage>/<family>/<partition slug>[/<names>…]``."""
    return join_key(PIPELINE_ROOT, stage, family, partition_slug(partition_key), *names)


def raw_snapshot_key(family: str, partition_key: str) -> str:
    return join_key(PIPELINE_ROOT, "raw_snapshots", family, partition_slug(partition_key) + ".json")


def processed_prefix(family: str, partition_key: str | None = None) -> str:
    if partition_key is None:
        return join_key(PIPELINE_ROOT, "processed", family) + "/"
    return _partition_key("processed", family, partition_key) + "/"


def processed_key(family: str, partition_key: str) -> str:
    return processed_prefix(family, partition_key) + "conversations.jsonl"


def processed_stats_key(family: str, partition_key: str) -> str:
    return processed_prefix(family, partition_key) + "stats.json"


def quarantine_key(family: str, partition_key: str) -> str:
    return _partition_key("quarantine", family, partition_key, "quarantine.jsonl")


def curated_prefix(family: str, partition_key: str) -> str:
    return _partition_key("curated", family, partition_key) + "/"


def curated_key(family: str, partition_key: str) -> str:
    return curated_prefix(family, partition_key) + "conversations.jsonl"


def curated_stats_key(family: str, partition_key: str) -> str:
    return curated_prefix(family, partition_key) + "stats.json"


def curation_quarantine_key(family: str, partition_key: str) -> str:
    return _partition_key("quarantine", family, partition_key, "curation.jsonl")


DEDUP_PREFIX = PIPELINE_ROOT + "/dedup/"
CURATED_PREFIX = PIPELINE_ROOT + "/curated/"  # every family's curated partitions


def deduplicated_key(family: str, partition_key: str) -> str:
    return _partition_key("deduplicated", family, partition_key, "conversations.jsonl")


def dedup_stats_key() -> str:
    return DEDUP_PREFIX + "stats.json"


def coverage_report_key() -> str:
    return join_key(PIPELINE_ROOT, "reports", "coverage.json")


def is_ignored_object(key: str) -> bool:
    """Markers and hidden files under a source prefix are not data (``_SYNC_COMPLETE.json``).

    They are still listed in the partition's stats as ignored, so nothing disappears unseen.
    """
    name = key.rsplit("/", 1)[-1]
    return name.startswith(("_", "."))
