"""Global dedup over every curated partition, then one deduplicated file per partition.

Wraps ``curation.dedup.run_dedup``: the inputs are the curated outputs (redacted text, quality
scores for the keeper rule); the outputs are ``pipeline/deduplicated/<family>/<slug>/`` files of
kept records annotated with ``metadata.dedup.cluster_id``, the dedup log (every dropped record ->
its keeper) and ``pipeline/dedup/stats.json`` with per-family counts for the accounting gate.

A cluster keeps a record the release can ship whenever it has one: the release's own exclusion
rule (``release.routing.exclusion_reason``) is handed to the run, for a commercial build — the
strictest, so a record it accepts ships in any build.

A run whose inputs are exactly those of the last run (every curated output's sha256, the dedup
settings, the registry — family priorities and licences choose keepers —, the pipeline version:
``inputs_fingerprint`` in the stats) and whose outputs are all still there does nothing and
returns the last stats marked ``up_to_date``: a nightly run after a sync that brought nothing new
costs a few small reads.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from pixel_platform import PIPELINE_VERSION
from pixel_platform.core.progress import Progress, no_progress
from pixel_platform.curation.dedup import DedupConfig, DedupInput, filter_partition, run_dedup
from pixel_platform.curation.dedup.config import RESULT_FIELDS
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.curate import read_curated_stats
from pixel_platform.pipeline.partition import HashingWriter
from pixel_platform.registry.model import Registry
from pixel_platform.release.routing import exclusion_reason
from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

WORK_PREFIX = layout.DEDUP_PREFIX + "run"
SIGNATURES_PREFIX = layout.DEDUP_PREFIX + "signatures"


@dataclass(frozen=True)
class CuratedPartition:
    family: str
    partition_key: str
    sha256: str
    records: int

    @property
    def uid_prefix(self) -> str:
        return f"{self.family}/{layout.partition_slug(self.partition_key)}"

    def dedup_input(self) -> DedupInput:
        return DedupInput(
            self.uid_prefix, layout.curated_key(self.family, self.partition_key), self.sha256
        )


def curated_partitions(store: ObjectStore, registry: Registry) -> list[CuratedPartition]:
    """Every registry source that has a finished curated output, in registry order."""
    found = []
    for name, family in registry.families.items():
        for source in family.sources:
            stats = read_curated_stats(store, name, source.location)
            if stats is not None:
                found.append(
                    CuratedPartition(
                        name, source.location, stats["output"]["sha256"], stats["records_out"]
                    )
                )
    return found


def deduplicate(
    store: ObjectStore,
    registry: Registry,
    config: DedupConfig,
    *,
    write_outputs: bool = True,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Run the global dedup. ``write_outputs=False`` is a dry run: clusters, log and counts are
    computed (work files under ``pipeline/dedup/``) but no deduplicated partition is written.
    ``progress`` hears of each stage: signatures per partition, LSH bands, verification, and the
    deduplicated partitions as they are written."""
    partitions = curated_partitions(store, registry)
    if not partitions:
        raise FileNotFoundError(
            "no curated partitions to deduplicate; run the curated assets first"
        )
    fingerprint = inputs_fingerprint(partitions, config, registry)
    if write_outputs:
        previous = read_dedup_stats(store)
        if _still_valid(store, previous, fingerprint):
            assert previous is not None
            log.info("dedup inputs unchanged since the last run: outputs are up to date")
            progress("dedup up to date", len(partitions), len(partitions))
            return {**previous, "up_to_date": True}
    result = run_dedup(
        store,
        [p.dedup_input() for p in partitions],
        config,
        family_priority={name: f.priority for name, f in registry.families.items()},
        work_prefix=WORK_PREFIX,
        signatures_prefix=SIGNATURES_PREFIX,
        exclusion=release_exclusion(registry),
        progress=progress,
    )
    per_family: dict[str, Counter[str]] = {}
    outputs = []
    written = partitions if write_outputs else []
    for done, part in enumerate(written, 1):
        key = layout.deduplicated_key(part.family, part.partition_key)
        with store.open_write(key) as fh:
            writer = HashingWriter(fh)
            for record in filter_partition(store, result, part.dedup_input()):
                writer.write_line(record.to_json())
        counts = per_family.setdefault(part.family, Counter())
        counts["in"] += part.records
        counts["kept"] += writer.records
        counts["dropped"] += part.records - writer.records
        outputs.append(
            {
                "family": part.family,
                "partition_key": part.partition_key,
                "key": key,
                "records": writer.records,
                "sha256": writer.sha256.hexdigest(),
            }
        )
        progress("dedup write partitions", done, len(written), item=part.uid_prefix)
    dropped_by_family = _dropped_by_family(store, result.log_key)
    stats: dict[str, Any] = {
        **result.stats.as_dict(),
        "inputs_fingerprint": fingerprint,
        "up_to_date": False,
        "dry_run": not write_outputs,
        "log_key": result.log_key,
        "outputs": outputs,
        "families": {
            name: {**dict(counts), "dropped_by_kind": dropped_by_family.get(name, {})}
            for name, counts in per_family.items()
        },
        "step": result.stats.step_stats().as_dict(),
    }
    if write_outputs:
        store.write_bytes(
            layout.dedup_stats_key(),
            orjson.dumps(stats, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS),
        )
    return stats


def release_exclusion(registry: Registry) -> Callable[[dict[str, Any]], str | None]:
    """Why the release would leave a record out (``routing.exclusion_reason``), as a string."""

    def reason(record: dict[str, Any]) -> str | None:
        found = exclusion_reason(record, registry, commercial=True)
        return None if found is None else found.value

    return reason


def inputs_fingerprint(
    partitions: list[CuratedPartition], config: DedupConfig, registry: Registry
) -> str:
    """What the dedup outputs are a function of: the curated outputs' bytes (their sha256), the
    settings that change results, the registry (priorities and licences pick keepers) and the
    code version."""
    document = {
        "partitions": [[p.family, p.partition_key, p.sha256, p.records] for p in partitions],
        "config": {name: getattr(config, name) for name in RESULT_FIELDS},
        "registry": registry.source_hash,
        "pipeline_version": PIPELINE_VERSION,
    }
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _still_valid(store: ObjectStore, previous: dict[str, Any] | None, fingerprint: str) -> bool:
    if previous is None or previous.get("dry_run"):
        return False
    if previous.get("inputs_fingerprint") != fingerprint:
        return False
    keys = [out["key"] for out in previous.get("outputs", ())] + [previous.get("log_key", "")]
    return all(key and store.head(key) is not None for key in keys)


def _dropped_by_family(store: ObjectStore, log_key: str) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {}
    with store.open_read(log_key) as fh:
        for line in fh:
            if line.strip():
                entry = orjson.loads(line)
                counts.setdefault(entry["family"], Counter())[entry["kind"]] += 1
    return {family: dict(c) for family, c in counts.items()}


def read_dedup_stats(store: ObjectStore) -> dict[str, Any] | None:
    if not store.exists(layout.dedup_stats_key()):
        return None
    stats: dict[str, Any] = orjson.loads(store.read_bytes(layout.dedup_stats_key()))
    return stats
