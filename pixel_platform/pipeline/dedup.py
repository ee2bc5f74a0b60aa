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
from dataclasses import dataclass, fields
from typing import Any

import orjson

from pixel_platform import PIPELINE_VERSION
from pixel_platform.core.errors import StageInputMissing
from pixel_platform.core.progress import Progress, no_progress
from pixel_platform.core.report import (
    Accounting,
    FileSummary,
    StageReport,
    family_accounting,
)
from pixel_platform.core.steps import StepStats
from pixel_platform.curation.dedup import DedupConfig, DedupInput, filter_partition, run_dedup
from pixel_platform.curation.dedup.config import RESULT_FIELDS
from pixel_platform.curation.dedup.driver import DedupStats
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.curate import read_curated_stats
from pixel_platform.pipeline.partition import HashingWriter
from pixel_platform.registry.model import Registry
from pixel_platform.release.routing import exclusion_reason
from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

DEDUPLICATED = "deduplicated"
STATS_FIELDS = frozenset(f.name for f in fields(DedupStats))
WORK_PREFIX = layout.DEDUP_PREFIX + "run"
SIGNATURES_PREFIX = layout.DEDUP_PREFIX + "signatures"


@dataclass(frozen=True)
class CuratedPartition:
    family: str
    partition_key: str
    sha256: str
    records: int
    accounting: Accounting  # carried forward from ingest and curation

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
            report = read_curated_stats(store, name, source.location)
            if report is not None:
                found.append(
                    CuratedPartition(name, source.location, report.output.sha256,
                                     report.records_out, report.accounting)
                )  # fmt: skip
    return found


@dataclass
class DedupReport:
    """What the global dedup did: the algorithm's numbers (``DedupStats``), one ``StageReport``
    per deduplicated partition (units in, kept, dropped by kind, accounting carried forward) and
    the accounting summed per family, which is what the release needs. Written as
    ``pipeline/dedup/stats.json``."""

    stats: DedupStats
    partitions: list[StageReport]
    inputs_fingerprint: str
    log_key: str
    up_to_date: bool = False
    dry_run: bool = False
    step: StepStats | None = None

    @property
    def balanced(self) -> bool:
        return self.stats.balanced

    def accounting(self) -> dict[str, Accounting]:
        """Per family: raw units in, quarantined by reason (ingest and curation), dropped here."""
        return family_accounting((p.family, p.accounting) for p in self.partitions)

    def family_counts(self) -> dict[str, dict[str, Any]]:
        """Per family: curated in, kept, dropped, dropped by kind."""
        out: dict[str, dict[str, Any]] = {}
        for part in self.partitions:
            entry = out.setdefault(
                part.family, {"in": 0, "kept": 0, "dropped": 0, "dropped_by_kind": Counter()}
            )
            entry["in"] += part.units_in
            entry["kept"] += part.records_out
            entry["dropped"] += part.quarantined
            entry["dropped_by_kind"].update(part.accounting.dedup_dropped)
        for entry in out.values():
            entry["dropped_by_kind"] = dict(sorted(entry["dropped_by_kind"].items()))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.stats.as_dict(),
            "inputs_fingerprint": self.inputs_fingerprint,
            "up_to_date": self.up_to_date,
            "dry_run": self.dry_run,
            "log_key": self.log_key,
            "outputs": [
                {
                    "family": p.family,
                    "partition_key": p.partition_key,
                    "key": p.output.key,
                    "records": p.records_out,
                    "bytes": p.output.bytes,
                    "sha256": p.output.sha256,
                    "units_in": p.units_in,
                    "dropped_by_kind": dict(sorted(p.accounting.dedup_dropped.items())),
                    "accounting": p.accounting.as_dict(),
                }
                for p in self.partitions
            ],
            "families": self.family_counts(),
            "step": self.step.as_dict() if self.step is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DedupReport:
        """Read ``stats.json``; one written before dedup carried accounting forward has no
        per-partition accounting and is treated as out of date (``inputs_fingerprint`` empty)."""
        outputs = data.get("outputs") or []
        legacy = any("accounting" not in out for out in outputs)
        partitions = [] if legacy else [_output_report(out) for out in outputs]
        step = data.get("step")
        return cls(
            stats=DedupStats(**{k: v for k, v in data.items() if k in STATS_FIELDS}),
            partitions=partitions,
            inputs_fingerprint="" if legacy else str(data.get("inputs_fingerprint", "")),
            log_key=str(data.get("log_key", "")),
            up_to_date=bool(data.get("up_to_date")),
            dry_run=bool(data.get("dry_run")) or legacy,
            step=StepStats.from_dict(step) if step else None,
        )


def _output_report(out: dict[str, Any]) -> StageReport:
    accounting = Accounting.from_dict(out["accounting"], what="dedup report accounting")
    dropped = Counter(accounting.dedup_dropped)
    return StageReport(
        stage=DEDUPLICATED,
        family=str(out["family"]),
        partition_key=str(out["partition_key"]),
        units_in=int(out["units_in"]),
        output=FileSummary.from_dict(out),
        quarantine=FileSummary("", sum(dropped.values())),
        quarantined_by_reason=_dropped_reasons(dropped),
        accounting=accounting,
    )


def _dropped_reasons(by_kind: Counter[str]) -> Counter[str]:
    """Dedup drops by kind (``exact``, ``near``) as the step's reasons (``duplicate_*``)."""
    return Counter({f"duplicate_{kind}": n for kind, n in by_kind.items()})


def deduplicate(
    store: ObjectStore,
    registry: Registry,
    config: DedupConfig,
    *,
    write_outputs: bool = True,
    progress: Progress = no_progress,
) -> DedupReport:
    """Run the global dedup. ``write_outputs=False`` is a dry run: clusters, log and counts are
    computed (work files under ``pipeline/dedup/``) but no deduplicated partition is written.
    ``progress`` hears of each stage: signatures per partition, LSH bands, verification, and the
    deduplicated partitions as they are written."""
    partitions = curated_partitions(store, registry)
    if not partitions:
        raise StageInputMissing(
            "no curated partitions to deduplicate; materialize the curated assets first"
        )
    fingerprint = inputs_fingerprint(partitions, config, registry)
    if write_outputs:
        previous = read_dedup_stats(store)
        if _still_valid(store, previous, fingerprint):
            assert previous is not None
            log.info("dedup inputs unchanged since the last run: outputs are up to date")
            progress("dedup up to date", len(partitions), len(partitions))
            previous.up_to_date = True
            return previous
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
    dropped = _dropped_by_partition(store, result.log_key)
    reports = []
    written = partitions if write_outputs else []
    for done, part in enumerate(written, 1):
        key = layout.deduplicated_key(part.family, part.partition_key)
        with store.open_write(key) as fh:
            writer = HashingWriter(fh)
            for record in filter_partition(store, result, part.dedup_input()):
                writer.write_line(record.to_json())
        by_kind = dropped.get(part.uid_prefix, Counter())
        report = StageReport(
            stage=DEDUPLICATED,
            family=part.family,
            partition_key=part.partition_key,
            units_in=part.records,
            output=writer.summary(key),
            quarantine=FileSummary(result.log_key, sum(by_kind.values())),
            quarantined_by_reason=_dropped_reasons(by_kind),
            accounting=part.accounting.copy().merge(Accounting(dedup_dropped=Counter(by_kind))),
        )
        if not report.balanced:
            raise AssertionError(
                f"dedup accounting mismatch for {part.uid_prefix}: {part.records} curated,"
                f" {writer.records} kept, {sum(by_kind.values())} logged as duplicates"
            )
        reports.append(report)
        progress("dedup write partitions", done, len(written), item=part.uid_prefix)
    dedup = DedupReport(
        stats=result.stats,
        partitions=reports,
        inputs_fingerprint=fingerprint,
        log_key=result.log_key,
        dry_run=not write_outputs,
        step=result.stats.step_stats(),
    )
    if write_outputs:
        store.write_bytes(
            layout.dedup_stats_key(),
            orjson.dumps(dedup.as_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS),
        )
    return dedup


def release_exclusion(registry: Registry) -> Callable[[dict[str, Any]], str | None]:
    """Why the release would leave a record out (``routing.exclusion_reason``), as a string."""

    def reason(record: dict[str, Any]) -> str | None:
        found = exclusion_reason(record, registry, commercial=True)
        return None if found is None else found.value

    return reason


def inputs_fingerprint(
    partitions: list[CuratedPartition], config: DedupConfig, registry: Registry
) -> str:
    """What the dedup outputs are a function of: the curated outputs' bytes (their sha256) and the
    accounting they carry, the settings that change results, the registry (priorities and
    licences pick keepers) and the code version."""
    document = {
        "partitions": [
            [p.family, p.partition_key, p.sha256, p.records, p.accounting.as_dict()]
            for p in partitions
        ],
        "config": {name: getattr(config, name) for name in RESULT_FIELDS},
        "registry": registry.source_hash,
        "pipeline_version": PIPELINE_VERSION,
    }
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _still_valid(store: ObjectStore, previous: DedupReport | None, fingerprint: str) -> bool:
    if previous is None or previous.dry_run:
        return False
    if previous.inputs_fingerprint != fingerprint:
        return False
    keys = [p.output.key for p in previous.partitions] + [previous.log_key]
    return all(key and store.head(key) is not None for key in keys)


def _dropped_by_partition(store: ObjectStore, log_key: str) -> dict[str, Counter[str]]:
    """Dropped records per partition (uid prefix), by kind, from the dedup log."""
    counts: dict[str, Counter[str]] = {}
    with store.open_read(log_key) as fh:
        for line in fh:
            if line.strip():
                entry = orjson.loads(line)
                prefix = str(entry["uid"]).rsplit(":", 1)[0]
                counts.setdefault(prefix, Counter())[entry["kind"]] += 1
    return counts


def read_dedup_stats(store: ObjectStore) -> DedupReport | None:
    if not store.exists(layout.dedup_stats_key()):
        return None
    return DedupReport.from_dict(orjson.loads(store.read_bytes(layout.dedup_stats_key())))
