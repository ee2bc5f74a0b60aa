"""One family's ingestion chain: read units -> convert -> clean -> validate -> finalize.

Every unit a reader yields is counted once in and ends either in the output or in quarantine with
a reason; ``check_balance`` proves it after a run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import QuarantineSink, Reject, Step
from pixel_platform.ingest.clean import CleanStep, FinalizeStep, ValidateStep
from pixel_platform.ingest.convert import ConvertStep
from pixel_platform.ingest.raw import RawRecord, ReadFailure
from pixel_platform.registry.model import FamilySpec, Registry


class ReadStep(Step[RawRecord | ReadFailure, RawRecord]):
    """Passes records on and rejects read failures with their own reason, so that unreadable
    bytes are counted and quarantined exactly like records that fail later."""

    name = "read"

    def apply(self, item: RawRecord | ReadFailure) -> RawRecord | Reject:
        if type(item) is ReadFailure:
            return Reject(item.reason, item.detail)
        return item  # type: ignore[return-value]


class IngestPipeline:
    def __init__(
        self,
        registry: Registry,
        family: FamilySpec,
        *,
        fmt: str | None = None,
        license: str | None = None,
        ingested_at: str,
        etags: Mapping[str, str] | None = None,
    ) -> None:
        name = family.name or None
        self.convert = ConvertStep(registry, family, fmt or family.format)
        self.steps: list[Step[Any, Any]] = [
            ReadStep(name),
            self.convert,
            CleanStep(name),
            ValidateStep(
                name,
                min_turns=registry.min_turns(family),
                max_turn_chars=registry.max_turn_chars(family),
            ),
            FinalizeStep(
                family.name, license if license is not None else family.license, ingested_at, etags
            ),
        ]

    def run(
        self, units: Iterable[RawRecord | ReadFailure], quarantine: QuarantineSink
    ) -> Iterator[Conversation]:
        """Push each unit through every step in one loop.

        The bookkeeping is that of chaining ``Step.run`` generators (seen / forwarded / dropped /
        seconds per step; rejects go to quarantine via ``Step.quarantine_entry``) without its
        cost: five generator hand-offs and ten counter updates per record cost as much as a
        step. Rejects are counted as they happen; seen, forwarded and seconds are kept locally
        and added to each step's stats when the run ends (exhausted, closed or raising). An item
        whose step raised counts as seen but neither forwarded nor dropped by that step, as with
        ``Step.run``, so ``check_balance`` fails loudly after a crash.
        """
        steps = self.steps
        applies = [step.apply for step in steps]
        seconds = [0.0] * len(steps)
        dropped = [0] * len(steps)
        units_in = 0
        in_step = -1  # index of the step holding the current item; -1 between items
        clock = time.perf_counter
        try:
            for unit in units:
                units_in += 1
                item: Any = unit
                started = clock()
                for i, apply in enumerate(applies):
                    in_step = i
                    result = apply(item)
                    now = clock()
                    seconds[i] += now - started
                    started = now
                    if type(result) is Reject:
                        dropped[i] += 1
                        steps[i].stats.dropped[result.reason] += 1
                        quarantine.put(steps[i].quarantine_entry(item, result))
                        break
                    item = result
                else:
                    in_step = -1
                    yield item
                in_step = -1
        finally:
            seen = units_in
            for i, step in enumerate(steps):
                forwarded = seen - dropped[i] - (1 if i == in_step else 0)
                step.stats.seen += seen
                step.stats.forwarded += forwarded
                step.stats.seconds += seconds[i]
                seen = forwarded

    def stats(self) -> dict[str, Any]:
        dropped: Counter[str] = Counter()
        changed: Counter[str] = Counter()
        for step in self.steps:
            dropped.update(step.stats.dropped)
            changed.update(step.stats.changed)
        return {
            "units_in": self.steps[0].stats.seen,
            "records_out": self.steps[-1].stats.forwarded,
            "quarantined": sum(dropped.values()),
            "quarantined_by_reason": dict(sorted(dropped.items())),
            "changed": dict(sorted(changed.items())),
            "detected_formats": {
                key: dict(sorted(counts.items()))
                for key, counts in sorted(self.convert.formats_by_file.items())
            },
            "steps": [step.stats.as_dict() for step in self.steps],
        }

    def check_balance(self) -> None:
        """Raise ``AssertionError`` unless every unit in is out or quarantined (after a run)."""
        stats = self.stats()
        unbalanced = [
            s["name"]
            for s, step in zip(stats["steps"], self.steps, strict=True)
            if not step.stats.balanced
        ]
        if stats["units_in"] != stats["records_out"] + stats["quarantined"] or unbalanced:
            raise AssertionError(
                f"ingest does not balance: {stats['units_in']} units in, {stats['records_out']}"
                f" out, {stats['quarantined']} quarantined; unbalanced steps: {unbalanced or '-'}"
            )
