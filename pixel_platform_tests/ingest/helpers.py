"""Shared helpers for the ingest tests: the test registry and a one-call ingest."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import ListQuarantine, QuarantineEntry
from pixel_platform.ingest.pipeline import IngestPipeline
from pixel_platform.ingest.readers import read_stream
from pixel_platform.registry.model import Registry, load_registry

FIXTURES = Path(__file__).with_name("fixtures")
INGESTED_AT = "2026-01-01T00:00:00+00:00"


@functools.cache
def registry() -> Registry:
    return load_registry(FIXTURES / "registry.yaml")  # frozen: one load serves every test


@dataclass
class Result:
    out: list[Conversation]
    quarantined: list[QuarantineEntry]
    stats: dict[str, Any]

    @property
    def reasons(self) -> list[str]:
        return [entry.reason for entry in self.quarantined]

    def where(self, reason: str) -> list[tuple[int | None, int | None]]:
        """(line, index) of every quarantine entry with ``reason``."""
        return [(e.line, e.index) for e in self.quarantined if e.reason == reason]


def ingest(
    data: bytes | Any,
    key: str,
    family: str = "chats",
    *,
    fmt: str | None = None,
    **read_kw: Any,
) -> Result:
    """Read ``data`` (bytes or a binary stream) as object ``key`` and run the whole pipeline.

    Asserts the accounting identity, so every test that uses it checks that nothing was lost.
    """
    reg = registry()
    spec = reg.family(family)
    pipeline = IngestPipeline(
        reg,
        spec,
        fmt=fmt,
        ingested_at=INGESTED_AT,
        etags={key: "etag-1"},
        max_depth=read_kw.pop("max_depth", None),
    )
    quarantine = ListQuarantine()
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    read_kw = pipeline.read_kwargs() | read_kw
    out = list(pipeline.run(read_stream(stream, key, **read_kw), quarantine))
    pipeline.check_balance()
    stats = pipeline.stats()
    assert stats["units_in"] == len(out) + len(quarantine.entries)
    assert stats["quarantined"] == len(quarantine.entries)
    return Result(out, quarantine.entries, stats)
