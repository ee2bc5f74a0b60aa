"""One family's ingestion chain: read units -> convert -> clean -> validate -> finalize.

Every unit a reader yields is counted once in and ends either in the output or in quarantine with
a reason; ``check_balance`` proves it after a run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import QuarantineSink, Reject, Step, run_chain
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
        posts: str | None = None,
        ingested_at: str,
        etags: Mapping[str, str] | None = None,
        max_depth: int | None = None,
        min_turns: int | None = None,
        merge_turns: bool = True,
    ) -> None:
        """``min_turns`` overrides the registry's; ``merge_turns=False`` quarantines consecutive
        turns of one speaker as ``non_alternating`` instead of merging them (``validate``)."""
        name = family.name or None
        # The readers feeding this pipeline take the same limit (``read_kwargs``).
        self.max_depth = max_depth or registry.defaults.max_depth
        self.fields = family.fields
        self.convert = ConvertStep(
            registry,
            family,
            fmt or family.format,
            posts=posts if posts is not None else family.posts,
            max_depth=self.max_depth,
            merge_turns=merge_turns,
        )
        self.steps: list[Step[Any, Any]] = [
            ReadStep(name),
            self.convert,
            CleanStep(name),
            ValidateStep(
                name,
                min_turns=min_turns if min_turns is not None else registry.min_turns(family),
                max_turn_chars=registry.max_turn_chars(family),
                max_turns=registry.max_turns(family),
                max_record_chars=registry.max_record_chars(family),
            ),
            FinalizeStep(
                family.name,
                license if license is not None else family.license,
                ingested_at,
                etags,
                stricter=registry.stricter_license,
            ),
        ]

    def read_kwargs(self) -> dict[str, Any]:
        """What ``read_stream`` / ``read_object`` need to read for this pipeline."""
        return {"fields": self.fields, "max_depth": self.max_depth}

    def run(
        self, units: Iterable[RawRecord | ReadFailure], quarantine: QuarantineSink
    ) -> Iterator[Conversation]:
        """Push each unit through every step (one fused loop, see ``core.steps.run_chain``)."""
        return run_chain(self.steps, units, quarantine)

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
            "detected_formats": self.detected_formats(),
            "steps": [step.stats.as_dict() for step in self.steps],
        }

    def detected_formats(self) -> dict[str, dict[str, int]]:
        """Per source object: how many records were read in each detected format."""
        return {
            key: dict(sorted(counts.items()))
            for key, counts in sorted(self.convert.formats_by_file.items())
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
