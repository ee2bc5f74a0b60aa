"""Curate one partition: processed ChatML -> quality score, crisis tags, PII redaction.

Per record, in this order: quality first (low-quality records go to quarantine and are never
sent through the slow NER), crisis tagging on the unredacted text, then PII redaction. After
redaction ``content_hash`` is recomputed over the redacted turns (what ships and what the Hash
gate checks); the ingest-time hash stays in ``provenance.ingest_content_hash``.

Outputs (atomic): ``pipeline/curated/<family>/<slug>/conversations.jsonl``, quarantine in
``pipeline/quarantine/<family>/<slug>/curation.jsonl`` and ``stats.json`` (written last).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson

from pixel_platform.core.errors import StageInputMissing
from pixel_platform.core.record import Conversation, record_content_hash
from pixel_platform.core.report import (
    CURATED,
    Accounting,
    FileSummary,
    StageReport,
    merge_step_stats,
)
from pixel_platform.core.steps import Step, run_chain
from pixel_platform.curation.config import CurationConfig
from pixel_platform.curation.crisis import CrisisTagStep
from pixel_platform.curation.quality import QualityStep
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.partition import (
    HashingWriter,
    JsonlQuarantineWriter,
    ProgressCallback,
    read_partition_stats,
)
from pixel_platform.storage.base import ObjectStore

if TYPE_CHECKING:  # presidio and spaCy load when a partition is curated, not on import
    from pixel_platform.curation.pii import PiiRedactor

log = logging.getLogger(__name__)
PROGRESS_EVERY = 500


def read_conversations(store: ObjectStore, key: str) -> Iterator[Conversation]:
    """Records the pipeline wrote itself; a line that does not parse is a bug, so it raises."""
    with store.open_read(key) as fh:
        for line in fh:
            if line.strip():
                yield Conversation.from_json(line)


def rehash(records: Iterator[Conversation]) -> Iterator[Conversation]:
    for record in records:
        new_hash = record_content_hash(record.messages, record.metadata)
        old_hash = record.metadata.get("content_hash")
        if old_hash != new_hash:
            record.provenance["ingest_content_hash"] = old_hash
            record.metadata["content_hash"] = new_hash
        yield record


def curate_partition(
    store: ObjectStore,
    family: str,
    partition_key: str,
    config: CurationConfig,
    *,
    redactor: PiiRedactor | None = None,
    progress: ProgressCallback | None = None,
    logger: logging.Logger = log,
) -> StageReport:
    processed = read_partition_stats(store, family, partition_key)
    if processed is None:
        raise StageInputMissing(
            f"{family} partition {partition_key!r} has not been processed yet"
            f" (no {layout.processed_stats_key(family, partition_key)}); materialize"
            f" processed/{family} for it first"
        )
    source_key = layout.processed_key(family, partition_key)
    output_key = layout.curated_key(family, partition_key)
    quarantine_key = layout.curation_quarantine_key(family, partition_key)

    per_record: list[Step[Any, Any]] = [
        QualityStep(family, config=config.quality),
        CrisisTagStep(family, lexicon_path=config.crisis_lexicon),
    ]
    from pixel_platform.curation.pii import RedactStep

    redact = RedactStep(redactor, config=config.pii, family=family)

    def counted(records: Iterator[Conversation]) -> Iterator[Conversation]:
        for n, record in enumerate(records, 1):
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(source_key, n)
            yield record

    try:
        with store.open_write(output_key) as out_fh, store.open_write(quarantine_key) as q_fh:
            output = HashingWriter(out_fh)
            with JsonlQuarantineWriter(q_fh, logger) as quarantine:
                scored = run_chain(
                    per_record, counted(read_conversations(store, source_key)), quarantine
                )
                for record in rehash(redact.run(scored, quarantine)):
                    output.write_line(record.to_json())
    finally:
        if redactor is None:
            redact.redactor.close()

    steps = [step.stats for step in (*per_record, redact)]
    dropped, changed = merge_step_stats(steps)
    report = StageReport(
        stage=CURATED,
        family=family,
        partition_key=partition_key,
        units_in=steps[0].seen,
        output=output.summary(output_key),
        quarantine=FileSummary(quarantine_key, quarantine.count),
        quarantined_by_reason=dropped,
        changed=changed,
        steps=steps,
        # carried forward: the raw units and quarantines of ingest, plus this stage's
        accounting=processed.accounting.copy().merge(Accounting(quarantined=Counter(dropped))),
        details={
            "input": {"key": source_key, "sha256": processed.output.sha256},
            "config_hash": config.source_hash,
        },
    )
    if not report.balanced or report.units_in != processed.records_out:
        raise AssertionError(
            f"curation accounting mismatch for {family}/{partition_key}: processed"
            f" {processed.records_out}, read {report.units_in}, out {report.records_out},"
            f" quarantined {report.quarantined}; unbalanced steps:"
            f" {[s.name for s in steps if not s.balanced] or '-'}"
        )
    store.write_bytes(layout.curated_stats_key(family, partition_key), report.to_json())
    return report


def read_curated_stats(store: ObjectStore, family: str, partition_key: str) -> StageReport | None:
    """The curated report of a partition, or ``None`` when it has not finished. A report written
    before curation carried accounting forward gets it from the processed report."""
    key = layout.curated_stats_key(family, partition_key)
    if not store.exists(key):
        return None
    data = orjson.loads(store.read_bytes(key))
    report = StageReport.from_dict(CURATED, data)
    if "accounting" not in data:
        processed = read_partition_stats(store, family, partition_key)
        if processed is None:
            raise StageInputMissing(
                f"{family} partition {partition_key!r}: curated, but its processed report"
                f" ({layout.processed_stats_key(family, partition_key)}) is gone"
            )
        report.accounting = processed.accounting.copy().merge(
            Accounting(quarantined=Counter(report.quarantined_by_reason))
        )
    return report
