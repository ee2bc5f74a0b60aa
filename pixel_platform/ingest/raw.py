"""What readers yield: a parsed raw record, or a failure for bytes that did not parse.

Both count as one *unit* of input for accounting: ``units_in == records_out + quarantined``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from pixel_platform.core.steps import Locator


@dataclass(slots=True)
class RawRecord:
    """One record as found in the source: a dict from JSON/CSV, or a str from a text file."""

    source_key: str
    payload: Any
    line: int | None = None
    index: int | None = None
    file_format: str = ""  # jsonl | json | csv | txt — the container, not the record's shape
    # set when bytes were not clean UTF-8 (e.g. "cp1252", "utf-16")
    encoding_note: str | None = None
    container: str | None = None  # the key of a JSON object whose list held it ("train", "test")
    # False only where the reader saw that no string in the payload can hold an ASCII control
    # character (a JSON line with no control escape and no DEL byte): cleaning skips the scan.
    may_hold_controls: bool = True

    def locator(self) -> Locator:
        return Locator(self.source_key, self.line, self.index)

    def excerpt(self) -> str:
        """The record as JSON, for the quarantine file; never raises (no ``repr``: it recurses)."""
        if isinstance(self.payload, str):
            return self.payload
        try:
            return orjson.dumps(self.payload, default=str).decode()
        except (TypeError, ValueError, RecursionError) as exc:  # too deep, an unwritable string
            return f"<a {type(self.payload).__name__} that cannot be written as JSON: {exc}>"


@dataclass(slots=True)
class ReadFailure:
    """Bytes that could not become a raw record. Goes straight to quarantine."""

    source_key: str
    reason: str
    detail: str
    line: int | None = None
    index: int | None = None
    raw_excerpt: str | None = None

    def locator(self) -> Locator:
        return Locator(self.source_key, self.line, self.index)

    def excerpt(self) -> str:
        return self.raw_excerpt or ""
