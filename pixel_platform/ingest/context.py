"""What every format reader shares: the unit type and the per-object read context."""

from __future__ import annotations

from dataclasses import dataclass

from pixel_platform.ingest.json_checks import MAX_DEPTH
from pixel_platform.ingest.raw import RawRecord, ReadFailure
from pixel_platform.ingest.streams import StreamProblem, excerpt
from pixel_platform.registry.model import FieldMapping

Unit = RawRecord | ReadFailure


@dataclass
class ReadContext:
    """What a format reader needs, and where it stopped (for the failure after stream damage)."""

    key: str
    max_record_bytes: int
    whole_json_bytes: int
    fields: FieldMapping
    encoding_note: str | None  # "utf-16" when the whole object was transcoded
    problem: StreamProblem
    max_depth: int = MAX_DEPTH  # deeper JSON is quarantined as too_deep
    next_line: int | None = None  # first line / index not covered by a unit yet
    next_index: int = 0
    empty_detail: str = "the object has no content"

    def failure(
        self,
        reason: str,
        detail: str,
        *,
        line: int | None = None,
        index: int | None = None,
        raw: bytes | None = None,
    ) -> ReadFailure:
        return ReadFailure(
            self.key, reason, detail, line, index, excerpt(raw) if raw is not None else None
        )
