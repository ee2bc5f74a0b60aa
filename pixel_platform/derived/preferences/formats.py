"""Preference records -> trainer files: TRL's conversational preference format and KTO's
unpaired format.

The conversions are the release's (``release.exports``), so a pair written here and a pair
exported from a release are the same bytes; here they apply to any record with a
``metadata.preference`` (the release also requires phase C).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, BinaryIO

from pixel_platform.core.record import Conversation
from pixel_platform.release.exports import Row, export_line, kto_pair, preference_parts


def _data(record: Conversation | dict[str, Any]) -> dict[str, Any]:
    return record.to_dict() if isinstance(record, Conversation) else record


def to_trl(record: Conversation | dict[str, Any]) -> Row | None:
    """``{"prompt": [...], "chosen": [assistant], "rejected": [assistant]}`` or ``None``."""
    parts = preference_parts(_data(record))
    if parts is None:
        return None
    prompt, chosen, rejected = parts
    return {"prompt": prompt, "chosen": [chosen], "rejected": [rejected]}


def to_kto(record: Conversation | dict[str, Any]) -> list[Row]:
    """Two unpaired rows, ``label`` true for the chosen completion and false for the rejected."""
    return kto_pair(preference_parts(_data(record)))


def write_trl(records: Iterable[Conversation | dict[str, Any]], fh: BinaryIO) -> int:
    """Write TRL preference rows as JSONL; returns the rows written (non-pairs are skipped)."""
    n = 0
    for record in records:
        row = to_trl(record)
        if row is not None:
            fh.write(export_line(row))
            n += 1
    return n


def write_kto(records: Iterable[Conversation | dict[str, Any]], fh: BinaryIO) -> int:
    n = 0
    for record in records:
        for row in to_kto(record):
            fh.write(export_line(row))
            n += 1
    return n
