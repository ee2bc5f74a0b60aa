"""Applying a dedup run to one partition's records, as a ``Step``.

``run_dedup`` decides globally; releasing happens partition by partition. ``DedupFilter`` takes a
partition's decisions and its records in file order: kept records come out with
``metadata["dedup"] = {"cluster_id": ...}``, dropped ones are rejected with ``duplicate_exact`` /
``duplicate_near`` and the keeper's uid as detail. Their full entry (keeper hash, similarity) is in
the run's dedup log, so the quarantine sink for this step may discard them (``DiscardSink``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from pixel_platform.core.errors import TerminalError
from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import QuarantineEntry, QuarantineSink, Reject, Step
from pixel_platform.curation.dedup.driver import STEP_NAME, DedupResult
from pixel_platform.curation.dedup.signatures import DedupInput
from pixel_platform.storage.base import ObjectStore


@dataclass(frozen=True)
class PartitionDecisions:
    uid_prefix: str
    kept: dict[int, str]  # line -> cluster_id
    dropped: dict[int, tuple[str, str]]  # line -> (kind, keeper_uid)

    @property
    def records(self) -> int:
        return len(self.kept) + len(self.dropped)


def load_decisions(store: ObjectStore, result: DedupResult, uid_prefix: str) -> PartitionDecisions:
    key = result.decisions_keys.get(uid_prefix)
    if key is None:
        raise TerminalError(f"partition {uid_prefix!r} was not part of this dedup run")
    frame = pl.read_parquet(io.BytesIO(store.read_bytes(key)))
    kept_rows = frame.filter(pl.col("kept"))
    dropped_rows = frame.filter(~pl.col("kept"))
    return PartitionDecisions(
        uid_prefix=uid_prefix,
        kept=dict(zip(kept_rows["line"].to_list(), kept_rows["cluster_id"].to_list(), strict=True)),
        dropped={
            line: (kind, keeper)
            for line, kind, keeper in zip(
                dropped_rows["line"].to_list(),
                dropped_rows["kind"].to_list(),
                dropped_rows["keeper_uid"].to_list(),
                strict=True,
            )
        },
    )


def iter_kept(store: ObjectStore, result: DedupResult) -> Iterator[tuple[str, str]]:
    """``(uid, cluster_id)`` of every kept record, partition by partition."""
    for uid_prefix in sorted(result.decisions_keys):
        decisions = load_decisions(store, result, uid_prefix)
        for line, cluster_id in sorted(decisions.kept.items()):
            yield f"{uid_prefix}:{line}", cluster_id


class DiscardSink:
    """A quarantine sink that only counts: dropped duplicates are recorded in the dedup log."""

    def __init__(self) -> None:
        self.count = 0

    def put(self, entry: QuarantineEntry) -> None:
        self.count += 1


class DedupFilter(Step[Conversation, Conversation]):
    """Keeps the records a dedup run kept. Feed it every record of the partition, in file order
    (the n-th record is line n); a record the run has no decision for means the file changed."""

    name = STEP_NAME

    def __init__(self, decisions: PartitionDecisions, family: str | None = None) -> None:
        super().__init__(family)
        self.decisions = decisions
        self._line = 0

    def apply(self, item: Conversation) -> Conversation | Reject:
        self._line += 1
        cluster_id = self.decisions.kept.get(self._line)
        if cluster_id is not None:
            item.metadata["dedup"] = {"cluster_id": cluster_id}
            return item
        dropped = self.decisions.dropped.get(self._line)
        if dropped is None:
            raise TerminalError(
                f"{self.decisions.uid_prefix} line {self._line} has no dedup decision: the"
                " partition changed after the dedup run; run dedup again"
            )
        kind, keeper_uid = dropped
        reason = Reason.DUPLICATE_EXACT if kind == "exact" else Reason.DUPLICATE_NEAR
        return Reject(reason.value, f"duplicate of {keeper_uid}")

    def check_complete(self) -> None:
        if self._line != self.decisions.records:
            raise TerminalError(
                f"{self.decisions.uid_prefix}: {self._line} records read, the dedup run saw"
                f" {self.decisions.records}; the partition changed after the dedup run"
            )


def filter_partition(
    store: ObjectStore,
    result: DedupResult,
    inp: DedupInput,
    quarantine: QuarantineSink | None = None,
) -> Iterator[Conversation]:
    """The kept records of one partition, annotated with their cluster id."""
    step = DedupFilter(load_decisions(store, result, inp.uid_prefix))

    def records() -> Iterator[Conversation]:
        with store.open_read(inp.key) as fh:
            for raw in fh:
                yield Conversation.from_json(raw)

    yield from step.run(records(), quarantine or DiscardSink())
    step.check_complete()
