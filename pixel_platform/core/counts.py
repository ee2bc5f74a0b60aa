"""Counting dataclasses: add one to another of its class, and render one as a plain dict.

Stats objects here are dataclasses of numbers and ``Counter``s (datatrove's mergeable stats): a
per-shard or per-partition tally is merged field by field, and written to JSON with every
counter sorted by key, so that equal counts give equal bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def add_counts(into: DataclassInstance, other: DataclassInstance) -> None:
    """Add every field of ``other`` to the same field of ``into`` (one class of numbers and
    ``Counter``s): numbers are summed, counters updated."""
    for f in fields(into):
        mine, theirs = getattr(into, f.name), getattr(other, f.name)
        if isinstance(mine, Counter):
            mine.update(theirs)
        else:
            setattr(into, f.name, mine + theirs)


def counts_dict(stats: DataclassInstance) -> dict[str, Any]:
    """``stats``' fields in declaration order, each mapping (a ``Counter``) as a dict sorted by
    key; other values as they are (a caller overrides the ones it renders otherwise)."""
    out: dict[str, Any] = {}
    for f in fields(stats):
        value = getattr(stats, f.name)
        out[f.name] = dict(sorted(value.items())) if isinstance(value, Mapping) else value
    return out
